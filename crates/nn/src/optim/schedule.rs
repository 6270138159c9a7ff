//! Learning-rate schedules, as ParameterSchedulers.jl has them: a schedule
//! is a function of the step number `t`, counted from 1, and
//! [`Optimiser::adjust`](super::Optimiser::adjust) sets the learning rate
//! it gives before each step.
//!
//! - [`Step`]: `start · decayᵏ`, `k = ⌊(t - 1) / step⌋`: lowered by a
//!   factor every `step` steps.
//! - [`Exp`]: `start · decayᵗ⁻¹`.
//! - [`WarmupCosine`]: from 0 up to `peak` in a straight line over
//!   `warmup` steps, then down to `floor` along half a cosine by step
//!   `total`, and `floor` after it.
//! - Any `Fn(usize) -> f64` is a schedule too.
//!
//! A schedule drives a training loop through [`Schedule::iter`], which
//! yields the learning rate of step 1, 2, …:
//!
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::optim::schedule::{Exp, Schedule};
//! use typeflux_nn::optim::{Momentum, Rule};
//! use typeflux_nn::prelude::*;
//! use typeflux_nn::train;
//!
//! let x = Batch::<1, f64>::from_fn((Const, 8), |[_, j]| j as f64 / 8.0);
//! let y = &x * 2.0 - 0.5;
//! let mut model: Dense<1, 1, Identity, f64> = Dense::new(identity).init(zeros);
//! let mut opt = Momentum::default().setup(&model);
//!
//! // One learning rate per epoch, decaying by 2% each.
//! for eta in Exp::new(0.5, 0.98).iter().take(200) {
//!     opt.adjust(eta);
//!     train(&mut model, &mut opt, [(&x, &y)], |m, x, y| mse(m.forward(x), y)).unwrap();
//! }
//! assert!((opt.rule.eta - 0.5 * 0.98f64.powi(199)).abs() < 1e-15);
//! assert!(mse(model.forward(&x), &y).item() < 1e-6);
//! ```

use core::f64::consts::PI;

/// A learning rate for each step `t`, counted from 1.
pub trait Schedule {
    /// The value at step `t` (from 1).
    fn at(&self, t: usize) -> f64;

    /// The values at steps 1, 2, …, without end: zip it with the batches,
    /// or `take` as many as there are steps.
    fn iter(&self) -> Iter<'_, Self> {
        Iter {
            schedule: self,
            t: 0,
        }
    }
}

impl<F: Fn(usize) -> f64> Schedule for F {
    fn at(&self, t: usize) -> f64 {
        self(t)
    }
}

/// The values of a [`Schedule`] at steps 1, 2, …: [`Schedule::iter`].
#[derive(Debug)]
pub struct Iter<'a, S: ?Sized> {
    schedule: &'a S,
    t: usize,
}

impl<S: Schedule + ?Sized> Iterator for Iter<'_, S> {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        self.t += 1;
        Some(self.schedule.at(self.t))
    }
}

/// Step decay, ParameterSchedulers.jl's `Step(start, decay, step)`:
/// `start · decayᵏ` at step `t`, where `k = ⌊(t - 1) / step⌋`.
///
/// ```
/// use typeflux_nn::optim::schedule::{Schedule, Step};
///
/// let s = Step::new(0.1, 0.5, 3);
/// let values: Vec<f64> = s.iter().take(7).collect();
/// assert_eq!(values, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The value of the first steps.
    pub start: f64,
    /// The factor applied every `step` steps.
    pub decay: f64,
    /// How many steps keep one value.
    pub step: usize,
}

impl Step {
    /// `start`, times `decay` after every `step` steps.
    ///
    /// # Panics
    /// When `step` is 0.
    pub fn new(start: f64, decay: f64, step: usize) -> Self {
        assert!(step > 0, "Step: a value lasts at least one step");
        Step { start, decay, step }
    }
}

impl Schedule for Step {
    fn at(&self, t: usize) -> f64 {
        self.start * self.decay.powi(power(t.saturating_sub(1) / self.step))
    }
}

/// Exponential decay, ParameterSchedulers.jl's `Exp(start, decay)`:
/// `start · decayᵗ⁻¹` at step `t`.
///
/// ```
/// use typeflux_nn::optim::schedule::{Exp, Schedule};
///
/// let s = Exp::new(0.1, 0.5);
/// assert_eq!((s.at(1), s.at(2), s.at(4)), (0.1, 0.05, 0.0125));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exp {
    /// The value at step 1.
    pub start: f64,
    /// The factor applied at each step.
    pub decay: f64,
}

impl Exp {
    /// `start`, times `decay` at each step.
    pub fn new(start: f64, decay: f64) -> Self {
        Exp { start, decay }
    }
}

impl Schedule for Exp {
    fn at(&self, t: usize) -> f64 {
        self.start * self.decay.powi(power(t.saturating_sub(1)))
    }
}

/// A linear warm-up followed by cosine annealing: `peak · t / warmup` for
/// the first `warmup` steps, then
/// `floor + (peak - floor) · (1 + cos(π · (t - warmup) / (total - warmup))) / 2`
/// down to `floor` at step `total`, and `floor` after it.
///
/// ```
/// use typeflux_nn::optim::schedule::{Schedule, WarmupCosine};
///
/// let s = WarmupCosine::new(1.0, 0.0, 4, 8);
/// assert_eq!((s.at(1), s.at(2), s.at(4)), (0.25, 0.5, 1.0)); // warming up
/// assert!((s.at(6) - 0.5).abs() < 1e-15); // half-way down
/// assert_eq!((s.at(8), s.at(100)), (0.0, 0.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarmupCosine {
    /// The value at the end of the warm-up.
    pub peak: f64,
    /// The value at step `total` and after.
    pub floor: f64,
    /// The steps of the warm-up.
    pub warmup: usize,
    /// The step at which the value reaches `floor`.
    pub total: usize,
}

impl WarmupCosine {
    /// Up to `peak` over `warmup` steps, then down to `floor` by step
    /// `total`.
    ///
    /// # Panics
    /// When `total` is not after `warmup`.
    pub fn new(peak: f64, floor: f64, warmup: usize, total: usize) -> Self {
        assert!(
            total > warmup,
            "WarmupCosine: the total of {total} steps must exceed the warm-up of {warmup}"
        );
        WarmupCosine {
            peak,
            floor,
            warmup,
            total,
        }
    }
}

impl Schedule for WarmupCosine {
    fn at(&self, t: usize) -> f64 {
        if t < self.warmup {
            return self.peak * t as f64 / self.warmup as f64;
        }
        let progress = (t - self.warmup) as f64 / (self.total - self.warmup) as f64;
        if progress >= 1.0 {
            return self.floor;
        }
        self.floor + (self.peak - self.floor) * (1.0 + (PI * progress).cos()) / 2.0
    }
}

/// `k` as an exponent of `powi`, saturating: past `i32::MAX` steps the
/// value has long reached its limit.
fn power(k: usize) -> i32 {
    i32::try_from(k).unwrap_or(i32::MAX)
}
