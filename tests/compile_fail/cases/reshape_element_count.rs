//! A 3×4 matrix holds 12 elements; a 2×5 one holds 10.
use typeflux::prelude::*;

fn main() {
    let m = Matrix::<3, 4>::ones();
    let _r: Matrix<2, 5> = m.reshape();
}
