//! Loss functions with Flux's names and meanings, written once for plain and
//! traced predictions.
//!
//! A loss takes the prediction `ŷ` first and the target `y` second, as
//! Flux's `mse(ŷ, y)`. The prediction may be a plain tensor (the loss is a
//! plain scalar tensor) or a traced one, inside a
//! [`gradient`](typeflux_ad::reverse::gradient) (the loss is traced, and
//! differentiates with the rest of the computation). Each loss is written
//! once with typeflux-ad's operations and differentiated by its rules
//! ([`Traced::eager`]); `logitcrossentropy` is one fused rule.
//!
//! By default the result is a mean ([`Aggregate::Mean`]); Flux's keywords
//! are the fields of a loss's struct: `HuberLoss::new().delta(0.5).agg(Aggregate::Sum).loss(&ŷ, &y)`.
//!
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let y = Vector::<4, f64>::from_array([1.0, 1.0, 0.0, 0.0]);
//! let y_hat = Vector::<4, f64>::from_array([0.9, 0.1, 0.1, 0.9]);
//! assert!((mse(&y_hat, &y).item() - 0.41).abs() < 1e-12);
//! assert!((mae(&y_hat, &y).item() - 0.5).abs() < 1e-12);
//! assert!((huber_loss(&y_hat, &y).item() - 0.205).abs() < 1e-12);
//!
//! // The gradient with respect to the prediction, by reverse mode:
//! let g = typeflux_ad::gradient(|y_hat| mse(y_hat, &y), &y_hat);
//! assert!((g[1] - 2.0 * (0.1 - 1.0) / 4.0).abs() < 1e-12);
//! ```
//!
//! The cross-entropies treat each column (each sample of a batch) as one
//! distribution over the features: they sum over the features and aggregate
//! over the columns. The `logit` forms take unnormalised scores and stay
//! finite for any finite score.

use num_traits::Float;
use typeflux_ad::reverse::rules::reduce::GradientPullback;
use typeflux_ad::reverse::rules::softmax::logit_cross_entropy;
use typeflux_ad::reverse::{Backward, Hole, Node, Operand, Traced, WithHole};
use typeflux_core::{BinaryOp, Element, Kernels, Scalar, Shape, Tensor};

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

/// A loss with its settings: Flux's keywords are the fields of the struct
/// that implements it ([`Mse`], [`HuberLoss`], ...), and each has a
/// lowercase function with Flux's defaults ([`mse`], [`huber_loss`], ...).
pub trait Loss: Copy {
    /// The loss of the prediction `y_hat` (a tensor, borrowed or owned, or a
    /// traced tensor) against the target `y`.
    ///
    /// # Panics
    /// When a runtime dim (the batch) of `y_hat` and `y` differ.
    fn loss<P, E, D>(&self, y_hat: P, y: &Tensor<P::Shape, E, D>) -> LossOf<P, E, D>
    where
        P: Operand<E, D>,
        E: Element,
        D: Kernels<E>;
}

/// A loss's value for the prediction `P`: a plain scalar tensor for a plain
/// prediction, a traced one for a traced prediction.
pub type LossOf<P, E, D> = <<<P as Operand<E, D>>::Node as Node>::Then<
    GradientPullback<<P as Operand<E, D>>::Shape, E, D>,
> as Node>::Finished<Scalar<E, D>>;

/// The traced prediction as a loss's expression receives it.
type Input<S, E, D> = Traced<Tensor<S, E, D>, Hole>;

/// `f` of the prediction, differentiated by reverse mode at once where a
/// gradient is wanted (see [`Traced::eager`]).
#[inline]
#[track_caller]
fn eager<P, E, D, N>(
    name: &str,
    y_hat: P,
    y: &Tensor<P::Shape, E, D>,
    f: impl FnOnce(Input<P::Shape, E, D>) -> Traced<Scalar<E, D>, N>,
) -> LossOf<P, E, D>
where
    P: Operand<E, D>,
    E: Element,
    D: Kernels<E>,
    N: for<'a> Backward<Scalar<E, D>, WithHole<'a, (), Option<Tensor<P::Shape, E, D>>>>,
{
    let y_hat = y_hat.operand();
    check_shapes(name, y_hat.value(), y);
    y_hat.eager(f).finish()
}

#[track_caller]
fn check_shapes<S: Shape, E: Element, D: Kernels<E>>(
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

/// `1 - y`.
#[inline]
fn one_minus<S: Shape, E: Element, D: Kernels<E>>(y: &Tensor<S, E, D>) -> Tensor<S, E, D> {
    y.scalar_op_left(BinaryOp::Sub, E::one())
}

macro_rules! losses {
    ($(
        $(#[$doc:meta])*
        $Type:ident $name:ident { $($field:ident: $fty:ty = $default:expr),* }
        |$this:ident, $y_hat:ident, $y:ident, $s:ident| $count:expr => $body:expr;
    )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $Type {
            /// How the terms are aggregated, Flux's `agg`.
            pub agg: Aggregate,
            $(
                #[doc = concat!("Flux's `", stringify!($field), "`.")]
                pub $field: $fty,
            )*
        }

        impl $Type {
            /// The loss with Flux's defaults.
            pub const fn new() -> Self {
                $Type {
                    agg: Aggregate::Mean,
                    $($field: $default,)*
                }
            }

            /// The same loss with another aggregation, Flux's `agg` keyword.
            #[must_use]
            pub const fn agg(mut self, agg: Aggregate) -> Self {
                self.agg = agg;
                self
            }

            $(
                #[doc = concat!("The same loss with another `", stringify!($field), "`.")]
                #[must_use]
                pub const fn $field(mut self, $field: $fty) -> Self {
                    self.$field = $field;
                    self
                }
            )*
        }

        impl Loss for $Type {
            #[inline]
            #[track_caller]
            fn loss<P, E, D>(&self, y_hat: P, y: &Tensor<P::Shape, E, D>) -> LossOf<P, E, D>
            where
                P: Operand<E, D>,
                E: Element,
                D: Kernels<E>,
            {
                #[allow(unused_variables)]
                let ($this, $y) = (self, y);
                let $s: E = scale(self.agg, $count);
                eager(stringify!($name), y_hat, y, |$y_hat| $body)
            }
        }

        impl Default for $Type {
            fn default() -> Self {
                $Type::new()
            }
        }

        $(#[$doc])*
        ///
        /// With Flux's defaults; the struct of the same name sets its keywords.
        #[inline]
        #[track_caller]
        pub fn $name<P, E, D>(y_hat: P, y: &Tensor<P::Shape, E, D>) -> LossOf<P, E, D>
        where
            P: Operand<E, D>,
            E: Element,
            D: Kernels<E>,
        {
            $Type::new().loss(y_hat, y)
        }
    )*};
}

losses! {
    /// Mean squared error, Flux's `mse`: `agg((ŷ - y)²)`.
    Mse mse {} |this, y_hat, y, s| y.len() => (y_hat - y).sum_squares() * s;
    /// Mean absolute error, Flux's `mae`: `agg(|ŷ - y|)`; its derivative at
    /// `ŷ = y` is 0.
    Mae mae {} |this, y_hat, y, s| y.len() => (y_hat - y).abs().sum() * s;
    /// Flux's `huber_loss`: `½(ŷ - y)²` where `|ŷ - y| < δ`, and
    /// `δ(|ŷ - y| - ½δ)` elsewhere; `δ = 1` unless set.
    HuberLoss huber_loss { delta: f64 = 1.0 } |this, y_hat, y, s| y.len() => {
        // With a = |ŷ - y| and r = relu(a - δ): ½(a - r)² + δr.
        let delta = lit::<E>(this.delta);
        let a = (y_hat - y).abs();
        let r = (a.clone() - delta).relu();
        ((a - r.clone()).square() * lit::<E>(0.5) + r * delta).sum() * s
    };
    /// Flux's `crossentropy` of probabilities `ŷ` (a softmax output) against
    /// `y`: `-Σ y ln(ŷ + ϵ)` over each column, aggregated over the columns.
    CrossEntropy crossentropy {} |this, y_hat, y, s| columns(y.shape()) => {
        ((y_hat + epsilon::<E>()).ln() * y).sum() * -s
    };
    /// Flux's `binarycrossentropy` of probabilities `ŷ` (a sigmoid output):
    /// `-y ln(ŷ + ϵ) - (1 - y) ln(1 - ŷ + ϵ)`, aggregated over all elements.
    BinaryCrossEntropy binarycrossentropy {} |this, y_hat, y, s| y.len() => {
        let eps = epsilon::<E>();
        let positive = (y_hat.clone() + eps).ln() * y;
        let negative = (y_hat * -E::one() + (E::one() + eps)).ln() * one_minus(y);
        (positive + negative).sum() * -s
    };
    /// Flux's `logitbinarycrossentropy`: `(1 - y)ŷ - ln σ(ŷ)`, aggregated over
    /// all elements. Equal to `binarycrossentropy(σ(ŷ), y)`, but finite for
    /// any scores.
    LogitBinaryCrossEntropy logitbinarycrossentropy {} |this, y_hat, y, s| y.len() => {
        (y_hat.clone() * one_minus(y) + (-y_hat).softplus()).sum() * s
    };
}

/// Flux's `logitcrossentropy`: `-Σ y · logsoftmax(ŷ)` over each column,
/// aggregated over the columns. Equal to `crossentropy(softmax(ŷ), y)`, but
/// finite for any scores: one fused rule
/// ([`typeflux_ad::reverse::rules::softmax::logit_cross_entropy`]),
/// whose gradient is `softmax(ŷ) · Σ y - y` per column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogitCrossEntropy {
    /// How the columns are aggregated, Flux's `agg`.
    pub agg: Aggregate,
}

impl LogitCrossEntropy {
    /// The loss with Flux's defaults.
    pub const fn new() -> Self {
        LogitCrossEntropy {
            agg: Aggregate::Mean,
        }
    }

    /// The same loss with another aggregation, Flux's `agg` keyword.
    #[must_use]
    pub const fn agg(mut self, agg: Aggregate) -> Self {
        self.agg = agg;
        self
    }
}

impl Loss for LogitCrossEntropy {
    #[inline]
    #[track_caller]
    fn loss<P, E, D>(&self, y_hat: P, y: &Tensor<P::Shape, E, D>) -> LossOf<P, E, D>
    where
        P: Operand<E, D>,
        E: Element,
        D: Kernels<E>,
    {
        let s = scale::<E>(self.agg, columns(y.shape()));
        let y_hat = y_hat.operand();
        check_shapes("logitcrossentropy", y_hat.value(), y);
        y_hat.apply(|x| logit_cross_entropy(x, y, s)).finish()
    }
}

/// Flux's `logitcrossentropy` with its defaults (see [`LogitCrossEntropy`]).
#[inline]
#[track_caller]
pub fn logitcrossentropy<P, E, D>(y_hat: P, y: &Tensor<P::Shape, E, D>) -> LossOf<P, E, D>
where
    P: Operand<E, D>,
    E: Element,
    D: Kernels<E>,
{
    LogitCrossEntropy::new().loss(y_hat, y)
}
