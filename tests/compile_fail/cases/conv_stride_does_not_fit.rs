//! A 5 × 5 kernel with stride 4 does not fit a 4 × 4 image: the error names
//! the kernel, the stepping and the input size.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let layer = Conv::<5, 5, 1, 2>::new(relu).stride::<4>();
    let x = Tensor::<(Const<4>, Const<4>, Const<1>, usize)>::zeros_with((Const, Const, Const, 2));
    let _y = layer.forward(&x);
}
