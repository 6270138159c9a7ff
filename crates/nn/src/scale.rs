//! An elementwise scale and shift, Flux's `Scale` (a diagonal `Dense`).

use crate::activation::{Activation, Identity};
use crate::dense::{BiasParam, IntoBias};
use crate::init::with_default_rng;
use crate::layer::Layer;
use rand::Rng;
use rand::rngs::StdRng;
use typeflux_ad::reverse::rules::activation::ActivationPullback;
use typeflux_ad::reverse::rules::arith::{AddLhs, AddRhs, MulLhs, MulRhs};
use typeflux_ad::reverse::rules::shape::Broadcast;
use typeflux_ad::reverse::{Combine, Node, Operand, Optional, Param, Traced};
use typeflux_core::functor::Functor;
use typeflux_core::{Const, Cpu, Device, Element, Host, Kernels, Tensor, TensorKind, Vector};

/// `y = activation(scale .* x .+ bias)`, each of the `N` features scaled and
/// shifted by its own parameters: Flux's `Scale(N, σ)`, a `Dense` whose
/// weight is diagonal. It takes a vector of `N` or `N` features × a batch.
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// // Flux's `Scale(2, tanh)` with a known scale and bias.
/// let s = Scale::from_parts(Vector::<2>::from_array([2.0, -1.0]), Vector::from_array([0.5, 0.0]), identity);
/// let x = Batch::<2>::from_fn((Const, 2), |[i, j]| (i + 2 * j) as f32);
/// assert_eq!(s.forward(&x).to_vec(), vec![0.5, -1.0, 4.5, -3.0]);
///
/// let y = Batch::<2>::zeros_with((Const, 2));
/// let g = gradient(|m| mse(m.forward(&x), &y), model(&s));
/// assert_eq!(g.scale.shape(), (Const::<2>,));
/// ```
///
/// The gradient is a `Scale` holding the gradients of `scale` and `bias`; a
/// `Scale` built with `bias(false)` has no bias, which is neither stored
/// nor trained.
#[derive(Clone, PartialEq, Functor)]
pub struct Scale<
    const N: usize,
    A = Identity,
    E: Element = f32,
    D: Device = Cpu,
    S = Vector<N, E, D>,
    B = Option<Vector<N, E, D>>,
> {
    /// The factor of each feature.
    pub scale: S,
    /// The shift of each feature, added after the factor; `None` for a
    /// layer without one.
    pub bias: B,
    /// The activation, applied last.
    #[functor(skip)]
    pub activation: A,
    /// The element type and device of the parameters.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

impl<const N: usize, E: Element, D: Host> Scale<N, Identity, E, D> {
    /// Flux's `Scale(N, activation)`: a scale of ones and a bias of zeros.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let s = Scale::<3>::new(relu);
    /// let x = Vector::<3>::from_array([-1.0, 0.0, 2.0]);
    /// assert_eq!(s.forward(&x).to_vec(), vec![0.0, 0.0, 2.0]);
    /// ```
    pub fn new<A: Activation>(activation: A) -> Scale<N, A, E, D> {
        Scale {
            scale: Tensor::ones(),
            bias: Some(Tensor::zeros()),
            activation,
            kind: TensorKind::new(),
        }
    }
}

impl<const N: usize, A, E: Element, D: Device> Scale<N, A, E, D> {
    /// A layer with a known scale and bias: `bias` is a vector, `None` for
    /// a layer without one, or `true`/`false` (see [`IntoBias`]).
    pub fn from_parts(scale: Vector<N, E, D>, bias: impl IntoBias<N, E, D>, activation: A) -> Self {
        Scale {
            scale,
            bias: bias.into_bias(),
            activation,
            kind: TensorKind::new(),
        }
    }
}

impl<const N: usize, A, E: Element, D: Host> Scale<N, A, E, D> {
    /// The same layer with its scale drawn by `init` from this thread's
    /// default generator: Flux's `init = ...` keyword (ones by default).
    #[must_use]
    pub fn init(self, init: impl FnOnce(&mut StdRng) -> Vector<N, E, D>) -> Self {
        Scale {
            scale: with_default_rng(init),
            ..self
        }
    }

    /// The same layer with its scale drawn by `init` from `rng`.
    #[must_use]
    pub fn init_with<R: Rng + ?Sized>(
        self,
        rng: &mut R,
        init: impl FnOnce(&mut R) -> Vector<N, E, D>,
    ) -> Self {
        Scale {
            scale: init(rng),
            ..self
        }
    }

    /// The same layer with another bias, Flux's `bias = ...` keyword:
    /// `true` for zeros, `false` for none, or a vector of `N` values.
    ///
    /// ```
    /// use typeflux_nn::prelude::*;
    ///
    /// assert!(Scale::<3>::new(identity).bias(false).bias.is_none());
    /// ```
    #[must_use]
    pub fn bias(self, bias: impl IntoBias<N, E, D>) -> Self {
        Scale {
            bias: bias.into_bias(),
            ..self
        }
    }
}

/// The node of a bias that may be absent: its own when present and traced,
/// [`Constant`](typeflux_ad::reverse::Constant) when plain.
type BiasNode<const N: usize, E, D, B> =
    <Option<<B as BiasParam<N, E, D>>::Node> as Optional>::Node;

/// The bias as an operand of `+`: zeros, with no node to reach, when absent.
#[inline]
pub(crate) fn bias_operand<const N: usize, E: Element, D: Kernels<E>, B: BiasParam<N, E, D>>(
    bias: &B,
    device: &D,
) -> Traced<Vector<N, E, D>, BiasNode<N, E, D, B>>
where
    Option<B::Node>: Optional,
{
    match bias.traced() {
        Some(b) => {
            let (value, node) = b.into_parts();
            Traced::new(value, Some(node).into_node())
        }
        None => Traced::new(
            Tensor::full_on((Const,), E::zero(), device),
            None::<B::Node>.into_node(),
        ),
    }
}

/// The output of a `Scale<N, A>` with scale `S` and bias `B` on an input
/// `X`: plain when nothing is traced, traced otherwise.
pub type ScaleOutput<const N: usize, A, E, D, S, B, X> =
    <<<<<X as Operand<E, D>>::Node as Combine<<S as Param>::Node>>::Join<
        MulLhs<Input<X, E, D>, Vector<N, E, D>>,
        MulRhs<Input<X, E, D>, Vector<N, E, D>>,
    > as Combine<BiasNode<N, E, D, B>>>::Join<
        AddLhs<Input<X, E, D>, Vector<N, E, D>>,
        AddRhs<Input<X, E, D>, Vector<N, E, D>>,
    > as Node>::Then<ActivationPullback<A, <X as Operand<E, D>>::Shape, E, D>> as Node>::Finished<
        Input<X, E, D>,
    >;

/// The tensor an input `X` holds.
type Input<X, E, D> = Tensor<<X as Operand<E, D>>::Shape, E, D>;

/// `activation(scale .* x .+ bias)` for a vector or a batch of `N`
/// features, owned, borrowed or traced, with the parameters plain or
/// traced.
#[diagnostic::do_not_recommend]
impl<const N: usize, A, E0, D0, E, D, S, B, X> Layer<X> for Scale<N, A, E0, D0, S, B>
where
    E0: Element,
    D0: Device,
    A: Activation,
    E: Element,
    D: Kernels<E>,
    S: Param<Value = Vector<N, E, D>>,
    B: BiasParam<N, E, D>,
    Option<B::Node>: Optional,
    X: Operand<E, D>,
    Input<X, E, D>: Broadcast<Vector<N, E, D>>,
    X::Node: Combine<S::Node>,
    <X::Node as Combine<S::Node>>::Join<
        MulLhs<Input<X, E, D>, Vector<N, E, D>>,
        MulRhs<Input<X, E, D>, Vector<N, E, D>>,
    >: Combine<BiasNode<N, E, D, B>>,
{
    type Output = ScaleOutput<N, A, E, D, S, B, X>;

    #[inline]
    #[track_caller]
    fn forward(&self, x: X) -> Self::Output {
        let scale = self.scale.traced();
        let bias = bias_operand(&self.bias, scale.value().device());
        ((x.operand() * scale) + bias)
            .activate(self.activation)
            .finish()
    }
}

/// The scale, bias and activation, as a derived `Debug` would print them.
impl<const N: usize, A: core::fmt::Debug, E: Element, D: Device, S, B> core::fmt::Debug
    for Scale<N, A, E, D, S, B>
where
    S: core::fmt::Debug,
    B: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scale")
            .field("scale", &self.scale)
            .field("bias", &self.bias)
            .field("activation", &self.activation)
            .finish()
    }
}
