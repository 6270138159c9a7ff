//! `set_threads` sizes the global pool once: the first call wins, the same
//! size again is accepted, another is refused with a message that says why.
//! Its own test binary, so that no other test starts the pool first.

use typeflux_core::prelude::*;
use typeflux_core::{ThreadsError, set_threads, with_threads};

#[test]
fn the_global_pool_is_sized_once() {
    assert_eq!(set_threads(3), Ok(()));
    assert_eq!(rayon::current_num_threads(), 3);
    let a = Matrix::<128, 128>::ones();
    assert_eq!(a.matmul(&a)[[5, 7]], 128.0);

    assert_eq!(set_threads(3), Ok(()));
    let refused = set_threads(2).unwrap_err();
    assert_eq!(
        refused,
        ThreadsError {
            requested: 2,
            running: 3
        }
    );
    let message = refused.to_string();
    assert!(message.contains("already runs 3 threads"), "{message}");
    assert!(message.contains("with_threads"), "{message}");
    // Asked from inside another pool, the global pool's size still counts.
    assert_eq!(with_threads(2, || set_threads(3)), Ok(()));
    assert_eq!(rayon::current_num_threads(), 3);
}
