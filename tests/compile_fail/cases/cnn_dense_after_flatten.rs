//! After two convolutions and a pooling, an 8 × 8 image is 3 × 3 × 8 = 72
//! features; a dense layer of 64 inputs cannot take them. The sizes are
//! computed by the type checker, and the error names both in decimal.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let model = Chain((
        Conv::<3, 3, 1, 4>::new(relu).same_pad(),
        MaxPool::<2, 2>::new(),
        Conv::<2, 2, 4, 8>::new(relu),
        Flatten::new(),
        Dense::<64, 10>::new(identity),
    ));
    let x = Tensor::<(Const<8>, Const<8>, Const<1>, usize)>::zeros_with((Const, Const, Const, 2));
    let _y = model.forward(&x);
}
