//! Normalising each sample's features, Flux's `normalise` and `LayerNorm`.

use crate::activation::{Activation, Identity};
use crate::chain::Link;
use crate::isolate::{Isolated, Split, isolate};
use crate::layer::Layer;
use crate::scale::Scale;
use typeflux_ad::reverse::Identity as Pass;
use typeflux_ad::reverse::rules::arith::{DivLhs, DivRhs, SubLhs, SubRhs};
use typeflux_ad::reverse::rules::reduce::{MeanAlongPullback, MeanPullback, SquaresPullback};
use typeflux_ad::reverse::rules::shape::TransposePullback;
use typeflux_ad::reverse::rules::unary::UnaryPullback;
use typeflux_ad::reverse::{Both, ChainNode, Hole, Join, Member, Pick, Then, Traced};
use typeflux_core::functor::Functor;
use typeflux_core::{Const, Dim, Element, Host, Kernels, Tensor};

/// A tensor whose `N` features can be normalised, sample by sample, to
/// mean 0 and variance 1: `(x - μ) / √(σ² + ε)`, Flux's
/// `normalise(x; dims = 1, eps = ε)`, with `μ` and `σ²` the mean and the
/// (uncorrected) variance of each sample's features. A vector is one
/// sample; a batch has one per column.
///
/// It is written with typeflux-ad's rules on the value behind a hole (see
/// [`isolate`](crate::isolate)), so it differentiates, and a batch is
/// transposed so that each sample's statistics are a reduction along the
/// second axis.
pub trait Normalise<const N: usize>: Sized {
    /// The normalised value, traced.
    type Output: Link;

    /// `x` normalised, with `eps` added to each variance.
    fn normalise(x: Traced<Self, Hole>, eps: f64) -> Self::Output;
}

/// `eps` as an element.
fn lit<E: Element>(eps: f64) -> E {
    E::from_f64(eps).expect("an f64 converts to every element type")
}

/// The node of a vector's features less their mean.
type VectorCentred<const N: usize, E, D> = Join<
    Both<
        SubLhs<Tensor<(Const<N>,), E, D>, Tensor<(), E, D>>,
        SubRhs<Tensor<(Const<N>,), E, D>, Tensor<(), E, D>>,
    >,
    Hole,
    Then<MeanPullback<(Const<N>,), D>, Hole>,
>;

/// The node of the square root of a vector's variance, `ε` added.
type VectorSpread<const N: usize, E, D> = Then<
    UnaryPullback<(), E, D>,
    Then<Pass, Then<SquaresPullback<(Const<N>,), E, D>, VectorCentred<N, E, D>>>,
>;

impl<const N: usize, E: Element, D: Kernels<E>> Normalise<N> for Tensor<(Const<N>,), E, D> {
    type Output = Traced<
        Self,
        Join<
            Both<DivLhs<Self, Tensor<(), E, D>>, DivRhs<Self, Tensor<(), E, D>>>,
            VectorCentred<N, E, D>,
            VectorSpread<N, E, D>,
        >,
    >;

    #[inline]
    fn normalise(x: Traced<Self, Hole>, eps: f64) -> Self::Output {
        let mean = x.clone().mean();
        let centred = x - mean;
        let spread = (centred.clone().mean_squares() + lit::<E>(eps)).sqrt();
        centred / spread
    }
}

/// A batch transposed: samples × features.
type Samples<C, const N: usize, E, D> = Tensor<(C, Const<N>), E, D>;

/// The node of a transposed batch's rows less their means.
type BatchCentred<C, const N: usize, E, D> = Join<
    Both<
        SubLhs<Samples<C, N, E, D>, Tensor<(C,), E, D>>,
        SubRhs<Samples<C, N, E, D>, Tensor<(C,), E, D>>,
    >,
    Then<TransposePullback, Hole>,
    Then<MeanAlongPullback<1, (C, Const<N>), D>, Then<TransposePullback, Hole>>,
>;

/// The node of the square roots of each sample's variance, `ε` added.
type BatchSpread<C, const N: usize, E, D> = Then<
    UnaryPullback<(C,), E, D>,
    Then<
        Pass,
        Then<
            MeanAlongPullback<1, (C, Const<N>), D>,
            Then<UnaryPullback<(C, Const<N>), E, D>, BatchCentred<C, N, E, D>>,
        >,
    >,
>;

impl<const N: usize, C: Dim, E: Element, D: Kernels<E>> Normalise<N>
    for Tensor<(Const<N>, C), E, D>
{
    type Output = Traced<
        Self,
        Then<
            TransposePullback,
            Join<
                Both<
                    DivLhs<Samples<C, N, E, D>, Tensor<(C,), E, D>>,
                    DivRhs<Samples<C, N, E, D>, Tensor<(C,), E, D>>,
                >,
                BatchCentred<C, N, E, D>,
                BatchSpread<C, N, E, D>,
            >,
        >,
    >;

    #[inline]
    fn normalise(x: Traced<Self, Hole>, eps: f64) -> Self::Output {
        let samples = x.transpose();
        let mean = samples.clone().mean_along::<1>();
        let centred = samples - mean;
        let spread = (centred.clone().square().mean_along::<1>() + lit::<E>(eps)).sqrt();
        (centred / spread).transpose()
    }
}

/// What normalising an input `X` of `N` features gives: plain for plain
/// data, traced otherwise.
pub type Normalised<const N: usize, X> = Isolated<X, <<X as Split>::Value as Normalise<N>>::Output>;

/// Flux's `normalise(x; dims = 1, eps)`: each sample's `N` features of a
/// vector or a batch, plain or traced, brought to mean 0 and variance 1.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::normalise::normalise;
///
/// let x = Batch::<2, f64>::from_fn((Const, 3), |[i, j]| (i * 4 + j) as f64);
/// let y = normalise::<2, _>(&x, 0.0);
/// assert_eq!(y.to_vec(), vec![-1.0, 1.0, -1.0, 1.0, -1.0, 1.0]);
/// ```
#[inline]
pub fn normalise<const N: usize, X>(x: X, eps: f64) -> Normalised<N, X>
where
    X: Split,
    X::Value: Normalise<N>,
    ChainNode<X::Node, (Member<<<X::Value as Normalise<N>>::Output as Link>::Node, X::Value>,)>:
        Pick<<<X::Value as Normalise<N>>::Output as Link>::Value>,
{
    isolate(x, |h| X::Value::normalise(h, eps))
}

/// Each sample's `N` features normalised to mean 0 and variance 1, then
/// scaled and shifted by trainable parameters: Flux's `LayerNorm(N, σ)`.
/// `y = σ(scale .* (x - μ) / √(σ² + ε) .+ bias)`, with `μ` and `σ²` the
/// mean and variance of the sample's features and `ε = 1e-5`.
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let norm = LayerNorm::<4>::new(identity);
/// let x = Batch::<4>::from_fn((Const, 3), |[i, j]| (i * i + j) as f32);
/// let y = norm.forward(&x);
/// for column in y.columns() {
///     let mean = column.iter().sum::<f32>() / 4.0;
///     let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
///     assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-3);
/// }
///
/// let t = Batch::<4>::zeros_with((Const, 3));
/// let g = gradient(|m| mse(m.forward(&x), &t), model(&norm));
/// assert_eq!(g.diag.scale.shape(), (Const::<4>,));
/// ```
///
/// The affine part is a [`Scale`] in the field `diag`, as in Flux, so its
/// parameters are `diag.scale` and `diag.bias`. Flux's `affine = false` is
/// a `LayerNorm` whose `diag` is an activation (or any layer):
/// [`from_diag`](Self::from_diag).
#[derive(Clone, Debug, PartialEq, Functor)]
pub struct LayerNorm<const N: usize, L = Scale<N>> {
    /// What is applied to the normalised features: the trainable scale,
    /// bias and activation.
    pub diag: L,
    /// `ε`, added to each variance.
    #[functor(skip)]
    pub eps: f64,
}

impl<const N: usize, E: Element, D: Host> LayerNorm<N, Scale<N, Identity, E, D>> {
    /// Flux's `LayerNorm(N, activation)`: a scale of ones, a bias of zeros,
    /// `ε = 1e-5`.
    pub fn new<A: Activation>(activation: A) -> LayerNorm<N, Scale<N, A, E, D>> {
        LayerNorm::from_diag(Scale::new(activation))
    }
}

impl<const N: usize, L> LayerNorm<N, L> {
    /// A layer that applies `diag` to the normalised features: a [`Scale`],
    /// or, for Flux's `affine = false`, an activation. `ε = 1e-5`.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let plain = LayerNorm::<3, _>::from_diag(identity); // Flux's LayerNorm(3, affine = false)
    /// let y = plain.forward(Vector::<3>::from_array([1.0, 2.0, 3.0]));
    /// assert!((y[2] - 1.2247).abs() < 1e-3);
    /// ```
    pub fn from_diag(diag: L) -> Self {
        LayerNorm { diag, eps: 1e-5 }
    }

    /// The same layer with another `ε`, Flux's `eps` keyword.
    #[must_use]
    pub fn eps(self, eps: f64) -> Self {
        LayerNorm { eps, ..self }
    }
}

/// `diag(normalise(x))` for a vector or a batch of `N` features, plain or
/// traced, with the parameters plain or traced.
impl<const N: usize, L, X> Layer<X> for LayerNorm<N, L>
where
    X: Split,
    X::Value: Normalise<N>,
    ChainNode<X::Node, (Member<<<X::Value as Normalise<N>>::Output as Link>::Node, X::Value>,)>:
        Pick<<<X::Value as Normalise<N>>::Output as Link>::Value>,
    L: Layer<Normalised<N, X>>,
{
    type Output = L::Output;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        self.diag.forward(normalise::<N, X>(x, self.eps))
    }
}
