//! A closure has no derivative rule, so a chain with one cannot take a
//! descent step in its backward pass.
use typeflux::nn::optim::Descent;
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let mut model = Chain((Dense::<3, 3>::new(identity), |x: Vector<3>| x * 2.0));
    let (x, target) = (Vector::<3>::ones(), Vector::<3>::zeros());
    let _ = Descent::new(0.1).step(&mut model, &x, |y| mse.value_and_gradient(&y, &target));
}
