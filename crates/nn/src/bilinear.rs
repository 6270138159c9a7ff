//! A bilinear form of two inputs, Flux's `Bilinear`.

use crate::activation::{Activation, Identity};
use crate::dense::{BiasParam, DenseOutput, IntoBias, Weight};
use crate::init::{glorot_uniform, with_default_rng};
use crate::layer::Layer;
use rand::Rng;
use rand::rngs::StdRng;
use typeflux_ad::reverse::rules::arith::{MulLhs, MulRhs};
use typeflux_ad::reverse::rules::dense::{self, Columns};
use typeflux_ad::reverse::rules::matmul::MatMulRule;
use typeflux_ad::reverse::{Combine, Constant, Join3, Operand, Optional, Param, Traced};
use typeflux_core::functor::Functor;
use typeflux_core::ops::ReshapeTo;
use typeflux_core::{Const, Cpu, Device, Element, Host, Kernels, Shape, Tensor, TensorKind};

/// `y = σ(xᵀ·Wₖ·z + bₖ)` for each of `O` outputs `k`, from two inputs `x`
/// of `I1` features and `z` of `I2`: Flux's `Bilinear((I1, I2) => O, σ)`.
///
/// The weight is stored as an `O × M` matrix whose column `i + j·I1` holds
/// `W[:, i, j]` (Flux's `O × I1 × I2` array, reshaped), so that
/// `y = σ(W·(x ⊗ z) .+ b)` with `x ⊗ z` the `M = I1·I2` products
/// `xᵢ·zⱼ`. Rust cannot multiply sizes in a type on stable, so `M` is a
/// parameter of the type, and the type checker proves `M = I1·I2`.
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// // Flux's `Bilinear((2, 3) => 1)` with a weight of ones: y = (Σ x)(Σ z).
/// let b = Bilinear::<2, 3, 1, 6>::new(identity).init(ones).bias(false);
/// let x = Batch::<2>::from_fn((Const, 2), |[i, j]| (i + j) as f32);
/// let z = Batch::<3>::ones_with((Const, 2));
/// assert_eq!(b.forward((&x, &z)).to_vec(), vec![3.0, 9.0]);
///
/// let y = Batch::<1>::zeros_with((Const, 2));
/// let g = gradient(|m| mse(m.forward((&x, &z)), &y), model(&b));
/// assert_eq!(g.weight.shape(), (Const::<1>, Const::<6>));
/// ```
///
/// The input is a pair `(x, z)` (each a vector or a batch, plain or
/// traced); Flux's one-input form `a(x) = a(x, x)` is `forward((&x, &x))`.
///
/// ```compile_fail
/// use typeflux_nn::prelude::*;
///
/// let b = Bilinear::<2, 3, 1, 5>::new(identity); // 2 · 3 is not 5
/// # let _ = b.forward((&typeflux_core::Vector::<2>::ones(), &typeflux_core::Vector::<3>::ones()));
/// ```
#[derive(Clone, PartialEq, Functor)]
pub struct Bilinear<
    const I1: usize,
    const I2: usize,
    const O: usize,
    const M: usize,
    A = Identity,
    E: Element = f32,
    D: Device = Cpu,
    W = Weight<M, O, E, D>,
    B = Option<Tensor<(Const<O>,), E, D>>,
> {
    /// The `O × M` weight: column `i + j·I1` multiplies `xᵢ·zⱼ`.
    pub weight: W,
    /// The bias, one per output; `None` for a layer without one.
    pub bias: B,
    /// The activation, applied last.
    #[functor(skip)]
    pub activation: A,
    /// The element type and device of the parameters.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

impl<const I1: usize, const I2: usize, const O: usize, const M: usize, E: Element, D: Host>
    Bilinear<I1, I2, O, M, Identity, E, D>
where
    (Const<I1>, Const<I2>): ReshapeTo<(Const<M>,)>,
{
    /// Flux's `Bilinear((I1, I2) => O, activation)`: a weight drawn with
    /// [`glorot_uniform`] over the `O × M` matrix from this thread's default
    /// generator, and a bias of zeros.
    pub fn new<A: Activation>(activation: A) -> Bilinear<I1, I2, O, M, A, E, D> {
        Bilinear {
            weight: with_default_rng(glorot_uniform),
            bias: Some(Tensor::zeros()),
            activation,
            kind: TensorKind::new(),
        }
    }
}

impl<const I1: usize, const I2: usize, const O: usize, const M: usize, A, E: Element, D: Host>
    Bilinear<I1, I2, O, M, A, E, D>
{
    /// The same layer with its weight drawn by `init` from this thread's
    /// default generator: Flux's `init = ...` keyword.
    #[must_use]
    pub fn init(self, init: impl FnOnce(&mut StdRng) -> Weight<M, O, E, D>) -> Self {
        Bilinear {
            weight: with_default_rng(init),
            ..self
        }
    }

    /// The same layer with its weight drawn by `init` from `rng`.
    #[must_use]
    pub fn init_with<R: Rng + ?Sized>(
        self,
        rng: &mut R,
        init: impl FnOnce(&mut R) -> Weight<M, O, E, D>,
    ) -> Self {
        Bilinear {
            weight: init(rng),
            ..self
        }
    }

    /// The same layer with another bias, Flux's `bias = ...` keyword:
    /// `true` for zeros, `false` for none, or a vector of `O` values.
    #[must_use]
    pub fn bias(self, bias: impl IntoBias<O, E, D>) -> Self {
        Bilinear {
            bias: bias.into_bias(),
            ..self
        }
    }
}

/// The `M × I` matrix that repeats an input of `I` features into the `M`
/// places of `x ⊗ z`: row `r` picks feature `r % I1` of `x` (`first`) or
/// feature `r / I1` of `z`.
fn spreader<const M: usize, const I: usize, const I1: usize, E: Element, D: Kernels<E>>(
    first: bool,
    device: &D,
) -> Tensor<(Const<M>, Const<I>), E, D> {
    let values: Vec<E> = (0..M * I)
        .map(|k| {
            let (row, column) = (k % M, k / M);
            let picked = if first { row % I1 } else { row / I1 };
            if picked == column {
                E::one()
            } else {
                E::zero()
            }
        })
        .collect();
    Tensor::from_parts((Const, Const), device.upload(&values), device.clone())
}

/// The tensor an input `X` holds.
type In<X, E, D> = Tensor<<X as Operand<E, D>>::Shape, E, D>;

/// The node of an input repeated into `M` places.
type Spread<const M: usize, const I: usize, E, D, X> =
    <Constant as Combine<<X as Operand<E, D>>::Node>>::Join<
        <Tensor<(Const<M>, Const<I>), E, D> as MatMulRule<In<X, E, D>>>::Lhs,
        <Tensor<(Const<M>, Const<I>), E, D> as MatMulRule<In<X, E, D>>>::Rhs,
    >;

/// `x ⊗ z`: the products of every feature of `x` with every feature of `z`,
/// for each sample.
pub type Products<const I1: usize, const I2: usize, const M: usize, S, E, D, X1, X2> = Traced<
    Tensor<S, E, D>,
    <Spread<M, I1, E, D, X1> as Combine<Spread<M, I2, E, D, X2>>>::Join<
        MulLhs<Tensor<S, E, D>, Tensor<S, E, D>>,
        MulRhs<Tensor<S, E, D>, Tensor<S, E, D>>,
    >,
>;

/// `σ(W·(x ⊗ z) .+ b)` for two vectors or two batches, plain or traced,
/// with the parameters plain or traced: `x ⊗ z` from two products with
/// constant matrices and one elementwise product, then the fused rule of
/// a dense layer.
#[diagnostic::do_not_recommend]
impl<
    const I1: usize,
    const I2: usize,
    const O: usize,
    const M: usize,
    A,
    E0,
    D0,
    E,
    D,
    W,
    B,
    S,
    X1,
    X2,
> Layer<(X1, X2)> for Bilinear<I1, I2, O, M, A, E0, D0, W, B>
where
    (Const<I1>, Const<I2>): ReshapeTo<(Const<M>,)>,
    A: Activation,
    E0: Element,
    D0: Device,
    E: Element,
    D: Kernels<E>,
    S: Shape + Columns<Const<M>, Const<O>>,
    W: Param<Value = Weight<M, O, E, D>>,
    B: BiasParam<O, E, D>,
    X1: Operand<E, D>,
    X2: Operand<E, D>,
    Tensor<(Const<M>, Const<I1>), E, D>: MatMulRule<In<X1, E, D>, Output = Tensor<S, E, D>>,
    Tensor<(Const<M>, Const<I2>), E, D>: MatMulRule<In<X2, E, D>, Output = Tensor<S, E, D>>,
    Constant: Combine<X1::Node> + Combine<X2::Node>,
    Spread<M, I1, E, D, X1>: Combine<Spread<M, I2, E, D, X2>>,
    W::Node: Join3<
            <Option<B::Node> as Optional>::Node,
            <Products<I1, I2, M, S, E, D, X1, X2> as Operand<E, D>>::Node,
        >,
    Option<B::Node>: Optional,
{
    type Output = DenseOutput<M, O, A, E, D, W, B, Products<I1, I2, M, S, E, D, X1, X2>>;

    #[inline]
    #[track_caller]
    fn forward(&self, (x, z): (X1, X2)) -> Self::Output {
        let weight = self.weight.traced();
        let device = weight.value().device().clone();
        let xs = Traced::constant(spreader::<M, I1, I1, E, D>(true, &device)).matmul(x.operand());
        let zs = Traced::constant(spreader::<M, I2, I1, E, D>(false, &device)).matmul(z.operand());
        dense::dense::<Const<M>, Const<O>, S, E, D, A, _, _, _>(
            weight,
            self.bias.traced(),
            xs * zs,
            self.activation,
        )
        .finish()
    }
}

/// The weight, bias and activation, as a derived `Debug` would print them.
impl<
    const I1: usize,
    const I2: usize,
    const O: usize,
    const M: usize,
    A,
    E: Element,
    D: Device,
    W,
    B,
> core::fmt::Debug for Bilinear<I1, I2, O, M, A, E, D, W, B>
where
    A: core::fmt::Debug,
    W: core::fmt::Debug,
    B: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Bilinear")
            .field("weight", &self.weight)
            .field("bias", &self.bias)
            .field("activation", &self.activation)
            .finish()
    }
}
