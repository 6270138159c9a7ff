//! Three elements do not make a vector of 2.
use typeflux::prelude::*;

fn main() {
    let _v: Vector<2> = Tensor::from_array([1.0, 2.0, 3.0]);
}
