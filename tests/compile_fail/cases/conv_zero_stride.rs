//! A stride of 0 never moves the window: it does not compile.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let layer = Conv::<3, 3, 1, 2>::new(relu).stride::<0>();
    let x = Tensor::<(Const<6>, Const<6>, Const<1>, usize)>::zeros_with((Const, Const, Const, 2));
    let _y = layer.forward(&x);
}
