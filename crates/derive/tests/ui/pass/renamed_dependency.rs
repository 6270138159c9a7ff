//! The crate depends on typeflux-core under another name, `tf`; the derive
//! finds it there.

use tf::functor::{Functor, fmap};

#[derive(Functor, Debug, PartialEq)]
struct Affine {
    weight: f32,
    bias: Option<f32>,
}

fn main() {
    let m = fmap(
        |x: f32| 2.0 * x,
        Affine {
            weight: 1.0,
            bias: Some(2.0),
        },
    );
    assert_eq!(
        m,
        Affine {
            weight: 2.0,
            bias: Some(4.0)
        }
    );
}
