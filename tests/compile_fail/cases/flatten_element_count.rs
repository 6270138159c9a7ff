//! A 3×4 matrix flattens to 12 elements, not 10.
use typeflux::prelude::*;

fn main() {
    let _v: Vector<10> = Matrix::<3, 4>::ones().flatten();
}
