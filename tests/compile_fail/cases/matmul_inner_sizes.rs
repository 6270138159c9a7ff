//! A 2×3 matrix cannot multiply a 4×5 one: 3 columns meet 4 rows.
use typeflux::prelude::*;

fn main() {
    let a = Matrix::<2, 3>::ones();
    let b = Matrix::<4, 5>::ones();
    let _c = a.matmul(&b);
}
