//! A 2×3 matrix cannot multiply a vector of 4.
use typeflux::prelude::*;

fn main() {
    let w = Matrix::<2, 3>::ones();
    let x = Vector::<4>::ones();
    let _y = w.matmul(&x);
}
