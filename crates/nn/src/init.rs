//! Initialisers for weights, and the generator layers draw from by default.
//!
//! An initialiser is any function from a random generator to a tensor, so
//! Flux's names below, a closure of your own, and a function that ignores the
//! generator all fit the same place:
//!
//! ```
//! use rand::SeedableRng;
//! use rand::rngs::StdRng;
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let a = Dense::<3, 2>::new(relu).init(ones);
//! assert_eq!(a.weight.to_vec(), vec![1.0; 6]);
//!
//! let mut rng = StdRng::seed_from_u64(7);
//! let b = Dense::<3, 2>::new(relu).init_with(&mut rng, |rng| Matrix::<2, 3>::randn(rng) * 0.01);
//! assert!(b.weight.iter().all(|w| w.abs() < 0.1));
//! ```
//!
//! Layers built without a generator ([`Dense::new`](crate::Dense::new), and
//! [`init`](crate::Dense::init)) draw from this thread's default generator,
//! which starts from [`DEFAULT_SEED`], so a program builds the same model
//! every run; [`seed`] starts it again from another seed, like Julia's
//! `Random.seed!`.

use core::cell::RefCell;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use typeflux_core::{ConstShape, Element, Host, Tensor};

/// The seed the default generator of each thread starts from.
pub const DEFAULT_SEED: u64 = 0x7970_6566_6c75_7800;

thread_local! {
    static DEFAULT_RNG: RefCell<StdRng> = RefCell::new(StdRng::seed_from_u64(DEFAULT_SEED));
}

/// Starts this thread's default generator again from `seed`.
///
/// ```
/// use typeflux_nn::prelude::*;
///
/// typeflux_nn::init::seed(42);
/// let a = Dense::<4, 3>::new(sigmoid);
/// typeflux_nn::init::seed(42);
/// let b = Dense::<4, 3>::new(sigmoid);
/// assert_eq!(a.weight, b.weight);
/// ```
pub fn seed(seed: u64) {
    DEFAULT_RNG.with(|rng| *rng.borrow_mut() = StdRng::seed_from_u64(seed));
}

/// Calls `f` with this thread's default generator.
pub fn with_default_rng<T>(f: impl FnOnce(&mut StdRng) -> T) -> T {
    DEFAULT_RNG.with(|rng| f(&mut rng.borrow_mut()))
}

/// Glorot (Xavier) uniform samples, `U(-s, s)` with
/// `s = √(6 / (fan_in + fan_out))`: Flux's default for weights.
pub fn glorot_uniform<S: ConstShape, E: Element, R: Rng + ?Sized, D: Host>(
    rng: &mut R,
) -> Tensor<S, E, D> {
    Tensor::glorot_uniform(rng)
}

/// Glorot (Xavier) normal samples, `N(0, 2 / (fan_in + fan_out))`.
pub fn glorot_normal<S: ConstShape, E: Element, R: Rng + ?Sized, D: Host>(
    rng: &mut R,
) -> Tensor<S, E, D> {
    Tensor::glorot_normal(rng)
}

/// Standard normal samples, Flux's `randn32`.
pub fn randn<S: ConstShape, E: Element, R: Rng + ?Sized, D: Host>(rng: &mut R) -> Tensor<S, E, D> {
    Tensor::randn(rng)
}

/// Uniform samples in `[0, 1)`, Flux's `rand32`.
pub fn rand<S: ConstShape, E: Element, R: Rng + ?Sized, D: Host>(rng: &mut R) -> Tensor<S, E, D> {
    Tensor::rand(rng)
}

/// Ones; the generator is not used.
pub fn ones<S: ConstShape, E: Element, R: Rng + ?Sized, D: Host>(_: &mut R) -> Tensor<S, E, D> {
    Tensor::ones()
}

/// Zeros; the generator is not used.
pub fn zeros<S: ConstShape, E: Element, R: Rng + ?Sized, D: Host>(_: &mut R) -> Tensor<S, E, D> {
    Tensor::zeros()
}
