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
//! Flux's keywords are the fields of a loss's struct, each set by a method
//! of its name: `HuberLoss::new().delta(0.5).agg(Aggregate::Sum).loss(&ŷ, &y)`.
//! By default a loss is a mean ([`Aggregate::Mean`]), and `eps`, which keeps
//! logarithms of probabilities finite, is the machine epsilon of the element
//! type (Flux's `epseltype(ŷ)`); the lowercase functions ([`mse`],
//! [`focal_loss`], ...) are the losses with Flux's defaults.
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
//! let sum = HuberLoss::new().delta(0.5).agg(Aggregate::Sum);
//! assert!((sum.loss(&y_hat, &y).item() - 0.66).abs() < 1e-12);
//!
//! // The gradient with respect to the prediction, by reverse mode:
//! let g = typeflux_ad::gradient(|y_hat| mse(y_hat, &y), &y_hat);
//! assert!((g[1] - 2.0 * (0.1 - 1.0) / 4.0).abs() < 1e-12);
//! ```
//!
//! | kind | losses |
//! |---|---|
//! | regression | [`mse`], [`mae`], [`msle`], [`huber_loss`], [`poisson_loss`] |
//! | distributions over the features | [`crossentropy`], [`logitcrossentropy`], [`kldivergence`], [`focal_loss`] |
//! | binary labels | [`binarycrossentropy`], [`logitbinarycrossentropy`], [`binary_focal_loss`], [`hinge_loss`], [`squared_hinge_loss`] |
//! | segmentation | [`dice_coeff_loss`], [`tversky_loss`] |
//! | pairs | [`siamese_contrastive_loss`] |
//!
//! The losses over distributions treat each column (each sample of a
//! batch) as one distribution over the features: they sum over the features
//! and aggregate over the columns. That is Flux's default `dims = 1` in the
//! features × batch layout, which typeflux's types fix, so these losses
//! have no `dims` field; distributions along the rows are transposed first.
//! The `logit` forms take unnormalised scores and stay finite for any
//! finite score. [`dice_coeff_loss`] and [`tversky_loss`] are one number
//! for the whole batch, as in Flux, and have no `agg`.
//!
//! Every term `y · ln p` is Flux's [`xlogy`]`(y, p)`: 0 where `y = 0`,
//! whatever `p` is, so that a class a target rules out costs nothing even
//! where its probability is 0 and `eps` is 0. A NaN anywhere in the
//! prediction makes the loss NaN, and its gradient there NaN.
//!
//! [`label_smoothing`] softens one-hot targets, and [`xlogx`] and
//! [`xlogy`] are Flux's functions of that name for numbers of any type.

use num_traits::Float;
use typeflux_ad::reverse::rules::reduce::GradientPullback;
use typeflux_ad::reverse::rules::softmax::logit_cross_entropy;
use typeflux_ad::reverse::{Backward, Hole, Node, Operand, Traced, WithHole};
use typeflux_core::elementwise::Math;
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
    E::from_f64(x).expect("an f64 converts to every element type")
}

/// Flux's `eps`: the value set, or `eps(eltype(ŷ))`, the machine epsilon
/// of the element type, which keeps `ln(ŷ + ϵ)` finite at `ŷ = 0`.
#[inline(always)]
fn epsilon<E: Element>(eps: Option<f64>) -> E {
    eps.map_or_else(|| E::from(E::Primitive::epsilon()), lit)
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

/// What `ln(p + shift) · y` adds to `p` to be Flux's `xlogy(y, p + ϵ)`:
/// `ϵ` where `y ≠ 0`, and `1 + ϵ` where `y = 0`, where the term is then
/// `0 · ln(p + 1 + ϵ) = 0` for every probability `p`, and so is its
/// derivative. `1 - sign(y)²` marks the zeros, on any device; `ϵ` is
/// added to it, not to its 1, so that it stays exact where `y ≠ 0`.
#[inline]
fn log_shift<S: Shape, E: Element, D: Kernels<E>>(y: &Tensor<S, E, D>, eps: E) -> Tensor<S, E, D> {
    one_minus(&y.sign().square()) + eps
}

/// `Σ xlogx(y)`, the negative entropy of constant targets.
#[inline]
fn sum_xlogx<S: Shape, E: Element, D: Kernels<E>>(y: &Tensor<S, E, D>) -> E {
    ((y + &log_shift(y, E::zero())).ln() * y).sum()
}

/// `bᵍ`, elementwise, for a traced `b` in `[0, 1]` and `g ≥ 0`:
/// `exp(g · ln max(b, tiny))` with `tiny` the smallest positive normal
/// number, so that value and gradient are finite at `b = 0` and `b⁰ = 1`.
macro_rules! power {
    ($b:expr, $g:expr) => {{
        let tiny = E::from(E::Primitive::min_positive_value());
        ((($b - tiny).relu() + tiny).ln() * lit::<E>($g)).exp()
    }};
}

/// A keyword's setter: it takes the field's type, or, for a field written
/// `name: Option<f64> = None; Some(f64)`, the value inside the `Some`.
macro_rules! setter {
    ($field:ident: $fty:ty) => {
        #[doc = concat!("The same loss with another `", stringify!($field), "`.")]
        #[must_use]
        pub const fn $field(mut self, $field: $fty) -> Self {
            self.$field = $field;
            self
        }
    };
    ($field:ident: $fty:ty; $wrap:ident($sty:ty)) => {
        #[doc = concat!("The same loss with another `", stringify!($field), "`.")]
        #[must_use]
        pub const fn $field(mut self, $field: $sty) -> Self {
            self.$field = $wrap($field);
            self
        }
    };
}

/// The losses: per loss its struct of Flux's keywords (each with a setter
/// of its name), its `Loss` impl from one traced expression of the
/// prediction `y_hat`, the target `y` and the settings `this`, and its
/// lowercase function with Flux's defaults.
macro_rules! losses {
    ($(
        $(#[$doc:meta])*
        $Type:ident $name:ident {
            $(
                $(#[$fdoc:meta])*
                $field:ident: $fty:ty = $default:expr $(; $wrap:ident($sty:ty))?,
            )*
        }
        |$this:ident, $y_hat:ident, $y:ident| $body:expr;
    )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $Type {
            $(
                $(#[$fdoc])*
                pub $field: $fty,
            )*
        }

        impl $Type {
            /// The loss with Flux's defaults.
            pub const fn new() -> Self {
                $Type {
                    $($field: $default,)*
                }
            }

            $(setter!($field: $fty $(; $wrap($sty))?);)*
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
                let ($this, $y) = (self, y);
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
    Mse mse {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
    }
    |this, y_hat, y| (y_hat - y).sum_squares() * scale::<E>(this.agg, y.len());

    /// Mean absolute error, Flux's `mae`: `agg(|ŷ - y|)`; its derivative at
    /// `ŷ = y` is 0.
    Mae mae {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
    }
    |this, y_hat, y| (y_hat - y).abs().sum() * scale::<E>(this.agg, y.len());

    /// Mean squared logarithmic error, Flux's `msle`:
    /// `agg(ln((ŷ + ϵ) / (y + ϵ))²)`, for positive predictions and targets
    /// whose ratio matters more than their difference.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let y_hat = Vector::<2, f64>::from_array([2.0, 100.0]);
    /// let y = Vector::<2, f64>::from_array([1.0, 50.0]); // both off by a factor of 2
    /// let l = msle(&y_hat, &y).item();
    /// assert!((l - 2f64.ln().powi(2)).abs() < 1e-12);
    /// ```
    Msle msle {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
        /// Flux's `eps`, added to both sides of the ratio; `None` is the
        /// machine epsilon of the element type.
        eps: Option<f64> = None; Some(f64),
    }
    |this, y_hat, y| {
        let eps = epsilon::<E>(this.eps);
        ((y_hat + eps) / (y + eps)).ln().sum_squares() * scale::<E>(this.agg, y.len())
    };

    /// Flux's `huber_loss`: `½(ŷ - y)²` where `|ŷ - y| < δ`, and
    /// `δ(|ŷ - y| - ½δ)` elsewhere, aggregated.
    HuberLoss huber_loss {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
        /// Flux's `delta`, where the square turns into a line.
        delta: f64 = 1.0,
    }
    |this, y_hat, y| {
        // With a = |ŷ - y| and r = relu(a - δ): ½(a - r)² + δr.
        let delta = lit::<E>(this.delta);
        let a = (y_hat - y).abs();
        let r = (a.clone() - delta).relu();
        ((a - r.clone()).square() * lit::<E>(0.5) + r * delta).sum() * scale::<E>(this.agg, y.len())
    };

    /// Flux's `poisson_loss`, the negative log-likelihood of counts `y`
    /// under Poisson rates `ŷ` (up to a term of `y` alone):
    /// `agg(ŷ - xlogy(y, ŷ))`.
    PoissonLoss poisson_loss {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
    }
    |this, y_hat, y| {
        let log_rate = (y_hat.clone() + log_shift(y, E::zero())).ln() * y;
        (y_hat - log_rate).sum() * scale::<E>(this.agg, y.len())
    };

    /// Flux's `crossentropy` of probabilities `ŷ` (a softmax output) against
    /// `y`: `-Σ xlogy(y, ŷ + ϵ)` over each column, aggregated over the
    /// columns.
    CrossEntropy crossentropy {
        /// How the columns become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
        /// Flux's `eps`, added to the probabilities; `None` is the machine
        /// epsilon of the element type.
        eps: Option<f64> = None; Some(f64),
    }
    |this, y_hat, y| {
        let eps = epsilon::<E>(this.eps);
        ((y_hat + log_shift(y, eps)).ln() * y).sum() * -scale::<E>(this.agg, columns(y.shape()))
    };

    /// Flux's `kldivergence`, the Kullback–Leibler divergence of the
    /// distribution `ŷ` from the distribution `y`: `Σ xlogx(y) -
    /// xlogy(y, ŷ + ϵ)` over each column, aggregated over the columns. It
    /// is 0 for `ŷ = y` and positive elsewhere.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let p = Vector::<3, f64>::from_array([0.5, 0.5, 0.0]);
    /// assert!(kldivergence(&p, &p).item().abs() < 1e-12);
    /// let q = Vector::<3, f64>::from_array([0.25, 0.25, 0.5]);
    /// assert!((kldivergence(&q, &p).item() - 2f64.ln()).abs() < 1e-12);
    /// ```
    KlDivergence kldivergence {
        /// How the columns become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
        /// Flux's `eps`, added to the probabilities `ŷ`; `None` is the
        /// machine epsilon of the element type.
        eps: Option<f64> = None; Some(f64),
    }
    |this, y_hat, y| {
        let (eps, s) = (epsilon::<E>(this.eps), scale::<E>(this.agg, columns(y.shape())));
        let entropy = sum_xlogx(y) * s;
        ((y_hat + log_shift(y, eps)).ln() * y).sum() * -s + entropy
    };

    /// Flux's `focal_loss` of probabilities `ŷ` (a softmax output) against
    /// `y`: the cross-entropy with each term weighted by `(1 - ŷ - ϵ)ᵞ`,
    /// `-Σ (1 - ŷ - ϵ)ᵞ xlogy(y, ŷ + ϵ)` over each column, aggregated over
    /// the columns, so that classes already predicted well count less.
    /// `γ = 0` is [`crossentropy`].
    ///
    /// The weight is computed as `exp(γ · ln max(1 - ŷ - ϵ, tiny))`, `tiny`
    /// the smallest positive normal number: finite in value and gradient
    /// for every probability, exact to rounding elsewhere.
    FocalLoss focal_loss {
        /// How the columns become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
        /// Flux's `gamma` (`γ ≥ 0`), the power of the weight.
        gamma: f64 = 2.0,
        /// Flux's `eps`, added to the probabilities; `None` is the machine
        /// epsilon of the element type.
        eps: Option<f64> = None; Some(f64),
    }
    |this, y_hat, y| {
        let (eps, s) = (epsilon::<E>(this.eps), scale::<E>(this.agg, columns(y.shape())));
        let weight = power!(-y_hat.clone() + (E::one() - eps), this.gamma);
        let log_likelihood = (y_hat + log_shift(y, eps)).ln() * y;
        (weight * log_likelihood).sum() * -s
    };

    /// Flux's `binarycrossentropy` of probabilities `ŷ` (a sigmoid output):
    /// `-xlogy(y, ŷ + ϵ) - xlogy(1 - y, 1 - ŷ + ϵ)`, aggregated over all
    /// elements.
    BinaryCrossEntropy binarycrossentropy {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
        /// Flux's `eps`, added inside both logarithms; `None` is the machine
        /// epsilon of the element type.
        eps: Option<f64> = None; Some(f64),
    }
    |this, y_hat, y| {
        let eps = epsilon::<E>(this.eps);
        let not_y = one_minus(y);
        let positive = (y_hat.clone() + log_shift(y, eps)).ln() * y;
        let negative = (-y_hat + (log_shift(&not_y, eps) + E::one())).ln() * not_y;
        (positive + negative).sum() * -scale::<E>(this.agg, y.len())
    };

    /// Flux's `logitbinarycrossentropy`: `(1 - y)ŷ - ln σ(ŷ)`, aggregated over
    /// all elements. Equal to `binarycrossentropy(σ(ŷ), y)`, but finite for
    /// any scores.
    LogitBinaryCrossEntropy logitbinarycrossentropy {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
    }
    |this, y_hat, y| {
        (y_hat.clone() * one_minus(y) + (-y_hat).softplus()).sum() * scale::<E>(this.agg, y.len())
    };

    /// Flux's `binary_focal_loss` of probabilities `ŷ` (a sigmoid output):
    /// with `pₜ = yŷ + (1 - y)(1 - ŷ)`, the probability given to the true
    /// label, `-(1 - pₜ)ᵞ ln(pₜ + ϵ)`, aggregated over all elements, so that
    /// labels already predicted well count less. For labels 0 and 1,
    /// `γ = 0` is [`binarycrossentropy`].
    ///
    /// `ϵ` is added to `pₜ`, inside the logarithm, as `binarycrossentropy`
    /// adds it; Flux adds it to `ŷ` before forming `pₜ`, which differs by
    /// a few `ϵ` and leaves `ln(-ϵ)` for the label 0 at `ŷ = 1` (a sigmoid
    /// saturated in `f32`). The weight is computed as in [`FocalLoss`].
    BinaryFocalLoss binary_focal_loss {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
        /// Flux's `gamma` (`γ ≥ 0`), the power of the weight.
        gamma: f64 = 2.0,
        /// Flux's `eps`, added inside the logarithm; `None` is the machine
        /// epsilon of the element type.
        eps: Option<f64> = None; Some(f64),
    }
    |this, y_hat, y| {
        let eps = epsilon::<E>(this.eps);
        // pₜ = (2y - 1)ŷ + (1 - y).
        let p_t = y_hat * (y * lit::<E>(2.0) - E::one()) + one_minus(y);
        let weight = power!(-p_t.clone() + E::one(), this.gamma);
        (weight * (p_t + eps).ln()).sum() * -scale::<E>(this.agg, y.len())
    };

    /// Flux's `hinge_loss` of scores `ŷ` against labels `y` of `-1` and
    /// `1`: `agg(max(0, 1 - ŷy))`.
    HingeLoss hinge_loss {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
    }
    |this, y_hat, y| (-(y_hat * y) + E::one()).relu().sum() * scale::<E>(this.agg, y.len());

    /// Flux's `squared_hinge_loss` of scores `ŷ` against labels `y` of `-1`
    /// and `1`: `agg(max(0, 1 - ŷy)²)`.
    SquaredHingeLoss squared_hinge_loss {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
    }
    |this, y_hat, y| {
        (-(y_hat * y) + E::one()).relu().sum_squares() * scale::<E>(this.agg, y.len())
    };

    /// Flux's `dice_coeff_loss`, for segmentation masks: `1 - (2Σyŷ + s) /
    /// (Σy² + Σŷ² + s)` over the whole batch, with the smoothing `s`.
    DiceCoeffLoss dice_coeff_loss {
        /// Flux's `smooth`, added above and below the fraction.
        smooth: f64 = 1.0,
    }
    |this, y_hat, y| {
        let smooth = lit::<E>(this.smooth);
        let overlap = (y_hat.clone() * y).sum() * lit::<E>(2.0) + smooth;
        let total = y_hat.sum_squares() + (y.square().sum() + smooth);
        -(overlap / total) + E::one()
    };

    /// Flux's `tversky_loss`, for segmentation masks: `1 - (Σyŷ + 1) /
    /// (Σyŷ + β·Σ(1 - y)ŷ + (1 - β)·Σy(1 - ŷ) + 1)` over the whole batch:
    /// `β` weighs false positives, `1 - β` false negatives.
    TverskyLoss tversky_loss {
        /// Flux's `beta`, the weight of false positives.
        beta: f64 = 0.7,
    }
    |this, y_hat, y| {
        // The denominator's sum is β·Σŷ + (1 - β)·Σy: the terms in yŷ cancel.
        let beta = lit::<E>(this.beta);
        let overlap = (y_hat.clone() * y).sum() + E::one();
        let total = y_hat.sum() * beta + ((E::one() - beta) * y.sum() + E::one());
        -(overlap / total) + E::one()
    };

    /// Flux's `siamese_contrastive_loss` of distances `ŷ` between the two
    /// members of pairs, against `y`, 0 for a pair alike and 1 for a pair
    /// unlike: `agg((1 - y)ŷ² + y·max(0, margin - ŷ)²)`. Pairs alike are
    /// pulled together, pairs unlike pushed at least `margin` apart.
    ///
    /// # Panics
    /// When `margin` is negative (or NaN), as Flux throws a `DomainError`.
    SiameseContrastiveLoss siamese_contrastive_loss {
        /// How the terms become one number, Flux's `agg`.
        agg: Aggregate = Aggregate::Mean,
        /// Flux's `margin` (`≥ 0`), the distance beyond which a pair unlike
        /// costs nothing.
        margin: f64 = 1.0,
    }
    |this, y_hat, y| {
        assert!(
            this.margin >= 0.0,
            "siamese_contrastive_loss: margin {} is not ≥ 0",
            this.margin
        );
        let alike = y_hat.clone().square() * one_minus(y);
        let unlike = (-y_hat + lit::<E>(this.margin)).relu().square() * y;
        (alike + unlike).sum() * scale::<E>(this.agg, y.len())
    };
}

/// Flux's `logitcrossentropy`: `-Σ y · logsoftmax(ŷ)` over each column,
/// aggregated over the columns. Equal to `crossentropy(softmax(ŷ), y)`, but
/// finite for any scores: one fused rule
/// ([`typeflux_ad::reverse::rules::softmax::logit_cross_entropy`]),
/// whose gradient is `softmax(ŷ) · Σ y - y` per column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LogitCrossEntropy {
    /// How the columns become one number, Flux's `agg`.
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

/// Flux's `label_smoothing`: targets moved a fraction `alpha` of the way
/// toward the uniform distribution, `y·(1 - α) + α/n`, which keeps a model
/// trained on them from growing ever more confident. With `dims = 1`
/// (Flux's default) `y` holds one distribution per column and `n` is the
/// number of features (classes); with `dims = 0` each element is the
/// probability of a binary label and `n = 2`.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::loss::{LabelSmoothing, label_smoothing};
///
/// let onehot = Matrix::<2, 1, f64>::from_array([[0.0], [1.0]]);
/// assert_eq!(label_smoothing(&onehot, 0.2).to_vec(), vec![0.1, 0.9]);
///
/// let labels = Vector::<3, f64>::from_array([1.0, 0.0, 1.0]);
/// let soft = LabelSmoothing::new(0.2).dims(0).smooth(&labels);
/// assert_eq!(soft.to_vec(), vec![0.9, 0.1, 0.9]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelSmoothing {
    /// Flux's `α`, the fraction moved toward uniform, in `(0, 1)`.
    pub alpha: f64,
    /// Flux's `dims`: 1 for distributions along the features, 0 for binary
    /// labels.
    pub dims: usize,
}

impl LabelSmoothing {
    /// Smoothing by `alpha`, with Flux's default `dims = 1`.
    pub const fn new(alpha: f64) -> Self {
        LabelSmoothing { alpha, dims: 1 }
    }

    /// The same smoothing with another `dims`.
    #[must_use]
    pub const fn dims(mut self, dims: usize) -> Self {
        self.dims = dims;
        self
    }

    /// The smoothed targets.
    ///
    /// # Panics
    /// When `alpha` is not strictly between 0 and 1, or `dims` is neither
    /// 0 nor 1 (Flux's `ArgumentError`s).
    #[track_caller]
    pub fn smooth<S: Shape, E: Element, D: Kernels<E>>(
        &self,
        y: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        let alpha = self.alpha;
        assert!(
            0.0 < alpha && alpha < 1.0,
            "label_smoothing: α = {alpha} is not between 0 and 1"
        );
        let classes = match self.dims {
            0 => 2,
            1 => y.shape().dims()[0],
            dims => panic!(
                "label_smoothing: dims = {dims}, which should be 0 (binary labels) or 1 \
                 (distributions along the features)"
            ),
        };
        y * lit::<E>(1.0 - alpha) + lit::<E>(alpha / classes as f64)
    }
}

/// Flux's `label_smoothing(y, α)`: each column of `y` moved a fraction
/// `alpha` toward the uniform distribution (see [`LabelSmoothing`]).
///
/// # Panics
/// When `alpha` is not strictly between 0 and 1.
#[track_caller]
pub fn label_smoothing<S: Shape, E: Element, D: Kernels<E>>(
    y: &Tensor<S, E, D>,
    alpha: f64,
) -> Tensor<S, E, D> {
    LabelSmoothing::new(alpha).smooth(y)
}

/// `x · ln x`, and 0 at `x = 0`: Flux's `xlogx`, for a number of any type
/// (`f32`, `f64`, dual numbers, the tape's variables); `map` it over a
/// tensor. NaN for `x < 0` and for NaN. Its derivative at 0 is taken as 0.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::loss::xlogx;
///
/// assert_eq!(xlogx(0.0f64), 0.0);
/// assert_eq!(xlogx(2.0f64), 2.0 * 2f64.ln());
/// let p = Vector::<3, f64>::from_array([0.5, 0.5, 0.0]);
/// let entropy = -p.map(xlogx).sum();
/// assert!((entropy - 2f64.ln()).abs() < 1e-15);
/// ```
#[inline]
pub fn xlogx<T: Math>(x: T) -> T {
    xlogy(x, x)
}

/// `x · ln y`, and 0 at `x = 0` for any `y` but NaN: Flux's `xlogy`, the
/// term of a cross-entropy, for numbers of any type; `zip_map` it over two
/// tensors. NaN where `x` or `y` is NaN (Flux gives 0 for `xlogy(0, NaN)`;
/// here a NaN always propagates, as through every operation of typeflux).
///
/// ```
/// use typeflux_core::num_dual::Dual64;
/// use typeflux_core::prelude::*;
/// use typeflux_nn::loss::xlogy;
///
/// assert_eq!(xlogy(0.0f64, 0.0), 0.0);
/// assert_eq!(xlogy(2.0f64, 3.0), 2.0 * 3f64.ln());
/// // ∂/∂y x·ln y = x / y, by forward mode:
/// assert_eq!(xlogy(Dual64::from(2.0), Dual64::new(4.0, 1.0)).eps, 0.5);
///
/// let y = Vector::<2, f64>::from_array([1.0, 0.0]);
/// let p = Vector::<2, f64>::from_array([0.25, 0.0]);
/// assert_eq!(y.zip_map(&p, xlogy).to_vec(), vec![0.25f64.ln(), 0.0]);
/// ```
#[inline]
pub fn xlogy<T: Math>(x: T, y: T) -> T {
    let zero = T::lit(0.0);
    let product = move || x * y.ln();
    // x = 0 (or NaN) and y ≤ 0 (or NaN): 0, or NaN from a NaN.
    let at_zero = move || x * y * zero;
    T::select(x.lt(zero), product, || {
        T::select(x.gt(zero), product, || {
            T::select(y.gt(zero), product, at_zero)
        })
    })
}
