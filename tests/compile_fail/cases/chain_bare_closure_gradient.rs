//! A bare closure in a chain runs, but a model is differentiated by tracing
//! its parts, and a closure's type cannot say what it holds: it is wrapped
//! in `Lambda` for that.
use typeflux::ad::reverse::{gradient, model};
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let chain = Chain((Dense::<3, 3>::new(identity), |x| x * 2.0));
    let (x, target) = (Vector::<3>::ones(), Vector::<3>::zeros());
    let _g = gradient(|m| mse(m.forward(&x), &target), model(&chain));
}
