//! Vectors of 2 and 3 elements join into 5, not 6.
use typeflux::prelude::*;

fn main() {
    let a = Vector::<2>::ones();
    let b = Vector::<3>::ones();
    let _c: Vector<6> = a.concat(&b);
}
