//! A closure has no derivative rule, so a chain with one runs forwards only.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let model = Chain((Dense::<3, 3>::new(identity), |x: Vector<3>| x * 2.0));
    let x = Vector::<3>::ones();
    let _ = model.forward(&x);
    let (_y, _back) = model.pullback(&x);
}
