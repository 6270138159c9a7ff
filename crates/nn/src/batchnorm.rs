//! Batch normalisation, Flux's `BatchNorm`.

use crate::activation::{Activation, Identity};
use crate::chain::Link;
use crate::isolate::{Isolated, Split, isolate};
use crate::layer::Layer;
use crate::mode::Mode;
use crate::state::{Running, State};
use typeflux_ad::reverse::Identity as Pass;
use typeflux_ad::reverse::rules::activation::ActivationPullback;
use typeflux_ad::reverse::rules::arith::{
    AddLhs, AddRhs, DivLhs, DivRhs, MulLhs, MulRhs, SubLhs, SubRhs,
};
use typeflux_ad::reverse::rules::reduce::MeanAlongPullback;
use typeflux_ad::reverse::rules::unary::UnaryPullback;
use typeflux_ad::reverse::{
    Both, ChainNode, Combine, Either, Hole, Join, Member, Node, Param, Pick, Then, Traced,
};
use typeflux_core::functor::Functor;
use typeflux_core::{Const, Cpu, Device, Dim, Element, Host, Kernels, Tensor, TensorKind, Vector};

/// Each of `N` features normalised over the batch, then scaled and
/// shifted: Flux's `BatchNorm(N, σ)`. It takes `N` features × a batch.
///
/// While training, each feature is normalised by the mean `μ` and the
/// (uncorrected) variance `σ²` of its values in the batch,
/// `y = σ(scale .* (x - μ) / √(σ² + ε) .+ bias)`, and the running
/// statistics move towards them: `running_mean ← (1 - m)·running_mean + m·μ`
/// and `running_var ← (1 - m)·running_var + m·σ²·n/(n - 1)`, with the
/// momentum `m = 0.1` and `n` the batch size. Outside training the running
/// statistics take the place of the batch's. `ε = 1e-5`; the scale starts
/// at ones, the bias at zeros, the running mean at zeros and the running
/// variance at ones, as in Flux.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
/// use typeflux_nn::{Adam, Rule, train};
///
/// let mut net = Chain((Dense::<2, 3>::new(identity), BatchNorm::<3>::new(relu), Dense::<3, 1>::new(identity)));
/// let x = Batch::<2>::from_fn((Const, 16), |[i, j]| (i + j) as f32);
/// let y = Batch::<1>::from_fn((Const, 16), |[_, j]| j as f32 / 16.0);
/// let mut opt = Adam::new(0.01).setup(&net);
/// for _ in 0..20 {
///     train(&mut net, &mut opt, [(&x, &y)], |m, x, y| mse(m.forward(x), y));
/// }
/// // Training moved the running mean towards the batch's; a forward pass
/// // outside a gradient normalises with it.
/// assert!(net.0.1.running_mean.0.iter().any(|&m| m != 0.0));
/// let test = net.forward(&x);
/// ```
///
/// Whether it trains is its [`mode`](Self::mode): in [`Mode::Auto`], the
/// default, when the model is differentiated (see [`crate::mode`]). The
/// running statistics are [`State`]: saved and loaded with the weights
/// (`running_mean`, `running_var`), never trained by an optimiser. They are
/// updated by a forward pass of the model traced for a gradient, and stored
/// in the model by [`Optimiser::update`](crate::Optimiser::update) (so by
/// [`train`](crate::train())); a model in train mode run outside a gradient
/// normalises with the batch's statistics but keeps its running ones.
#[derive(Clone, PartialEq, Functor)]
pub struct BatchNorm<
    const N: usize,
    A = Identity,
    E: Element = f32,
    D: Device = Cpu,
    G = Vector<N, E, D>,
    B = Vector<N, E, D>,
    M = State<Vector<N, E, D>>,
    V = State<Vector<N, E, D>>,
    Mo = Mode,
> {
    /// The factor of each normalised feature, Flux's `γ`.
    pub scale: G,
    /// The shift of each normalised feature, Flux's `β`.
    pub bias: B,
    /// The running mean of each feature, Flux's `μ`.
    pub running_mean: M,
    /// The running variance of each feature, Flux's `σ²`.
    pub running_var: V,
    /// Whether the layer trains.
    pub mode: Mo,
    /// The activation, applied last.
    #[functor(skip)]
    pub activation: A,
    /// `ε`, added to each variance.
    #[functor(skip)]
    pub eps: f64,
    /// How far the running statistics move towards each batch's.
    #[functor(skip)]
    pub momentum: f64,
    /// The element type and device of the tensors.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

impl<const N: usize, E: Element, D: Host> BatchNorm<N, Identity, E, D> {
    /// Flux's `BatchNorm(N, activation)`: scale ones, bias zeros, running
    /// mean zeros, running variance ones, `ε = 1e-5`, momentum 0.1, in
    /// [`Mode::Auto`].
    pub fn new<A: Activation>(activation: A) -> BatchNorm<N, A, E, D> {
        BatchNorm {
            scale: Tensor::ones(),
            bias: Tensor::zeros(),
            running_mean: State(Tensor::zeros()),
            running_var: State(Tensor::ones()),
            mode: Mode::Auto,
            activation,
            eps: 1e-5,
            momentum: 0.1,
            kind: TensorKind::new(),
        }
    }
}

impl<const N: usize, A, E: Element, D: Device> BatchNorm<N, A, E, D> {
    /// The same layer with another `ε`, Flux's `eps` keyword.
    #[must_use]
    pub fn eps(self, eps: f64) -> Self {
        BatchNorm { eps, ..self }
    }

    /// The same layer with another momentum, Flux's `momentum` keyword.
    #[must_use]
    pub fn momentum(self, momentum: f64) -> Self {
        BatchNorm { momentum, ..self }
    }
}

/// A batch of `N` features, and one value per feature.
type Features<const N: usize, C, E, D> = Tensor<(Const<N>, C), E, D>;
type PerFeature<const N: usize, E, D> = Tensor<(Const<N>,), E, D>;

/// The node of the batch less each feature's mean.
type Centred<const N: usize, C, E, D> = Join<
    Both<
        SubLhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
        SubRhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
    >,
    Hole,
    Then<MeanAlongPullback<1, (Const<N>, C), D>, Hole>,
>;

/// The node of each feature's standard deviation in the batch, `ε` added.
type Spread<const N: usize, C, E, D> = Then<
    UnaryPullback<(Const<N>,), E, D>,
    Then<
        Pass,
        Then<
            MeanAlongPullback<1, (Const<N>, C), D>,
            Then<UnaryPullback<(Const<N>, C), E, D>, Centred<N, C, E, D>>,
        >,
    >,
>;

/// The node of the batch normalised by its own statistics (training).
type ByBatch<const N: usize, C, E, D> = Join<
    Both<
        DivLhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
        DivRhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
    >,
    Centred<N, C, E, D>,
    Spread<N, C, E, D>,
>;

/// The node of the batch normalised by the running statistics (testing).
type ByRunning<const N: usize, C, E, D> = Then<
    DivLhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
    Then<SubLhs<Features<N, C, E, D>, PerFeature<N, E, D>>, Hole>,
>;

/// The node of the normalised batch, either way.
type Normalised<const N: usize, C, E, D> = Either<ByBatch<N, C, E, D>, ByRunning<N, C, E, D>>;

/// The node after the scale.
type Scaled<const N: usize, C, E, D, G> =
    <Normalised<N, C, E, D> as Combine<<G as Param>::Node>>::Join<
        MulLhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
        MulRhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
    >;

/// The node after the bias and the activation.
type Activated<const N: usize, C, A, E, D, G, B> =
    <<Scaled<N, C, E, D, G> as Combine<<B as Param>::Node>>::Join<
        AddLhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
        AddRhs<Features<N, C, E, D>, PerFeature<N, E, D>>,
    > as Node>::Then<ActivationPullback<A, (Const<N>, C), E, D>>;

/// What a `BatchNorm` computes behind the hole.
pub type BatchNormed<const N: usize, C, A, E, D, G, B> =
    Traced<Features<N, C, E, D>, Activated<N, C, A, E, D, G, B>>;

/// `E` from an `f64`.
fn lit<E: Element>(x: f64) -> E {
    E::from_f64(x).expect("an f64 converts to every element type")
}

/// Normalisation of `N` features × a batch, plain or traced, by the
/// batch's statistics while training and by the running ones otherwise.
impl<const N: usize, A, E0, D0, E, D, C, G, B, M, V, X> Layer<X>
    for BatchNorm<N, A, E0, D0, G, B, M, V, Mode>
where
    A: Activation,
    E0: Element,
    D0: Device,
    E: Element,
    D: Kernels<E>,
    C: Dim,
    X: Split<Value = Features<N, C, E, D>>,
    G: Param<Value = PerFeature<N, E, D>>,
    B: Param<Value = PerFeature<N, E, D>>,
    M: Running<PerFeature<N, E, D>>,
    V: Running<PerFeature<N, E, D>>,
    Normalised<N, C, E, D>: Combine<G::Node>,
    Scaled<N, C, E, D, G>: Combine<B::Node>,
    ChainNode<X::Node, (Member<<BatchNormed<N, C, A, E, D, G, B> as Link>::Node, X::Value>,)>:
        Pick<Features<N, C, E, D>>,
{
    type Output = Isolated<X, BatchNormed<N, C, A, E, D, G, B>>;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        isolate(x, |x| {
            let eps = lit::<E>(self.eps);
            let normalised = if self.mode.trains() {
                let batch = x.value().shape().1.size();
                let mean = x.clone().mean_along::<1>();
                let batch_mean = mean.value().clone();
                let centred = x - mean;
                let var = centred.clone().square().mean_along::<1>();
                self.track(batch_mean, var.value().clone(), batch);
                (centred / (var + eps).sqrt()).left()
            } else {
                let spread = (self.running_var.get() + eps).sqrt();
                ((x - self.running_mean.get()) / spread).right()
            };
            (normalised * self.scale.traced() + self.bias.traced()).activate(self.activation)
        })
    }
}

impl<const N: usize, A, E0: Element, D0: Device, G, B, M, V, Mo>
    BatchNorm<N, A, E0, D0, G, B, M, V, Mo>
{
    /// Moves the running statistics towards a batch of `n` samples whose
    /// mean and variance are `mean` and `var`.
    fn track<E: Element, D: Kernels<E>>(
        &self,
        mean: PerFeature<N, E, D>,
        var: PerFeature<N, E, D>,
        n: usize,
    ) where
        M: Running<PerFeature<N, E, D>>,
        V: Running<PerFeature<N, E, D>>,
    {
        let m = self.momentum;
        // The variance of the population, as Flux keeps it; a batch of one
        // says nothing about it, and is taken as it is.
        let unbiased = if n > 1 {
            n as f64 / (n as f64 - 1.0)
        } else {
            1.0
        };
        let keep = lit::<E>(1.0 - m);
        self.running_mean
            .set(self.running_mean.get() * keep + &(mean * lit::<E>(m)));
        self.running_var
            .set(self.running_var.get() * keep + &(var * lit::<E>(m * unbiased)));
    }
}

/// The parameters, the running statistics, the mode and the settings, as
/// a derived `Debug` would print them.
impl<const N: usize, A, E: Element, D: Device, G, B, M, V, Mo> core::fmt::Debug
    for BatchNorm<N, A, E, D, G, B, M, V, Mo>
where
    A: core::fmt::Debug,
    G: core::fmt::Debug,
    B: core::fmt::Debug,
    M: core::fmt::Debug,
    V: core::fmt::Debug,
    Mo: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BatchNorm")
            .field("scale", &self.scale)
            .field("bias", &self.bias)
            .field("running_mean", &self.running_mean)
            .field("running_var", &self.running_var)
            .field("mode", &self.mode)
            .field("activation", &self.activation)
            .field("eps", &self.eps)
            .field("momentum", &self.momentum)
            .finish()
    }
}
