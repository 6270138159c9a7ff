//! A bare closure in a chain cannot be traced in place, so a step of descent
//! folded into the backward pass is refused; `Lambda` wraps it.
use typeflux::nn::optim::Descent;
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let mut chain = Chain((Dense::<3, 3>::new(identity), |x| x * 2.0));
    let (x, target) = (Vector::<3>::ones(), Vector::<3>::zeros());
    let _ = Descent::new(0.1).step(&mut chain, |m| mse(m.forward(&x), &target));
}
