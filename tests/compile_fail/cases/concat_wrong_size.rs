//! 2 features over 1 feature make 3, not 4.
use typeflux::prelude::*;

fn main() {
    let a = Matrix::<2, 3>::ones();
    let b = Matrix::<1, 3>::zeros();
    let _c: Matrix<4, 3> = a.concat(&b);
}
