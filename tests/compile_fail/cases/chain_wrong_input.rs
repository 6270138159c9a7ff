//! A batch of 4 features cannot enter a chain whose first layer takes 10.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let model = Chain((Dense::<10, 5>::new(relu), Dense::<5, 2>::new(identity), softmax));
    let x = Batch::<4>::zeros_with((Const, 32));
    let _y = model.forward(&x);
}
