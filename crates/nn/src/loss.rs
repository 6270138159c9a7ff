//! Loss functions with Flux's names and meanings, each with its gradient with
//! respect to the prediction.
//!
//! A loss is a small value with a lowercase constant (`mse`, `crossentropy`,
//! ...) whose [`Loss`] methods take the prediction `ŷ` first and the target
//! `y` second, as Flux's `mse(ŷ, y)`. By default the result is a mean
//! ([`Aggregate::Mean`]); Flux's keywords are methods:
//! `huber_loss.delta(0.5).agg(Aggregate::Sum)`.
//!
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let y = Vector::<4, f64>::from_array([1.0, 1.0, 0.0, 0.0]);
//! let y_hat = Vector::<4, f64>::from_array([0.9, 0.1, 0.1, 0.9]);
//! assert!((mse.value(&y_hat, &y) - 0.41).abs() < 1e-12);
//! assert!((mae.value(&y_hat, &y) - 0.5).abs() < 1e-12);
//! assert!((huber_loss.value(&y_hat, &y) - 0.205).abs() < 1e-12);
//!
//! let (loss, grad) = mse.value_and_gradient(&y_hat, &y);
//! assert!((grad[1] - 2.0 * (0.1 - 1.0) / 4.0).abs() < 1e-12);
//! ```
//!
//! The cross-entropies treat each column (each sample of a batch) as one
//! distribution over the features: they sum over the features and aggregate
//! over the columns. The `logit` forms take unnormalised scores and stay
//! finite for any finite score.

use crate::activation::{logsoftmax_columns, softmax_columns, stable_sigmoid, stable_softplus};
use num_traits::Float;
use typeflux_core::{Element, Host, Shape, Tensor};

/// How a loss turns the losses of single elements, or of single samples for
/// the cross-entropies, into one number: Flux's `agg` keyword.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Aggregate {
    /// The mean (Flux's default).
    #[default]
    Mean,
    /// The sum.
    Sum,
}

/// A loss of a prediction `y_hat` (Flux's `ŷ`) against a target `y` of the
/// same shape: its value, and its gradient with respect to `y_hat`.
///
/// # Panics
/// When a runtime dim (the batch) of `y_hat` and `y` differ; static sizes are
/// checked by the compiler.
pub trait Loss: Copy {
    /// The loss.
    fn value<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> E;

    /// The loss and its gradient with respect to `y_hat`, sharing their work.
    fn value_and_gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> (E, Tensor<S, E, D>);

    /// The gradient with respect to `y_hat`.
    #[inline]
    fn gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        self.value_and_gradient(y_hat, y).1
    }
}

/// `E` from an `f64` constant.
#[inline(always)]
fn lit<E: Element>(x: f64) -> E {
    E::from_f64(x).expect("a finite constant converts to every element type")
}

/// Flux's `ϵ = eps(eltype(ŷ))`, which keeps `ln(ŷ + ϵ)` finite at `ŷ = 0`.
#[inline(always)]
fn epsilon<E: Element>() -> E {
    E::from(E::Primitive::epsilon())
}

/// `y · ln x`, and 0 where `y` is 0 (Flux's `xlogy`).
#[inline(always)]
fn xlogy<E: Element>(y: E, x: E) -> E {
    if y == E::zero() {
        E::zero()
    } else {
        y * x.ln()
    }
}

/// `y / x`, and 0 where `y` is 0: the derivative of [`xlogy`] in `x`.
#[inline(always)]
fn y_over_x<E: Element>(y: E, x: E) -> E {
    if y == E::zero() { E::zero() } else { y / x }
}

#[track_caller]
fn check_shapes<S: Shape, E: Element, D: Host>(
    name: &str,
    y_hat: &Tensor<S, E, D>,
    y: &Tensor<S, E, D>,
) {
    if y_hat.shape() != y.shape() {
        panic!(
            "{name}: prediction {}, target {}: shapes disagree",
            y_hat.shape().describe(),
            y.shape().describe()
        );
    }
}

/// The factor that turns a sum over `count` terms into the aggregate.
#[inline(always)]
fn scale<E: Element>(agg: Aggregate, count: usize) -> E {
    match agg {
        Aggregate::Mean => {
            E::one() / E::from_usize(count).expect("a count converts to every element type")
        }
        Aggregate::Sum => E::one(),
    }
}

/// The number of columns (samples) of a vector (one) or a batch.
#[inline(always)]
fn columns<S: Shape>(shape: S) -> usize {
    shape.dims()[1]
}

/// An elementwise loss: `term(ŷ, y)` gives the loss of one element and its
/// derivative in `ŷ`; the result aggregates over all elements.
#[inline(always)]
#[track_caller]
fn elementwise<S: Shape, E: Element, D: Host>(
    name: &str,
    agg: Aggregate,
    y_hat: &Tensor<S, E, D>,
    y: &Tensor<S, E, D>,
    term: impl Fn(E, E) -> (E, E),
) -> (E, Tensor<S, E, D>) {
    check_shapes(name, y_hat, y);
    let s = scale::<E>(agg, y_hat.len());
    let mut total = E::zero();
    let grad = y_hat.zip_map(y, |p, t| {
        let (l, d) = term(p, t);
        total += l;
        d * s
    });
    (total * s, grad)
}

/// The value of an elementwise loss alone.
#[inline(always)]
#[track_caller]
fn elementwise_value<S: Shape, E: Element, D: Host>(
    name: &str,
    agg: Aggregate,
    y_hat: &Tensor<S, E, D>,
    y: &Tensor<S, E, D>,
    term: impl Fn(E, E) -> E,
) -> E {
    check_shapes(name, y_hat, y);
    let total = y_hat
        .iter()
        .zip(y.iter())
        .fold(E::zero(), |acc, (&p, &t)| acc + term(p, t));
    total * scale::<E>(agg, y_hat.len())
}

macro_rules! losses {
    ($($(#[$doc:meta])* $Type:ident $name:ident $({ $($field:ident: $fty:ty = $default:expr),* })?;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $Type {
            agg: Aggregate,
            $($($field: $fty,)*)?
        }

        $(#[$doc])*
        #[allow(non_upper_case_globals)]
        pub const $name: $Type = $Type {
            agg: Aggregate::Mean,
            $($($field: $default,)*)?
        };

        impl $Type {
            /// The same loss with another aggregation, Flux's `agg` keyword.
            #[must_use]
            pub const fn agg(mut self, agg: Aggregate) -> Self {
                self.agg = agg;
                self
            }
        }

        impl Default for $Type {
            fn default() -> Self {
                $name
            }
        }
    )*};
}

losses! {
    /// Mean squared error, Flux's `mse`: `agg((ŷ - y)²)`.
    Mse mse;
    /// Mean absolute error, Flux's `mae`: `agg(|ŷ - y|)`.
    Mae mae;
    /// Flux's `huber_loss`: `½(ŷ - y)²` where `|ŷ - y| < δ`, and
    /// `δ(|ŷ - y| - ½δ)` elsewhere; `δ = 1` unless set with
    /// [`delta`](HuberLoss::delta).
    HuberLoss huber_loss { delta: f64 = 1.0 };
    /// Flux's `crossentropy` of probabilities `ŷ` (a softmax output) against
    /// `y`: `-Σ y ln(ŷ + ϵ)` over each column, aggregated over the columns.
    CrossEntropy crossentropy;
    /// Flux's `logitcrossentropy`: `-Σ y · logsoftmax(ŷ)` over each column,
    /// aggregated over the columns. Equal to `crossentropy(softmax(ŷ), y)`, but
    /// finite for any scores.
    LogitCrossEntropy logitcrossentropy;
    /// Flux's `binarycrossentropy` of probabilities `ŷ` (a sigmoid output):
    /// `-y ln(ŷ + ϵ) - (1 - y) ln(1 - ŷ + ϵ)`, aggregated over all elements.
    BinaryCrossEntropy binarycrossentropy;
    /// Flux's `logitbinarycrossentropy`: `(1 - y)ŷ - ln σ(ŷ)`, aggregated over
    /// all elements. Equal to `binarycrossentropy(σ(ŷ), y)`, but finite for
    /// any scores.
    LogitBinaryCrossEntropy logitbinarycrossentropy;
}

impl HuberLoss {
    /// The same loss with another `δ`, where it turns from quadratic to
    /// linear.
    #[must_use]
    pub const fn delta(self, delta: f64) -> Self {
        HuberLoss { delta, ..self }
    }
}

impl Loss for Mse {
    #[inline]
    #[track_caller]
    fn value<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> E {
        elementwise_value("mse", self.agg, y_hat, y, |p, t| (p - t) * (p - t))
    }

    #[inline]
    #[track_caller]
    fn value_and_gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> (E, Tensor<S, E, D>) {
        elementwise("mse", self.agg, y_hat, y, |p, t| {
            let d = p - t;
            (d * d, d + d)
        })
    }
}

impl Loss for Mae {
    #[inline]
    #[track_caller]
    fn value<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> E {
        elementwise_value("mae", self.agg, y_hat, y, |p, t| (p - t).abs())
    }

    /// The derivative of `|d|` at `d = 0` is taken as 0.
    #[inline]
    #[track_caller]
    fn value_and_gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> (E, Tensor<S, E, D>) {
        elementwise("mae", self.agg, y_hat, y, |p, t| {
            let d = p - t;
            (d.abs(), sign(d))
        })
    }
}

/// `1`, `-1` or `0` by the sign of `x`.
#[inline(always)]
fn sign<E: Element>(x: E) -> E {
    if x > E::zero() {
        E::one()
    } else if x < E::zero() {
        -E::one()
    } else {
        E::zero()
    }
}

impl HuberLoss {
    /// The loss of one difference `d = ŷ - y` and its derivative.
    #[inline(always)]
    fn term<E: Element>(&self, d: E) -> (E, E) {
        let delta = lit::<E>(self.delta);
        let half = lit::<E>(0.5);
        if d.abs() < delta {
            (d * d * half, d)
        } else {
            (delta * (d.abs() - delta * half), delta * sign(d))
        }
    }
}

impl Loss for HuberLoss {
    #[inline]
    #[track_caller]
    fn value<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> E {
        elementwise_value("huber_loss", self.agg, y_hat, y, |p, t| self.term(p - t).0)
    }

    #[inline]
    #[track_caller]
    fn value_and_gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> (E, Tensor<S, E, D>) {
        elementwise("huber_loss", self.agg, y_hat, y, |p, t| self.term(p - t))
    }
}

impl Loss for CrossEntropy {
    #[inline]
    #[track_caller]
    fn value<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> E {
        check_shapes("crossentropy", y_hat, y);
        let eps = epsilon::<E>();
        let total = y_hat
            .iter()
            .zip(y.iter())
            .fold(E::zero(), |acc, (&p, &t)| acc - xlogy(t, p + eps));
        total * scale::<E>(self.agg, columns(y.shape()))
    }

    #[inline]
    #[track_caller]
    fn value_and_gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> (E, Tensor<S, E, D>) {
        let s = scale::<E>(self.agg, columns(y.shape()));
        let eps = epsilon::<E>();
        let grad = y_hat.zip_map(y, |p, t| -y_over_x(t, p + eps) * s);
        (self.value(y_hat, y), grad)
    }
}

impl Loss for LogitCrossEntropy {
    #[inline]
    #[track_caller]
    fn value<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> E {
        check_shapes("logitcrossentropy", y_hat, y);
        let mut log_p = y_hat.clone();
        logsoftmax_columns(&mut log_p);
        let total = log_p
            .iter()
            .zip(y.iter())
            .fold(E::zero(), |acc, (&l, &t)| acc - t * l);
        total * scale::<E>(self.agg, columns(y.shape()))
    }

    /// Per column, `softmax(ŷ) · Σ y - y`, which is `softmax(ŷ) - y` for a
    /// target that sums to 1.
    #[inline]
    #[track_caller]
    fn value_and_gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> (E, Tensor<S, E, D>) {
        check_shapes("logitcrossentropy", y_hat, y);
        let s = scale::<E>(self.agg, columns(y.shape()));
        let mut log_p = y_hat.clone();
        logsoftmax_columns(&mut log_p);
        let mut grad = log_p.clone();
        softmax_columns(&mut grad);
        let rows = y.shape().dims()[0].max(1);
        let mut total = E::zero();
        for ((g, l), t) in grad
            .as_mut_slice()
            .chunks_exact_mut(rows)
            .zip(log_p.as_slice().chunks_exact(rows))
            .zip(y.as_slice().chunks_exact(rows))
        {
            let mass = t.iter().fold(E::zero(), |acc, &t| acc + t);
            for ((g, &l), &t) in g.iter_mut().zip(l).zip(t) {
                total -= t * l;
                *g = (*g * mass - t) * s;
            }
        }
        (total * s, grad)
    }
}

impl BinaryCrossEntropy {
    /// The loss of one element and its derivative in `ŷ`.
    #[inline(always)]
    fn term<E: Element>(p: E, t: E) -> (E, E) {
        let eps = epsilon::<E>();
        let not_t = E::one() - t;
        let not_p = E::one() - p + eps;
        (
            -xlogy(t, p + eps) - xlogy(not_t, not_p),
            -y_over_x(t, p + eps) + y_over_x(not_t, not_p),
        )
    }
}

impl Loss for BinaryCrossEntropy {
    #[inline]
    #[track_caller]
    fn value<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> E {
        elementwise_value("binarycrossentropy", self.agg, y_hat, y, |p, t| {
            Self::term(p, t).0
        })
    }

    #[inline]
    #[track_caller]
    fn value_and_gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> (E, Tensor<S, E, D>) {
        elementwise("binarycrossentropy", self.agg, y_hat, y, Self::term)
    }
}

impl Loss for LogitBinaryCrossEntropy {
    #[inline]
    #[track_caller]
    fn value<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> E {
        elementwise_value("logitbinarycrossentropy", self.agg, y_hat, y, |p, t| {
            (E::one() - t) * p + stable_softplus(-p)
        })
    }

    #[inline]
    #[track_caller]
    fn value_and_gradient<S: Shape, E: Element, D: Host>(
        &self,
        y_hat: &Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> (E, Tensor<S, E, D>) {
        elementwise("logitbinarycrossentropy", self.agg, y_hat, y, |p, t| {
            (
                (E::one() - t) * p + stable_softplus(-p),
                stable_sigmoid(p) - t,
            )
        })
    }
}
