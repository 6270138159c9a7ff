//! Comparing a GPU device (interpreted, or a real one) with the CPU device.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use typeflux_core::{Cpu, Device, Element, Shape};

/// The CPU's buffer of a shape.
pub type CpuBuf<S, E> = <Cpu as Device>::Buffer<S, E>;

/// A float of either precision, with what the comparisons need.
pub trait Float: Element + num_traits_like::Lossy {}
impl Float for f32 {}
impl Float for f64 {}

/// Conversions the tests need without naming a crate for them.
pub mod num_traits_like {
    /// To and from `f64`.
    pub trait Lossy: Copy {
        fn of(x: f64) -> Self;
        fn wide(self) -> f64;
        /// The spacing of the type's numbers at 1.
        const EPSILON: f64;
    }
    impl Lossy for f32 {
        fn of(x: f64) -> f32 {
            x as f32
        }
        fn wide(self) -> f64 {
            f64::from(self)
        }
        const EPSILON: f64 = f32::EPSILON as f64;
    }
    impl Lossy for f64 {
        fn of(x: f64) -> f64 {
            x
        }
        fn wide(self) -> f64 {
            self
        }
        const EPSILON: f64 = f64::EPSILON;
    }
}

/// `n` numbers from `[-scale, scale)`, reproducibly.
pub fn random<E: Float>(seed: u64, n: usize, scale: f64) -> Vec<E> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| E::of(rng.random_range(-scale..scale)))
        .collect()
}

/// The same host data on both devices.
pub fn both<G: Device, S: Shape, E: Float>(gpu: &G, data: &[E]) -> (G::Buffer<S, E>, CpuBuf<S, E>) {
    (gpu.upload::<S, E>(data), Cpu.upload::<S, E>(data))
}

/// A buffer's elements, from either device.
pub fn host<G: Device, S: Shape, E: Float>(gpu: &G, buf: &G::Buffer<S, E>) -> Vec<E> {
    gpu.download::<S, E>(buf)
}

/// `gpu` and `cpu` agree: equal (NaN with NaN), or within `ulps` spacings
/// of the type at `max(|cpu|, floor)`.
#[track_caller]
pub fn agree<E: Float>(gpu: &[E], cpu: &[E], ulps: f64, floor: f64, what: &str) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths differ");
    for (i, (&g, &c)) in gpu.iter().zip(cpu).enumerate() {
        let (g, c) = (g.wide(), c.wide());
        if g == c || (g.is_nan() && c.is_nan()) {
            continue;
        }
        let scale = c.abs().max(floor);
        let err = (g - c).abs() / (scale * E::EPSILON);
        assert!(
            err <= ulps,
            "{what}[{i}]: GPU {g:e}, CPU {c:e}: {err:.1} units of the last place (at most {ulps})"
        );
    }
}

/// `gpu` and `cpu` are the same numbers, to the bit (NaN with NaN).
#[track_caller]
pub fn identical<E: Float>(gpu: &[E], cpu: &[E], what: &str) {
    agree(gpu, cpu, 0.0, 1.0, what);
}

pub mod suite;
