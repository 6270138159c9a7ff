//! Vectors of 3 and 4 elements cannot be added.
use typeflux::prelude::*;

fn main() {
    let a = Vector::<3>::ones();
    let b = Vector::<4>::ones();
    let _s = a + b;
}
