//! A transposed convolution with stride 2 turns a 4 × 4 image into 8 × 8,
//! so three channels flatten to 192 features; a dense layer of 48 inputs
//! (the size before upsampling) cannot take them.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let model = Chain((
        ConvTranspose::<2, 2, 1, 3>::new(relu).stride::<2>(),
        Flatten::new(),
        Dense::<48, 10>::new(identity),
    ));
    let x = Tensor::<(Const<4>, Const<4>, Const<1>, usize)>::zeros_with((Const, Const, Const, 2));
    let _y = model.forward(&x);
}
