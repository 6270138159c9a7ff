//! Backward nodes: the composed backward pass of a traced value, as a type.
//!
//! A traced value carries a node describing how its cotangent reaches the
//! inputs. A [`Leaf`] adds it to an input's gradient slot, [`Then`] runs one
//! pullback and hands the result on, [`Join`] runs a binary pullback and
//! hands one result to each operand's node, and [`Constant`] drops it. Every
//! node is a plain struct holding its pullback and its children by value, so
//! the backward pass of `sum((x - y)²)` is the value
//! `Then(sum, Then(square, Join(sub, Leaf<x>, Leaf<y>)))`: no tape, no boxing,
//! and the compiler sees (and inlines) the whole pass.

use super::fill::Cotangent;
use super::pullback::{Both, Pullback};
use super::slots::{Accumulate, Locate, WithHole};
use super::traced::Traced;
use core::fmt;
use core::marker::PhantomData;

/// A backward pass: takes the cotangent `dy` of a traced value and adds the
/// gradients it leads to into the slots `G` of the inputs.
///
/// `G` is chosen by the caller of the backward pass (a
/// [`gradient`](super::gradient) call), not by the node, so code that builds
/// traced values never names it; a helper function that returns a traced
/// value states the bound for a `G` of its own (see [`Tracks`]).
pub trait Backward<Dy, G> {
    /// Runs the backward pass.
    fn backward(self, dy: Dy, grads: &mut G);

    /// Runs the backward pass from a cotangent with every element equal (see
    /// [`Fill`](super::Fill)); by default it becomes a tensor first.
    #[inline]
    fn backward_fill(self, dy: Dy::Fill, grads: &mut G)
    where
        Self: Sized,
        Dy: Cotangent,
    {
        self.backward(Dy::from_fill(dy), grads);
    }

    /// Runs the backward pass from a cotangent given as a [`Product`] not
    /// yet formed (a weight's cotangent `δ·xᵀ` in a fused layer, kept as
    /// its factors). By default the product is formed first; a [`Leaf`]
    /// hands it to its slot, which may fold the product into an update,
    /// and a [`Constant`] never forms it.
    #[inline]
    fn backward_product<P>(self, product: P, grads: &mut G)
    where
        Self: Sized,
        P: Product<Value = Dy>,
    {
        self.backward(product.value(), grads);
    }
}

/// `a · bᵀ` kept as its factors until someone needs the value.
#[derive(Clone, Debug)]
pub struct OuterProduct<A, B> {
    /// The left factor (`δ`, outputs × batch).
    pub a: A,
    /// The right factor (`x`, inputs × batch), transposed in the product.
    pub b: B,
}

/// A product kept as its factors, and its value.
pub trait Product {
    /// The product's value.
    type Value;

    /// Forms the product.
    fn value(self) -> Self::Value;

    /// `target += scale · product`, in one pass over `target` where the
    /// kernels allow: a step of descent folded into the product.
    fn add_scaled(self, target: &mut Self::Value, scale: f64);
}

/// A type-level yes or no: whether parameters lie behind a node (see
/// [`Tracked::Depends`]).
pub trait Bool {
    /// `Self || B`.
    type Or<B: Bool>: Bool;
    /// The value.
    const VALUE: bool;
}

/// Yes: parameters lie behind the node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Yes;

/// No parameters lie behind the node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct No;

impl Bool for Yes {
    type Or<B: Bool> = Yes;
    const VALUE: bool = true;
}

impl Bool for No {
    type Or<B: Bool> = B;
    const VALUE: bool = false;
}

/// A node that depends on an input: every node except [`Constant`].
///
/// The distinction is what lets an operation with one constant operand keep
/// only the half of its pullback that leads to the other one.
pub trait Tracked {
    /// Whether an input's [`Leaf`] lies behind this node, as a type: a
    /// [`Hole`] (the input of a layer inside a chain, which the chain
    /// connects) does not count. A chain on a plain input with no such
    /// leaf behind it returns a plain value.
    type Depends: Bool;

    /// Whether a gradient is wanted through this node at run time: false
    /// only behind a [`Hole`] that the chain opened with no gradient
    /// flowing, where a rule may skip keeping what its pullback needs.
    fn active(&self) -> bool;
}

/// A node that depends on an input and runs a backward pass from a cotangent
/// of `V` into the slots `G`: the bound a helper function states for the
/// traced values it takes and returns.
///
/// ```
/// use typeflux_ad::reverse::{Traced, Tracks, gradient};
/// use typeflux_core::prelude::*;
///
/// /// `W*x .+ b`, differentiable in `W` and `b` (`x` is data).
/// fn predict<G>(
///     w: Traced<Matrix<2, 3>, impl Tracks<Matrix<2, 3>, G>>,
///     b: Traced<Vector<2>, impl Tracks<Vector<2>, G>>,
///     x: &Vector<3>,
/// ) -> Traced<Vector<2>, impl Tracks<Vector<2>, G>> {
///     w.matmul(x) + b
/// }
///
/// let (w, b) = (Matrix::<2, 3>::ones(), Vector::<2>::zeros());
/// let x = Tensor::from_array([1.0, 2.0, 3.0]);
/// let (dw, db) = gradient(|(w, b)| predict(w, b, &x).sum(), (&w, &b));
/// assert_eq!(dw, Tensor::from_array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]));
/// assert_eq!(db, Vector::ones());
/// ```
pub trait Tracks<V, G>: Tracked + Backward<V, G> {}

impl<V, G, B: Tracked + Backward<V, G>> Tracks<V, G> for B {}

/// The node of a value that does not depend on any input: its backward pass
/// does nothing, and the operations that combine it with a tracked value keep
/// only the pullback toward that value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Constant;

impl<Dy, G> Backward<Dy, G> for Constant {
    #[inline(always)]
    fn backward(self, _: Dy, _: &mut G) {}

    #[inline(always)]
    fn backward_fill(self, _: Dy::Fill, _: &mut G)
    where
        Dy: Cotangent,
    {
    }

    #[inline(always)]
    fn backward_product<P>(self, _: P, _: &mut G)
    where
        P: Product<Value = Dy>,
    {
    }
}

/// The node of an input: adds its cotangent to the gradient slot at the
/// type-level path `P` (see [`Step`](super::Step)).
pub struct Leaf<P>(PhantomData<fn() -> P>);

impl<P> Leaf<P> {
    /// The leaf at path `P`.
    #[inline(always)]
    pub fn new() -> Self {
        Leaf(PhantomData)
    }
}

impl<P> Default for Leaf<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> Clone for Leaf<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Leaf<P> {}

impl<P> fmt::Debug for Leaf<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Leaf<{}>", core::any::type_name::<P>())
    }
}

impl<P> Tracked for Leaf<P> {
    type Depends = Yes;

    #[inline(always)]
    fn active(&self) -> bool {
        true
    }
}

impl<Dy, G, P: Locate<G>> Backward<Dy, G> for Leaf<P>
where
    P::Target: Accumulate<Dy>,
{
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        P::locate(grads).accumulate(dy);
    }

    #[inline(always)]
    fn backward_product<Q>(self, product: Q, grads: &mut G)
    where
        Q: Product<Value = Dy>,
    {
        P::locate(grads).accumulate_product(product);
    }
}

/// A pullback followed by the backward pass of the operand it leads to.
#[derive(Clone, Debug)]
pub struct Then<P, B> {
    pullback: P,
    next: B,
}

impl<P, B: Tracked> Tracked for Then<P, B> {
    type Depends = B::Depends;

    #[inline(always)]
    fn active(&self) -> bool {
        self.next.active()
    }
}

impl<Dy, G, P: Pullback<Dy>, B: Backward<P::Grads, G>> Backward<Dy, G> for Then<P, B> {
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        self.pullback.pullback_into(dy, self.next, grads);
    }

    #[inline(always)]
    fn backward_fill(self, dy: Dy::Fill, grads: &mut G)
    where
        Dy: Cotangent,
    {
        self.next.backward(self.pullback.pullback_fill(dy), grads);
    }
}

/// A binary pullback followed by the backward passes of both operands, the
/// left one first.
#[derive(Clone, Debug)]
pub struct Join<P, L, R> {
    pullback: P,
    lhs: L,
    rhs: R,
}

impl<P, L: Node, R: Node> Tracked for Join<P, L, R> {
    type Depends = <L::Depends as Bool>::Or<R::Depends>;

    #[inline(always)]
    fn active(&self) -> bool {
        self.lhs.active() || self.rhs.active()
    }
}

impl<Dy, G, P, L, R, GL, GR> Backward<Dy, G> for Join<P, L, R>
where
    P: Pullback<Dy, Grads = (GL, GR)>,
    L: Backward<GL, G>,
    R: Backward<GR, G>,
{
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        let (dl, dr) = self.pullback.pullback(dy);
        self.lhs.backward(dl, grads);
        self.rhs.backward(dr, grads);
    }

    #[inline(always)]
    fn backward_fill(self, dy: Dy::Fill, grads: &mut G)
    where
        Dy: Cotangent,
    {
        let (dl, dr) = self.pullback.pullback_fill(dy);
        self.lhs.backward(dl, grads);
        self.rhs.backward(dr, grads);
    }
}

/// The node of a value computed on one of two paths chosen at run time:
/// the backward pass of whichever path was taken. It gives the two branches
/// of an `if` or a `match` one type (see [`Traced::left`](super::Traced::left)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either<L, R> {
    /// The first path.
    Left(L),
    /// The second path.
    Right(R),
}

impl<L: Node, R: Node> Tracked for Either<L, R> {
    type Depends = <L::Depends as Bool>::Or<R::Depends>;

    #[inline(always)]
    fn active(&self) -> bool {
        match self {
            Either::Left(l) => l.active(),
            Either::Right(r) => r.active(),
        }
    }
}

impl<Dy, G, L: Backward<Dy, G>, R: Backward<Dy, G>> Backward<Dy, G> for Either<L, R> {
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        match self {
            Either::Left(l) => l.backward(dy, grads),
            Either::Right(r) => r.backward(dy, grads),
        }
    }

    #[inline(always)]
    fn backward_fill(self, dy: Dy::Fill, grads: &mut G)
    where
        Dy: Cotangent,
    {
        match self {
            Either::Left(l) => l.backward_fill(dy, grads),
            Either::Right(r) => r.backward_fill(dy, grads),
        }
    }
}

/// A node, tracked or [`Constant`]: extends by a unary pullback (a tracked
/// node becomes [`Then`]`<P, Self>`, a [`Constant`] stays constant and the
/// pullback is dropped at once), and says whether a gradient is wanted
/// through it.
pub trait Node: Sized {
    /// The node after the pullback `P`.
    type Then<P>: Node;
    /// Whether an input's leaf lies behind the node (see
    /// [`Tracked::Depends`]).
    type Depends: Bool;
    /// Whether the node leads anywhere: to an input's leaf or to a
    /// [`Hole`], which the chain around it connects to the member before.
    /// [`Yes`] for every tracked node, [`No`] for a [`Constant`].
    type Leads: Bool;
    /// A value `V` with this node, as its computation's caller should see
    /// it: the plain value for a [`Constant`], the traced value otherwise.
    type Finished<V>;

    /// Appends `pullback`.
    fn then<P>(self, pullback: P) -> Self::Then<P>;

    /// `value` with this node, as [`Finished`](Self::Finished).
    fn finish<V>(self, value: V) -> Self::Finished<V>;

    /// Whether a gradient is wanted through this node at run time: never
    /// for a [`Constant`].
    fn active(&self) -> bool;
}

impl Node for Constant {
    type Then<P> = Constant;
    type Depends = No;
    type Leads = No;
    type Finished<V> = V;

    #[inline(always)]
    fn then<P>(self, _: P) -> Constant {
        Constant
    }

    #[inline(always)]
    fn finish<V>(self, value: V) -> V {
        value
    }

    #[inline(always)]
    fn active(&self) -> bool {
        false
    }
}

impl<B: Tracked> Node for B {
    type Then<P> = Then<P, B>;
    type Depends = B::Depends;
    type Leads = Yes;
    type Finished<V> = Traced<V, B>;

    #[inline(always)]
    fn then<P>(self, pullback: P) -> Then<P, B> {
        Then {
            pullback,
            next: self,
        }
    }

    #[inline(always)]
    fn finish<V>(self, value: V) -> Traced<V, B> {
        Traced::new(value, self)
    }

    #[inline(always)]
    fn active(&self) -> bool {
        Tracked::active(self)
    }
}

/// The node of the input of a layer inside a chain: the chain runs each
/// layer's backward pass with a slot for this hole, and hands what arrives
/// there to the layer before. It makes a chain one node with its members'
/// backward passes side by side, rather than one level of nesting per
/// layer. It is tracked (operations on it build their pullbacks), but it
/// does not count as a parameter ([`Tracked::Depends`] is [`No`]), and it
/// says at run time whether a gradient is wanted through it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hole {
    active: bool,
}

impl Hole {
    /// A hole through which a gradient is wanted when `active`.
    #[inline(always)]
    pub fn new(active: bool) -> Self {
        Hole { active }
    }
}

impl Tracked for Hole {
    type Depends = No;

    #[inline(always)]
    fn active(&self) -> bool {
        self.active
    }
}

impl<X, G, H: Accumulate<X>> Backward<X, WithHole<'_, G, H>> for Hole {
    #[inline(always)]
    fn backward(self, dx: X, grads: &mut WithHole<'_, G, H>) {
        grads.hole().accumulate(dx);
    }
}

/// Joins the nodes of two operands under a binary pullback `Both<PL, PR>`,
/// keeping only the halves that lead to tracked operands.
///
/// | left | right | node |
/// |---|---|---|
/// | tracked | tracked | [`Join`]`<Both<PL, PR>, L, R>` |
/// | tracked | [`Constant`] | [`Then`]`<PL, L>` |
/// | [`Constant`] | tracked | [`Then`]`<PR, R>` |
/// | [`Constant`] | [`Constant`] | [`Constant`] |
pub trait Combine<R>: Sized {
    /// The joined node.
    type Join<PL, PR>: Node;

    /// Joins `self` (the left operand's node) and `rhs`.
    fn join<PL, PR>(self, rhs: R, pullback: Both<PL, PR>) -> Self::Join<PL, PR>;
}

impl<L: Tracked, R: Tracked> Combine<R> for L {
    type Join<PL, PR> = Join<Both<PL, PR>, L, R>;

    #[inline(always)]
    fn join<PL, PR>(self, rhs: R, pullback: Both<PL, PR>) -> Self::Join<PL, PR> {
        Join {
            pullback,
            lhs: self,
            rhs,
        }
    }
}

impl<L: Tracked> Combine<Constant> for L {
    type Join<PL, PR> = Then<PL, L>;

    #[inline(always)]
    fn join<PL, PR>(self, _: Constant, Both(lhs, _): Both<PL, PR>) -> Then<PL, L> {
        Then {
            pullback: lhs,
            next: self,
        }
    }
}

impl<R: Tracked> Combine<R> for Constant {
    type Join<PL, PR> = Then<PR, R>;

    #[inline(always)]
    fn join<PL, PR>(self, rhs: R, Both(_, pullback): Both<PL, PR>) -> Then<PR, R> {
        Then {
            pullback,
            next: rhs,
        }
    }
}

impl Combine<Constant> for Constant {
    type Join<PL, PR> = Constant;

    #[inline(always)]
    fn join<PL, PR>(self, _: Constant, _: Both<PL, PR>) -> Constant {
        Constant
    }
}

/// An operand that may be absent (a layer's bias): tracked when present and
/// tracked, and its backward pass runs only when present.
impl<B: Tracked> Tracked for Option<B> {
    type Depends = B::Depends;

    #[inline(always)]
    fn active(&self) -> bool {
        self.as_ref().is_some_and(Tracked::active)
    }
}

impl<Dy, G, B: Backward<Dy, G>> Backward<Dy, G> for Option<B> {
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        if let Some(b) = self {
            b.backward(dy, grads);
        }
    }

    #[inline(always)]
    fn backward_product<P>(self, product: P, grads: &mut G)
    where
        P: Product<Value = Dy>,
    {
        if let Some(b) = self {
            b.backward_product(product, grads);
        }
    }
}

/// The node of an operand that may be absent: [`Constant`] when its node is
/// constant (present or not), the `Option` of its node otherwise.
pub trait Optional: Sized {
    /// The node.
    type Node: Node;

    /// The node of the operand.
    fn into_node(self) -> Self::Node;
}

impl Optional for Option<Constant> {
    type Node = Constant;

    #[inline(always)]
    fn into_node(self) -> Constant {
        Constant
    }
}

impl<B: Tracked> Optional for Option<B> {
    type Node = Option<B>;

    #[inline(always)]
    fn into_node(self) -> Option<B> {
        self
    }
}

/// The node of a fused layer (product, bias, activation): a pullback toward
/// its three operands, the weight, the bias and the input, followed by
/// their backward passes, the input's last. The pullback returns `None`
/// for an operand whose gradient is not wanted, and the weight's cotangent
/// as a [`Product`] (the factors of its outer product, or a product
/// already formed; see [`Backward::backward_product`]).
#[derive(Clone, Debug)]
pub struct LayerNode<P, A, B, C> {
    pullback: P,
    a: A,
    b: B,
    c: C,
}

impl<P, A: Node, B: Node, C: Node> Tracked for LayerNode<P, A, B, C> {
    type Depends = <A::Depends as Bool>::Or<<B::Depends as Bool>::Or<C::Depends>>;

    #[inline(always)]
    fn active(&self) -> bool {
        self.a.active() || self.b.active() || self.c.active()
    }
}

impl<Dy, G, P, A, B, C, GA, GB, GC> Backward<Dy, G> for LayerNode<P, A, B, C>
where
    P: Pullback<Dy, Grads = (Option<GA>, Option<GB>, Option<GC>)>,
    GA: Product,
    A: Backward<GA::Value, G>,
    B: Backward<GB, G>,
    C: Backward<GC, G>,
{
    #[inline(always)]
    fn backward(self, dy: Dy, grads: &mut G) {
        let (da, db, dc) = self.pullback.pullback(dy);
        if let Some(da) = da {
            self.a.backward_product(da, grads);
        }
        if let Some(db) = db {
            self.b.backward(db, grads);
        }
        if let Some(dc) = dc {
            self.c.backward(dc, grads);
        }
    }
}

/// Joins the nodes of three operands under a pullback `P` toward all three
/// ([`LayerNode`]), or gives [`Constant`] when all three are constant.
pub trait Join3<B, C>: Sized {
    /// The joined node.
    type Out<P>: Node;

    /// Joins `self`, `b` and `c` under `pullback`.
    fn join3<P>(self, b: B, c: C, pullback: P) -> Self::Out<P>;
}

impl Join3<Constant, Constant> for Constant {
    type Out<P> = Constant;

    #[inline(always)]
    fn join3<P>(self, _: Constant, _: Constant, _: P) -> Constant {
        Constant
    }
}

impl<A: Tracked, B: Node, C: Node> Join3<B, C> for A {
    type Out<P> = LayerNode<P, A, B, C>;

    #[inline(always)]
    fn join3<P>(self, b: B, c: C, pullback: P) -> LayerNode<P, A, B, C> {
        LayerNode {
            pullback,
            a: self,
            b,
            c,
        }
    }
}

impl<B: Tracked, C: Node> Join3<B, C> for Constant {
    type Out<P> = LayerNode<P, Constant, B, C>;

    #[inline(always)]
    fn join3<P>(self, b: B, c: C, pullback: P) -> LayerNode<P, Constant, B, C> {
        LayerNode {
            pullback,
            a: self,
            b,
            c,
        }
    }
}

impl<C: Tracked> Join3<Constant, C> for Constant {
    type Out<P> = LayerNode<P, Constant, Constant, C>;

    #[inline(always)]
    fn join3<P>(self, b: Constant, c: C, pullback: P) -> LayerNode<P, Constant, Constant, C> {
        LayerNode {
            pullback,
            a: self,
            b,
            c,
        }
    }
}
