//! The fully connected layer, Flux's `Dense`.

use crate::activation::{Activation, Identity};
use crate::fused::{self, ChainRun, DenseLink, Running};
use crate::init::{glorot_uniform, with_default_rng};
use crate::layer::Layer;
use rand::Rng;
use rand::rngs::StdRng;
use typeflux_ad::reverse::rules::dense::{self, Columns, DenseNode};
use typeflux_ad::reverse::rules::dense_chain::{ChainPart, ChainTape, Flat};
use typeflux_ad::reverse::{Node, Operand, Optional, Param, Traced};
use typeflux_core::dense_chain::{ChainLayer, ChainParams};
use typeflux_core::functor::Functor;
use typeflux_core::{Const, Cpu, Device, Element, Host, Kernels, Tensor, TensorKind};

/// `y = activation(W·x .+ b)`: `I` input features to `O` output features.
///
/// The sizes are part of the type, so a `Dense<10, 5>` accepts only inputs of
/// 10 features: a vector `(Const<10>,)` or a batch `(Const<10>, B)`, `B` a
/// [`Const`] or a `usize` known at run time. The output has 5 features and
/// the same batch.
///
/// The weight is `O × I`, as in Flux (`W*x`); the bias is optional and, when
/// absent, is neither stored nor trained. The activation is a zero-sized type
/// such as [`sigmoid`](crate::activation::sigmoid).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// // Flux's `Dense(10 => 2, identity, init = ones)`.
/// let layer = Dense::<10, 2>::new(identity).init(ones);
/// let mut x = Matrix::<10, 2>::ones();
/// x.as_mut_slice()[10..].fill(2.0); // columns ones(10) and 2·ones(10)
/// assert_eq!(layer.forward(&x).to_vec(), vec![10.0, 10.0, 20.0, 20.0]);
/// ```
///
/// The gradient of a `Dense` is a `Dense`: differentiated with respect to
/// the layer (`gradient(|m| loss(m.forward(&x), &y), model(&layer))`), the
/// function receives the layer with its weight and bias traced (the type
/// parameters `W` and `B`, which are the plain tensors otherwise), and the
/// gradient comes back as a `Dense` whose `weight` and `bias` hold the
/// gradients of the loss. The forward pass is one rule of typeflux-ad
/// ([`rules::dense`](typeflux_ad::reverse::rules::dense)): product, bias and
/// activation forwards, and their pullback, fused.
///
/// The device is the last type parameter; `to_device` (from the derive's
/// [`ToDevice`](typeflux_core::ToDevice)) copies the layer to another:
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let layer = Dense::<10, 5>::new(sigmoid);
/// let on_stack: Dense<10, 5, Sigmoid, f32, Stack> = layer.to_device(&Stack);
/// let x = Vector::<10>::ones();
/// assert_eq!(on_stack.forward(&x.to_device(&Stack)).to_device(&Cpu), layer.forward(&x));
/// ```
#[derive(Clone, PartialEq, Functor)]
pub struct Dense<
    const I: usize,
    const O: usize,
    A = Identity,
    E: Element = f32,
    D: Device = Cpu,
    W = Weight<I, O, E, D>,
    B = Option<Bias<O, E, D>>,
> {
    /// The `O × I` weight matrix.
    pub weight: W,
    /// The bias, added to every column; `None` for a layer without one.
    pub bias: B,
    /// The activation, applied after the bias.
    #[functor(skip)]
    pub activation: A,
    /// The element type and device of the tensors.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

impl<const I: usize, const O: usize, E: Element, D: Host> Dense<I, O, Identity, E, D> {
    /// Flux's `Dense(I => O, activation)`: weights drawn with
    /// [`glorot_uniform`] from this thread's default generator (see
    /// [`init`](crate::init)), and a bias of zeros.
    ///
    /// ```
    /// use typeflux_nn::prelude::*;
    ///
    /// let layer = Dense::<10, 5>::new(sigmoid);
    /// assert!(layer.weight.iter().all(|w| w.abs() <= (6.0f32 / 15.0).sqrt()));
    /// assert_eq!(layer.bias.unwrap().to_vec(), vec![0.0; 5]);
    /// ```
    ///
    /// Elements other than `f32` are picked by the type the result is given:
    /// `let layer: Dense<10, 5, Sigmoid, f64> = Dense::new(sigmoid);`.
    pub fn new<A: Activation>(activation: A) -> Dense<I, O, A, E, D> {
        Dense {
            weight: with_default_rng(glorot_uniform),
            bias: Some(Tensor::zeros()),
            activation,
            kind: TensorKind::new(),
        }
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Device> Dense<I, O, A, E, D> {
    /// A layer with a known weight and bias: `bias` is a vector, `None` for
    /// a layer without one, or `true`/`false` (see [`IntoBias`]).
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let w = Matrix::<1, 2>::from_array([[3.0, 4.0]]);
    /// let layer = Dense::from_parts(w, Vector::<1>::from_array([1.0]), identity);
    /// assert_eq!(layer.forward(Vector::<2>::ones()).to_vec(), vec![8.0]);
    /// ```
    pub fn from_parts(
        weight: Weight<I, O, E, D>,
        bias: impl IntoBias<O, E, D>,
        activation: A,
    ) -> Self {
        Dense {
            weight,
            bias: bias.into_bias(),
            activation,
            kind: TensorKind::new(),
        }
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Device, W, B> Dense<I, O, A, E, D, W, B> {
    /// The same layer holding `weight` in place of its own: a
    /// [`Tied`](crate::tied::Tied) weight that another layer holds too.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let weight = Tied::new(Matrix::<2, 2>::ones());
    /// let a = Dense::<2, 2>::new(identity).with_weight(weight.clone());
    /// let b = Dense::<2, 2>::new(relu).with_weight(weight);
    /// assert!(Tied::ptr_eq(&a.weight, &b.weight));
    /// ```
    pub fn with_weight<W2: Param<Value = Weight<I, O, E, D>>>(
        self,
        weight: W2,
    ) -> Dense<I, O, A, E, D, W2, B> {
        Dense {
            weight,
            bias: self.bias,
            activation: self.activation,
            kind: self.kind,
        }
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Host> Dense<I, O, A, E, D> {
    /// The same layer with its weight drawn by `init` from this thread's
    /// default generator: Flux's `init = ...` keyword. Any function of a
    /// generator that returns an `O × I` matrix will do, such as
    /// [`ones`](crate::init::ones) or [`randn`](crate::init::randn).
    #[must_use]
    pub fn init(
        self,
        init: impl FnOnce(&mut StdRng) -> Tensor<(Const<O>, Const<I>), E, D>,
    ) -> Self {
        Dense {
            weight: with_default_rng(init),
            ..self
        }
    }

    /// The same layer with its weight drawn by `init` from `rng`.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use typeflux_nn::prelude::*;
    ///
    /// let mut rng = StdRng::seed_from_u64(1);
    /// let a = Dense::<3, 2>::new(relu).init_with(&mut rng, glorot_uniform);
    /// let mut rng = StdRng::seed_from_u64(1);
    /// let b = Dense::<3, 2>::new(tanh).init_with(&mut rng, glorot_uniform);
    /// assert_eq!(a.weight, b.weight);
    /// ```
    #[must_use]
    pub fn init_with<R: Rng + ?Sized>(
        self,
        rng: &mut R,
        init: impl FnOnce(&mut R) -> Tensor<(Const<O>, Const<I>), E, D>,
    ) -> Self {
        Dense {
            weight: init(rng),
            ..self
        }
    }

    /// The same layer with another bias, Flux's `bias = ...` keyword:
    /// `true` for zeros, `false` for none, or a vector of `O` values.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// assert!(Dense::<3, 2>::new(relu).bias(false).bias.is_none());
    /// let b = Dense::<3, 2>::new(relu).bias(Vector::<2>::from_array([1.0, 2.0]));
    /// assert_eq!(b.bias.unwrap().to_vec(), vec![1.0, 2.0]);
    /// ```
    #[must_use]
    pub fn bias(self, bias: impl IntoBias<O, E, D>) -> Self {
        Dense {
            bias: bias.into_bias(),
            ..self
        }
    }
}

/// What [`Dense::bias`] accepts, as Flux's `create_bias`: `true` (zeros),
/// `false` (no bias), a vector of `O` values, or an `Option` of one.
pub trait IntoBias<const O: usize, E: Element, D: Device = Cpu> {
    /// The bias to store.
    fn into_bias(self) -> Option<Tensor<(Const<O>,), E, D>>;
}

impl<const O: usize, E: Element, D: Host> IntoBias<O, E, D> for bool {
    #[inline]
    fn into_bias(self) -> Option<Tensor<(Const<O>,), E, D>> {
        self.then(Tensor::zeros)
    }
}

impl<const O: usize, E: Element, D: Device> IntoBias<O, E, D> for Tensor<(Const<O>,), E, D> {
    #[inline]
    fn into_bias(self) -> Option<Tensor<(Const<O>,), E, D>> {
        Some(self)
    }
}

impl<const O: usize, E: Element, D: Device> IntoBias<O, E, D>
    for Option<Tensor<(Const<O>,), E, D>>
{
    #[inline]
    fn into_bias(self) -> Option<Tensor<(Const<O>,), E, D>> {
        self
    }
}

/// The weight of a `Dense<I, O>`: `O × I`.
pub type Weight<const I: usize, const O: usize, E = f32, D = Cpu> =
    Tensor<(Const<O>, Const<I>), E, D>;
/// The bias of a `Dense<_, O>`.
pub type Bias<const O: usize, E = f32, D = Cpu> = Tensor<(Const<O>,), E, D>;

/// A layer's optional bias: absent, a tensor, or a traced one.
pub trait BiasParam<const O: usize, E: Element, D: Device> {
    /// The bias's node: [`Constant`](typeflux_ad::reverse::Constant) for a
    /// plain one.
    type Node: Node;

    /// The bias, if the layer has one, as a traced value.
    fn traced(&self) -> Option<typeflux_ad::reverse::Traced<Bias<O, E, D>, Self::Node>>;

    /// Whether the layer has a bias.
    fn present(&self) -> bool;
}

impl<const O: usize, E: Element, D: Device, X: Param<Value = Bias<O, E, D>>> BiasParam<O, E, D>
    for Option<X>
{
    type Node = X::Node;

    #[inline(always)]
    fn traced(&self) -> Option<typeflux_ad::reverse::Traced<Bias<O, E, D>, X::Node>> {
        self.as_ref().map(Param::traced)
    }

    #[inline(always)]
    fn present(&self) -> bool {
        self.is_some()
    }
}

/// The output of a `Dense<I, O>` on an input `X`: plain when nothing is
/// traced, traced otherwise.
pub type DenseOutput<const I: usize, const O: usize, A, E, D, W, B, X> = <DenseNode<
    A,
    Const<I>,
    Const<O>,
    <X as Operand<E, D>>::Shape,
    E,
    D,
    <W as Param>::Node,
    <B as BiasParam<O, E, D>>::Node,
    <X as Operand<E, D>>::Node,
> as Node>::Finished<
    Tensor<<<X as Operand<E, D>>::Shape as Columns<Const<I>, Const<O>>>::Out, E, D>,
>;

/// `act(W·x .+ b)` for a vector or a batch of `I` features, owned, borrowed
/// (data: no gradient is computed for it) or traced, with the weight and
/// bias plain or traced: one rule, [`rules::dense`](dense::dense).
#[diagnostic::do_not_recommend]
// The element type and device of the computation are the weight's, not the
// layer's own parameters: a layer cast to a jet (`cast::<Dual2_64>()`)
// keeps its parameters and computes with its new weights.
impl<const I: usize, const O: usize, A, E0, D0, E, D, W, B, X> Layer<X>
    for Dense<I, O, A, E0, D0, W, B>
where
    E0: Element,
    D0: Device,
    A: Activation,
    E: Element,
    D: Kernels<E>,
    W: Param<Value = Weight<I, O, E, D>>,
    B: BiasParam<O, E, D>,
    X: Operand<E, D>,
    X::Shape: Columns<Const<I>, Const<O>>,
    W::Node: typeflux_ad::reverse::Join3<<Option<B::Node> as Optional>::Node, X::Node>,
    Option<B::Node>: Optional,
{
    type Output = DenseOutput<I, O, A, E, D, W, B, X>;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        dense::dense(
            self.weight.traced(),
            self.bias.traced(),
            x.operand(),
            self.activation,
        )
        .finish()
    }

    /// `Some` on a device that runs chains of dense layers in one pass
    /// ([`Kernels::dense_chains_or`]); `None` elsewhere, chosen by type.
    #[inline(always)]
    fn dense_link(&self) -> Option<&dyn DenseLink> {
        D::dense_chains_or(self, |layer| Some(layer as &dyn DenseLink), |_| None)
    }

    /// The chain's first layer hands the whole chain to the device, which
    /// runs it in one pass or declines; every layer of a chain run in one
    /// pass then builds its value and node from that pass
    /// ([`dense_part`](dense::dense_part)).
    #[inline(always)]
    #[track_caller]
    fn forward_in(&self, x: X, run: &mut ChainRun<'_>) -> Self::Output {
        D::dense_chains_or(
            (x, run),
            |(x, run)| match run.enter() {
                Some(member) => self.forward_part(x, member, run),
                None => self.forward(x),
            },
            |(x, _)| self.forward(x),
        )
    }
}

impl<const I: usize, const O: usize, A, E0, D0, E, D, W, B> Dense<I, O, A, E0, D0, W, B>
where
    E0: Element,
    D0: Device,
    A: Activation,
    E: Element,
    D: Kernels<E>,
    W: Param<Value = Weight<I, O, E, D>>,
    B: BiasParam<O, E, D>,
{
    /// [`Layer::forward_in`] for member `member` of a chain that its device
    /// may run in one pass: out of line, as only such a device calls it.
    #[inline(never)]
    #[track_caller]
    fn forward_part<X>(
        &self,
        x: X,
        member: usize,
        run: &mut ChainRun<'_>,
    ) -> <Self as Layer<X>>::Output
    where
        Self: Layer<X, Output = DenseOutput<I, O, A, E, D, W, B, X>>,
        X: Operand<E, D>,
        X::Shape: Columns<Const<I>, Const<O>>,
        W::Node: typeflux_ad::reverse::Join3<<Option<B::Node> as Optional>::Node, X::Node>,
        Option<B::Node>: Optional,
    {
        let x = x.operand();
        if member == 0 && !launch::<I, O, E, D, X::Shape, X::Node>(run, &x) {
            run.stop();
            return dense::dense(self.weight.traced(), self.bias.traced(), x, self.activation)
                .finish();
        }
        let last = member + 1 == run.len();
        let device = x.value().device().clone();
        let running = run.running::<E, D>();
        let (columns, output) = if last {
            let y = running.output.take();
            (
                running.columns,
                y.expect("a fused chain's output, for its last layer"),
            )
        } else {
            // What stays inside the pass: an empty stand-in.
            (0, device.full::<(usize,), E>(0, E::zero()))
        };
        let shape = <X::Shape as Columns<Const<I>, Const<O>>>::out_with_columns(Const, columns)
            .expect("a chain run in one pass has a batch of any size");
        let value = Tensor::from_parts(shape, device.reshape(output), device.clone());
        let part = running
            .tape
            .clone()
            .map(|tape| ChainPart::new(tape, member));
        dense::dense_part(
            self.weight.traced(),
            self.bias.traced(),
            x,
            self.activation,
            value,
            part,
        )
        .finish()
    }
}

/// The first layer of a chain hands the chain (`run`'s links) on the input
/// `x` to the device; `false` where the device declines it or the batch
/// cannot be a fused chain's (a vector, a batch of static size: the values
/// inside the chain are empty batches).
fn launch<const I: usize, const O: usize, E, D, S, N>(
    run: &mut ChainRun<'_>,
    x: &Traced<Tensor<S, E, D>, N>,
) -> bool
where
    E: Element,
    D: Kernels<E>,
    S: Columns<Const<I>, Const<O>>,
    N: Node,
{
    if S::out_with_columns(Const, 0).is_none() {
        return false;
    }
    let layers: Vec<ChainLayer> = run.links().map(|l| l.layer()).collect();
    let mut params: Vec<ChainParams<Flat<E, D>>> = Vec::with_capacity(layers.len());
    if !run.links().all(|l| l.push_params(&mut params)) {
        return false;
    }
    let keep = x.back().active() || run.links().any(|l| l.traced());
    let value = x.value();
    let device = value.device();
    let input = device.reshape::<S, (usize,), E>(value.buffer().clone());
    let Some((output, kept)) = device.dense_chain(&layers, &input, &params, keep) else {
        return false;
    };
    let tape = kept.map(|kept| {
        let weights = params.into_iter().map(|(w, _)| w).collect();
        ChainTape::new(device.clone(), layers, input, weights, kept)
    });
    run.start(Running::<E, D> {
        tape,
        output: Some(output),
        columns: value.shape().columns(),
    });
    true
}

impl<const I: usize, const O: usize, A, E: Element, D: Device, W, B> fused::sealed::Sealed
    for Dense<I, O, A, E, D, W, B>
{
}

/// A `Dense` layer as a link of a chain its device runs in one pass.
impl<const I: usize, const O: usize, A, E0, D0, E, D, W, B> DenseLink
    for Dense<I, O, A, E0, D0, W, B>
where
    E0: Element,
    D0: Device,
    A: Activation,
    E: Element,
    D: Kernels<E>,
    W: Param<Value = Weight<I, O, E, D>>,
    B: BiasParam<O, E, D>,
{
    fn layer(&self) -> ChainLayer {
        ChainLayer {
            inputs: I,
            outputs: O,
            bias: self.bias.present(),
            activation: self.activation.kind(),
        }
    }

    fn traced(&self) -> bool {
        self.weight.traced().back().active()
            || self.bias.traced().is_some_and(|b| b.back().active())
    }

    fn push_params(&self, params: &mut dyn core::any::Any) -> bool {
        let Some(params) = fused::params_of::<E, D>(params) else {
            return false;
        };
        let w = self.weight.traced().into_value();
        let device = w.device().clone();
        let b = self.bias.traced().map(|b| {
            let b = b.into_value();
            device.reshape::<(Const<O>,), (usize,), E>(b.buffer().clone())
        });
        let w = device.reshape::<(Const<O>, Const<I>), (usize,), E>(w.buffer().clone());
        params.push((w, b));
        true
    }
}

/// The weight, bias and activation, as a derived `Debug` would print them.
impl<const I: usize, const O: usize, A: core::fmt::Debug, E: Element, D: Device, W, B>
    core::fmt::Debug for Dense<I, O, A, E, D, W, B>
where
    W: core::fmt::Debug,
    B: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dense")
            .field("weight", &self.weight)
            .field("bias", &self.bias)
            .field("activation", &self.activation)
            .finish()
    }
}
