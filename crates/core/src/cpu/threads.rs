//! How many threads the CPU kernels use, set from code.
//!
//! Large products (the gemm crate) and elementwise passes over large buffers
//! are split over rayon's thread pool: the global pool, whose size
//! `RAYON_NUM_THREADS` sets (one thread per core by default), unless the
//! code runs inside another pool. [`with_threads`] runs a closure inside a
//! pool of its own; [`set_threads`] sizes the global pool.

use core::fmt;

/// Runs `f` with the CPU kernels it calls split over `threads` threads,
/// and returns what `f` returns. `threads == 0` means rayon's default
/// (`RAYON_NUM_THREADS`, or one thread per core).
///
/// The pool is built for the call and its threads started, which takes some
/// tens of microseconds a thread: wrap a whole training run, not each step.
/// `f` runs on one of the pool's threads, so thread-local state, such as
/// the seed that `typeflux_nn::init::seed` sets, is that thread's: build
/// models before the call, or seed inside it.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_core::with_threads;
///
/// let a = Matrix::<256, 256>::from_fn(Default::default(), |[i, j]| ((i * 7 + j) % 13) as f32);
/// let one = with_threads(1, || a.matmul(&a));
/// let two = with_threads(2, || a.matmul(&a));
/// assert_eq!(one, two);
/// ```
///
/// # Panics
/// When the operating system cannot start the threads.
pub fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("with_threads: cannot start {threads} threads: {e}"));
    pool.install(f)
}

/// Sizes rayon's global pool, which the CPU kernels use outside
/// [`with_threads`]: `RAYON_NUM_THREADS` from code. `threads == 0` means
/// rayon's default (`RAYON_NUM_THREADS`, or one thread per core).
///
/// The global pool starts once, at the first parallel operation, and keeps
/// its size for the life of the process: call `set_threads` at the start of
/// `main`. Asking again for the size it has succeeds.
///
/// ```
/// use typeflux_core::set_threads;
///
/// match set_threads(2) {
///     Ok(()) => {}
///     // Another part of the program (here, another doc test) came first.
///     Err(e) => assert_eq!(e.requested, 2),
/// }
/// ```
///
/// # Errors
/// [`ThreadsError`] when the global pool already runs with another number
/// of threads.
pub fn set_threads(threads: usize) -> Result<(), ThreadsError> {
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    if built.is_ok() {
        return Ok(());
    }
    // Asked from a thread outside every pool, `current_num_threads` is the
    // global pool's size, even when this call runs inside `with_threads`.
    let running = std::thread::spawn(rayon::current_num_threads)
        .join()
        .unwrap_or(0);
    if running == threads {
        Ok(())
    } else {
        Err(ThreadsError {
            requested: threads,
            running,
        })
    }
}

/// Why [`set_threads`] could not size the global pool: it was already
/// running, with another number of threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadsError {
    /// The number of threads asked for.
    pub requested: usize,
    /// The number of threads the global pool runs.
    pub running: usize,
}

impl fmt::Display for ThreadsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "set_threads({}): the global thread pool already runs {} threads and cannot be \
             resized; call set_threads before the first parallel operation, or run the code \
             inside with_threads",
            self.requested, self.running
        )
    }
}

impl std::error::Error for ThreadsError {}
