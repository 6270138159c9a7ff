//! The fully connected layer as one rule: `y = σ(W·x .+ b)` forwards, and
//! backwards `δ = σ'(z) ⊙ ȳ`, `W̄ = δ·xᵀ`, `b̄ = Σ δ` over the batch,
//! `x̄ = Wᵀ·δ`.
//!
//! The rule works for every mix of traced and constant operands, decided
//! twice: by type (an operand whose node is [`Constant`](crate::reverse::Constant)
//! keeps nothing for it, and all three constant give a constant result)
//! and at run time (an input behind an inactive [`Hole`](crate::reverse::Hole),
//! as in a chain run without a gradient, keeps nothing either). The
//! weight's cotangent leaves as the factors `δ` and `x`
//! ([`OuterProduct`]), so that a slot that steps the weight folds the
//! product into the step.

use super::dense_chain::{ChainPart, Flat};
use crate::reverse::node::{Join3, Node, Optional, OuterProduct, Product};
use crate::reverse::pullback::Pullback;
use crate::reverse::traced::Traced;
use typeflux_core::activation::Activation;
use typeflux_core::{Device, Dim, Element, Kernels, MatMul, Shape, Tensor};

/// The weight of a layer from `I` inputs to `O` outputs.
pub type Weight<I, O, E, D> = Tensor<(O, I), E, D>;
/// The bias of a layer with `O` outputs.
pub type Bias<O, E, D> = Tensor<(O,), E, D>;

/// The inputs a layer from `I` to `O` features maps: a vector `(I,)` or a
/// batch `(I, N)`, and the products its rule needs for each.
pub trait Columns<I: Dim, O: Dim>: Shape {
    /// The output shape: `O` features, the same batch.
    type Out: Shape;

    /// `W·x`.
    fn product<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<Self, E, D>,
    ) -> Tensor<Self::Out, E, D>;

    /// `z .+ b`, in `z`'s buffer where the device allows.
    fn add_bias<E: Element, D: Kernels<E>>(z: &mut Tensor<Self::Out, E, D>, b: &Bias<O, E, D>);

    /// `δ` summed over the batch.
    fn bias_gradient<E: Element, D: Kernels<E>>(dz: &Tensor<Self::Out, E, D>) -> Bias<O, E, D>;

    /// `Wᵀ·δ`.
    fn input_gradient<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<Self::Out, E, D>,
    ) -> Tensor<Self, E, D>;

    /// The columns of this shape: 1 for a vector.
    fn columns(&self) -> usize;

    /// The output shape of `outputs` features and `n` columns, where the
    /// type allows that many (a vector holds one, a static batch its own
    /// number).
    fn out_with_columns(outputs: O, n: usize) -> Option<Self::Out>;
}

impl<I: Dim, O: Dim> Columns<I, O> for (I,) {
    type Out = (O,);

    #[inline(always)]
    fn product<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<(I,), E, D>,
    ) -> Tensor<(O,), E, D> {
        w.matmul(x)
    }

    #[inline(always)]
    fn add_bias<E: Element, D: Kernels<E>>(z: &mut Tensor<(O,), E, D>, b: &Bias<O, E, D>) {
        *z += b;
    }

    #[inline(always)]
    fn bias_gradient<E: Element, D: Kernels<E>>(dz: &Tensor<(O,), E, D>) -> Bias<O, E, D> {
        dz.clone()
    }

    #[inline(always)]
    fn input_gradient<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<(O,), E, D>,
    ) -> Tensor<(I,), E, D> {
        dz.vecmat(w)
    }

    #[inline(always)]
    fn columns(&self) -> usize {
        1
    }

    #[inline(always)]
    fn out_with_columns(outputs: O, n: usize) -> Option<(O,)> {
        (n == 1).then_some((outputs,))
    }
}

impl<I: Dim, O: Dim, N: Dim> Columns<I, O> for (I, N) {
    type Out = (O, N);

    #[inline(always)]
    fn product<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<(I, N), E, D>,
    ) -> Tensor<(O, N), E, D> {
        w.matmul(x)
    }

    #[inline(always)]
    fn add_bias<E: Element, D: Kernels<E>>(z: &mut Tensor<(O, N), E, D>, b: &Bias<O, E, D>) {
        *z += b;
    }

    #[inline(always)]
    fn bias_gradient<E: Element, D: Kernels<E>>(dz: &Tensor<(O, N), E, D>) -> Bias<O, E, D> {
        dz.sum_along::<1>()
    }

    #[inline(always)]
    fn input_gradient<E: Element, D: Kernels<E>>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<(O, N), E, D>,
    ) -> Tensor<(I, N), E, D> {
        w.t_matmul(dz)
    }

    #[inline(always)]
    fn columns(&self) -> usize {
        self.1.size()
    }

    #[inline(always)]
    fn out_with_columns(outputs: O, n: usize) -> Option<(O, N)> {
        Some((outputs, N::from_size(n)?))
    }
}

/// `δ · xᵀ` for a batch.
impl<I: Dim, O: Dim, N: Dim, E: Element, D: Kernels<E>> Product
    for OuterProduct<Tensor<(O, N), E, D>, Tensor<(I, N), E, D>>
{
    type Value = Weight<I, O, E, D>;

    #[inline]
    fn value(self) -> Weight<I, O, E, D> {
        self.a.matmul_t(&self.b)
    }

    #[inline]
    fn add_scaled(self, w: &mut Weight<I, O, E, D>, scale: f64) {
        w.add_matmul_t(element(scale), &self.a, &self.b);
    }
}

/// `δ · xᵀ` for one sample.
impl<I: Dim, O: Dim, E: Element, D: Kernels<E>> Product
    for OuterProduct<Tensor<(O,), E, D>, Tensor<(I,), E, D>>
{
    type Value = Weight<I, O, E, D>;

    #[inline]
    fn value(self) -> Weight<I, O, E, D> {
        self.a.outer(&self.b)
    }

    #[inline]
    fn add_scaled(self, w: &mut Weight<I, O, E, D>, scale: f64) {
        w.add_outer(element(scale), &self.a, &self.b);
    }
}

/// An `f64` as an element.
#[inline(always)]
fn element<E: Element>(x: f64) -> E {
    E::from_f64(x).expect("an f64 converts to every element type")
}

/// A weight's cotangent as [`dense`]'s pullback hands it on: the factors
/// `δ` and `x` of `δ·xᵀ` for a layer on its own, or the product itself,
/// formed by the backward pass of a chain run in one pass
/// ([`dense_chain`](super::dense_chain)).
#[derive(Clone, Debug)]
pub enum WeightCotangent<A, B, W> {
    /// The factors, not yet multiplied.
    Factors(OuterProduct<A, B>),
    /// The product.
    Formed(W),
}

impl<A, B, I: Dim, O: Dim, E: Element, D: Kernels<E>> Product
    for WeightCotangent<A, B, Weight<I, O, E, D>>
where
    OuterProduct<A, B>: Product<Value = Weight<I, O, E, D>>,
{
    type Value = Weight<I, O, E, D>;

    #[inline]
    fn value(self) -> Weight<I, O, E, D> {
        match self {
            WeightCotangent::Factors(p) => p.value(),
            WeightCotangent::Formed(w) => w,
        }
    }

    #[inline]
    fn add_scaled(self, w: &mut Weight<I, O, E, D>, scale: f64) {
        match self {
            WeightCotangent::Factors(p) => p.add_scaled(w, scale),
            WeightCotangent::Formed(g) => w.axpy(element(scale), &g),
        }
    }
}

/// The node of [`dense`]'s result, for operands whose nodes are `BW`
/// (weight), `BB` (bias, absent or not) and `BX` (input).
pub type DenseNode<A, I, O, S, E, D, BW, BB, BX> =
    <BW as Join3<<Option<BB> as Optional>::Node, BX>>::Out<DensePullback<A, I, O, S, E, D>>;

/// `y = act(W·x .+ b)`, the layer forward, keeping what the backward pass
/// needs of the operands whose gradients are wanted (the weight for `x̄`,
/// the input for `W̄`, the activation's slopes for any).
///
/// ```
/// use typeflux_ad::reverse::{Traced, gradient, rules::dense};
/// use typeflux_core::elementwise::Tanh;
/// use typeflux_core::prelude::*;
///
/// let w: Matrix<2, 3, f64> = Tensor::from_array([[0.1, 0.2, 0.3], [-0.4, 0.5, -0.6]]);
/// let b: Vector<2, f64> = Tensor::from_array([0.05, -0.05]);
/// let x: Vector<3, f64> = Tensor::from_array([1.0, -2.0, 0.5]);
/// let (dw, db) = gradient(
///     |(w, b)| dense::dense(w, Some(b), Traced::constant(x.clone()), Tanh).sum(),
///     (&w, &b),
/// );
/// // The same with the separate rules.
/// let (dw2, db2) = gradient(|(w, b)| (w.matmul(&x) + b).tanh().sum(), (&w, &b));
/// assert!((dw - dw2).iter().all(|d| d.abs() < 1e-15));
/// assert!((db - db2).iter().all(|d| d.abs() < 1e-15));
/// ```
#[allow(clippy::type_complexity)]
#[inline]
#[track_caller]
pub fn dense<I, O, S, E, D, A, BW, BB, BX>(
    w: Traced<Weight<I, O, E, D>, BW>,
    b: Option<Traced<Bias<O, E, D>, BB>>,
    x: Traced<Tensor<S, E, D>, BX>,
    activation: A,
) -> Traced<Tensor<S::Out, E, D>, DenseNode<A, I, O, S, E, D, BW, BB, BX>>
where
    I: Dim,
    O: Dim,
    S: Columns<I, O>,
    E: Element,
    D: Kernels<E>,
    A: Activation,
    BW: Node + Join3<<Option<BB> as Optional>::Node, BX>,
    BB: Node,
    BX: Node,
    Option<BB>: Optional,
{
    let (w, w_node) = w.into_parts();
    let (x, x_node) = x.into_parts();
    let (bias, bias_node, want_b) = super::split_bias(b);
    let want_w = w_node.active();
    let want_x = x_node.active();

    let mut z = S::product(&w, &x);
    if let Some(bias) = &bias {
        S::add_bias(&mut z, bias);
    }
    let kept = activation.activate(&mut z, want_w || want_x || want_b);
    let pullback = DensePullback {
        activation,
        saved: Saved::Own {
            kept,
            w: want_x.then_some(w),
            x: want_w.then_some(x),
        },
        bias: want_b,
    };
    Traced::new(z, w_node.join3(bias_node.into_node(), x_node, pullback))
}

/// [`dense`] for a layer of a chain that the device ran in one pass
/// ([`dense_chain`](super::dense_chain)): `value` is what that pass
/// computed for this layer (an empty stand-in for a layer inside the
/// chain), and the pullback is the layer's `part` of the chain's one
/// backward pass. Nothing is computed here; the node is the one [`dense`]
/// gives, so a chain has one type whether its device ran it in one pass or
/// not.
///
/// # Panics
/// Where a gradient is wanted through the layer and there is no `part`
/// (the pass kept nothing for a backward pass).
#[allow(clippy::type_complexity)]
#[inline]
#[track_caller]
pub fn dense_part<I, O, S, E, D, A, BW, BB, BX>(
    w: Traced<Weight<I, O, E, D>, BW>,
    b: Option<Traced<Bias<O, E, D>, BB>>,
    x: Traced<Tensor<S, E, D>, BX>,
    activation: A,
    value: Tensor<S::Out, E, D>,
    part: Option<ChainPart<E, D>>,
) -> Traced<Tensor<S::Out, E, D>, DenseNode<A, I, O, S, E, D, BW, BB, BX>>
where
    I: Dim,
    O: Dim,
    S: Columns<I, O>,
    E: Element,
    D: Kernels<E>,
    A: Activation,
    BW: Node + Join3<<Option<BB> as Optional>::Node, BX>,
    BB: Node,
    BX: Node,
    Option<BB>: Optional,
{
    let (w, w_node) = w.into_parts();
    let (x, x_node) = x.into_parts();
    let (_, bias_node, want_b) = super::split_bias(b);
    let want_w = w_node.active();
    let want_x = x_node.active();
    let saved = if want_w || want_x || want_b {
        Saved::Part(Box::new(Part {
            chain: part.expect("a layer of a fused chain whose gradient is wanted has its part"),
            shape: w.shape(),
            weight: want_w,
            input: want_x.then(|| x.shape()),
            device: w.device().clone(),
        }))
    } else {
        Saved::Own {
            kept: None,
            w: None,
            x: None,
        }
    };
    let pullback = DensePullback {
        activation,
        saved,
        bias: want_b,
    };
    Traced::new(value, w_node.join3(bias_node.into_node(), x_node, pullback))
}

/// A layer's place in a chain run in one pass, as its pullback keeps it:
/// the part of the chain's backward pass, and the shapes of the gradients
/// wanted from it.
#[derive(Clone, Debug)]
struct Part<I: Dim, O: Dim, S, E: Element, D: Device> {
    chain: ChainPart<E, D>,
    /// The weight's shape.
    shape: (O, I),
    /// Whether the weight's gradient is wanted.
    weight: bool,
    /// The input's shape, when its gradient is wanted.
    input: Option<S>,
    device: D,
}

/// The pullback of [`dense`]: the activation's pullback, then the
/// gradients of the operands it kept for. For a layer of a chain run in
/// one pass ([`dense_part`]), its part of the chain's backward pass.
#[derive(Clone, Debug)]
pub struct DensePullback<A, I: Dim, O: Dim, S: Columns<I, O>, E: Element, D: Device> {
    activation: A,
    saved: Saved<I, O, S, E, D>,
    bias: bool,
}

/// What [`DensePullback`] keeps: its own operands, or its part of a chain
/// run in one pass. The part is boxed: unboxed, it changed the layout of
/// every layer's node and slowed the seed chain's gradient on `Stack` from
/// 87 to 129 ns, for a part that only a GPU's chain ever holds.
#[derive(Clone, Debug)]
enum Saved<I: Dim, O: Dim, S: Columns<I, O>, E: Element, D: Device> {
    Own {
        /// What the activation's pullback needs.
        kept: Option<Tensor<S::Out, E, D>>,
        /// The weight, for `x̄`; only when the input's gradient is wanted.
        w: Option<Weight<I, O, E, D>>,
        /// The input, for `W̄`; only when the weight's gradient is wanted.
        x: Option<Tensor<S, E, D>>,
    },
    Part(Box<Part<I, O, S, E, D>>),
}

impl<A, I, O, S, E, D> Pullback<Tensor<S::Out, E, D>> for DensePullback<A, I, O, S, E, D>
where
    A: Activation,
    I: Dim,
    O: Dim,
    S: Columns<I, O>,
    E: Element,
    D: Kernels<E>,
{
    type Grads = (
        Option<WeightCotangent<Tensor<S::Out, E, D>, Tensor<S, E, D>, Weight<I, O, E, D>>>,
        Option<Bias<O, E, D>>,
        Option<Tensor<S, E, D>>,
    );

    /// `x̄ = Wᵀ·δ` first, with the weight of the forward pass, which is then
    /// dropped before the weight's own slot sees its cotangent.
    #[inline]
    fn pullback(self, dy: Tensor<S::Out, E, D>) -> Self::Grads {
        let (kept, w, x) = match self.saved {
            Saved::Own { kept, w, x } => (kept, w, x),
            // Compiled only for a device that runs chains in one pass.
            Saved::Part(part) => {
                let bias = self.bias;
                return D::dense_chains_or(
                    (part, dy),
                    |(part, dy)| part.pullback(dy, bias),
                    |_| panic!("a chain's part on a device that runs no chain in one pass"),
                );
            }
        };
        let dz = self.activation.pullback(kept, dy);
        let dx = w.map(|w| S::input_gradient(&w, &dz));
        let db = self.bias.then(|| S::bias_gradient(&dz));
        let dw = x.map(|x| WeightCotangent::Factors(OuterProduct { a: dz, b: x }));
        (dw, db, dx)
    }
}

impl<I: Dim, O: Dim, S: Columns<I, O>, E: Element, D: Kernels<E>> Part<I, O, S, E, D> {
    /// The layer's gradients from the chain's backward pass: the last
    /// layer's `dy` is the chain's output cotangent, an earlier layer's
    /// stands in for what stayed inside the pass and is not read. Kept out
    /// of line, so that a layer on its own (every layer on the CPU)
    /// inlines its pullback as before.
    #[allow(clippy::type_complexity)]
    #[cold]
    #[inline(never)]
    fn pullback(
        self,
        dy: Tensor<S::Out, E, D>,
        bias: bool,
    ) -> (
        Option<WeightCotangent<Tensor<S::Out, E, D>, Tensor<S, E, D>, Weight<I, O, E, D>>>,
        Option<Bias<O, E, D>>,
        Option<Tensor<S, E, D>>,
    ) {
        let device = self.device;
        let flat = |t: &Tensor<S::Out, E, D>| -> Flat<E, D> {
            device.reshape::<S::Out, (usize,), E>(t.buffer().clone())
        };
        let dy = self.chain.is_last().then(|| flat(&dy));
        let layer = self.chain.layer();
        let (dw, db, dx) = self.chain.pullback(dy.as_ref());
        let (o, i) = self.shape;
        let dw = self.weight.then(|| {
            let buffer = device.reshape::<(usize,), (O, I), E>(dw);
            WeightCotangent::Formed(Tensor::from_parts((o, i), buffer, device.clone()))
        });
        let db = db.filter(|_| bias).map(|db| {
            let buffer = device.reshape::<(usize,), (O,), E>(db);
            Tensor::from_parts((o,), buffer, device.clone())
        });
        let dx = self.input.map(|shape| match dx {
            // The chain's input: the pass's cotangent of it.
            Some(dx) => {
                Tensor::from_parts(shape, device.reshape::<(usize,), S, E>(dx), device.clone())
            }
            // What the layer before handed on, an empty stand-in: its
            // cotangent is one too.
            None => {
                assert!(
                    layer > 0 && shape.num_elements() == 0,
                    "a layer of a fused chain with an input of its own"
                );
                Tensor::from_parts(shape, device.full::<S, E>(0, E::zero()), device.clone())
            }
        });
        (dw, db, dx)
    }
}
