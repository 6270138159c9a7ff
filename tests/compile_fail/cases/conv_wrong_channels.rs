//! A convolution from 3 channels cannot take a grey image of 1.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let layer = Conv::<3, 3, 3, 2>::new(relu);
    let x = Tensor::<(Const<6>, Const<6>, Const<1>, usize)>::zeros_with((Const, Const, Const, 2));
    let _y = layer.forward(&x);
}
