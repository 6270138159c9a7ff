//! Random initialisation from a caller-supplied, seedable generator.
//!
//! Flux's initialisers, with Flux's fan conventions: a `out × in` weight matrix
//! has `fan_in = in` and `fan_out = out`; a vector of `n` has `fan_in = 1`,
//! `fan_out = n`.

use crate::cpu::Host;
use crate::element::Element;
use crate::shape::{ConstShape, Shape};
use crate::tensor::Tensor;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

fn from_f64<E: Element>(x: f64) -> E {
    E::from_f64(x).expect("a finite f64 converts to every element type")
}

/// `(fan_in, fan_out)` of a shape, as Flux's `nfan`: a convolution's
/// weight `(K1, K2, CI, CO)` has `K1·K2·CI` inputs and `K1·K2·CO` outputs
/// to each of its results.
pub fn fans<S: Shape>(shape: &S) -> (usize, usize) {
    let [rows, cols] = shape.dims();
    let [a, b, c, d] = shape.axes();
    match S::RANK {
        0 => (1, 1),
        1 => (1, rows),
        2 => (cols, rows),
        3 => (a * b, a * c),
        _ => (a * b * c, a * b * d),
    }
}

impl<S: Shape, E: Element, D: Host> Tensor<S, E, D> {
    /// Uniform samples in `[0, 1)`.
    pub fn rand_with<R: Rng + ?Sized>(shape: S, rng: &mut R) -> Self {
        Self::from_fn(shape, |_| from_f64(rng.random::<f64>()))
    }

    /// Standard normal samples.
    pub fn randn_with<R: Rng + ?Sized>(shape: S, rng: &mut R) -> Self {
        Self::from_fn(shape, |_| from_f64(rng.sample::<f64, _>(StandardNormal)))
    }

    /// Glorot (Xavier) uniform: `U(-s, s)` with `s = √(6 / (fan_in + fan_out))`,
    /// Flux's default for `Dense` weights.
    pub fn glorot_uniform_with<R: Rng + ?Sized>(shape: S, rng: &mut R) -> Self {
        let (fan_in, fan_out) = fans(&shape);
        let s = (6.0 / (fan_in + fan_out) as f64).sqrt();
        Self::from_fn(shape, |_| from_f64((rng.random::<f64>() * 2.0 - 1.0) * s))
    }

    /// Glorot (Xavier) normal: `N(0, σ²)` with `σ = √(2 / (fan_in + fan_out))`.
    pub fn glorot_normal_with<R: Rng + ?Sized>(shape: S, rng: &mut R) -> Self {
        let (fan_in, fan_out) = fans(&shape);
        let sigma = (2.0 / (fan_in + fan_out) as f64).sqrt();
        Self::from_fn(shape, |_| {
            from_f64(rng.sample::<f64, _>(StandardNormal) * sigma)
        })
    }
}

impl<S: ConstShape, E: Element, D: Host> Tensor<S, E, D> {
    /// Uniform samples in `[0, 1)`.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let w = Matrix::<2, 5>::rand(&mut rng);
    /// assert!(w.iter().all(|&x| (0.0..1.0).contains(&x)));
    /// ```
    pub fn rand<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::rand_with(S::default(), rng)
    }

    /// Standard normal samples.
    pub fn randn<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::randn_with(S::default(), rng)
    }

    /// Glorot uniform samples (see [`Tensor::glorot_uniform_with`]).
    pub fn glorot_uniform<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::glorot_uniform_with(S::default(), rng)
    }

    /// Glorot normal samples (see [`Tensor::glorot_normal_with`]).
    pub fn glorot_normal<R: Rng + ?Sized>(rng: &mut R) -> Self {
        Self::glorot_normal_with(S::default(), rng)
    }
}
