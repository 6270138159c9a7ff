//! Elementwise rules: `y = f(x)` element by element, so `x̄ = ȳ ⊙ f'(x)`.
//!
//! Every operation of core's table ([`unary_ops!`](typeflux_core::unary_ops))
//! has the same rule, [`unary`]: one device pass computes `f(x)` and `f'(x)`
//! (the derivative from the table's own definition, evaluated on a dual
//! number), and the pullback keeps `f'(x)`. Each operation also has a rule
//! function of its own name (`unary::tanh`), generated from the table.
//! `neg` keeps nothing; [`map`] and [`zip_map`] take any Rust function of
//! dual numbers, on the CPU.

use crate::reverse::fill::Cotangent;
use crate::reverse::pullback::{Both, Pullback};
use num_dual::Dual;
use typeflux_core::{Cpu, Device, Element, Kernels, Shape, Tensor, UnaryOp};

/// The filled form of a tensor cotangent, as the signature of
/// [`Pullback::pullback_fill`] names it.
type Filled<S, E, D> = <Tensor<S, E, D> as Cotangent>::Fill;

/// `y = -x`: `x̄ = -ȳ`.
#[inline]
pub fn neg<S: Shape, E: Element, D: Kernels<E>>(
    x: Tensor<S, E, D>,
) -> (Tensor<S, E, D>, NegPullback) {
    (-x, NegPullback)
}

/// The pullback of [`neg`] (and of `s - x`): `x̄ = -ȳ`. Keeps nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NegPullback;

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<S, E, D>> for NegPullback {
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        dy * -E::one()
    }

    #[inline]
    fn pullback_ref(self, dy: &Tensor<S, E, D>) -> Tensor<S, E, D> {
        -dy
    }
}

/// `y = op(x)` for an operation of the table, chosen at run time: one pass
/// computes the values and the slopes `op'(x)`, in `x`'s buffer where it is
/// not shared, and the pullback keeps the slopes. Every operation has this
/// one pullback type, so two branches of an `if` that apply different
/// operations build the same traced type.
///
/// ```
/// use typeflux_ad::reverse::{Pullback, rules::unary};
/// use typeflux_core::{UnaryOp, prelude::*};
///
/// let x: Vector<2> = Tensor::from_array([0.0, 1.0]);
/// for op in [UnaryOp::Exp, UnaryOp::Sin] {
///     let (y, back) = unary::unary(x.clone(), op);
///     assert_eq!(y, x.unary(op));
///     let dx = back.pullback(Vector::<2>::ones());
///     let expected = if op == UnaryOp::Exp { x.exp() } else { x.cos() };
///     assert_eq!(dx, expected);
/// }
/// ```
#[inline]
pub fn unary<S: Shape, E: Element, D: Kernels<E>>(
    mut x: Tensor<S, E, D>,
    op: UnaryOp,
) -> (Tensor<S, E, D>, UnaryPullback<S, E, D>) {
    let slopes = x.unary_slope_assign(op);
    (x, UnaryPullback { slopes })
}

/// The pullback of [`unary`]: `x̄ = ȳ ⊙ f'(x)`. Keeps the slopes `f'(x)`.
#[derive(Clone, Debug)]
pub struct UnaryPullback<S: Shape, E: Element, D: Device> {
    slopes: Tensor<S, E, D>,
}

impl<S: Shape, E: Element, D: Device> UnaryPullback<S, E, D> {
    /// The pullback of an elementwise function whose slopes are `slopes`.
    #[inline]
    pub fn from_slopes(slopes: Tensor<S, E, D>) -> Self {
        UnaryPullback { slopes }
    }
}

impl<S: Shape, E: Element, D: Kernels<E>> Pullback<Tensor<S, E, D>> for UnaryPullback<S, E, D> {
    type Grads = Tensor<S, E, D>;

    #[inline]
    #[track_caller]
    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        dy * self.slopes
    }

    /// `f'(x) ⊙ ȳ` in the slopes' buffer.
    #[inline]
    #[track_caller]
    fn pullback_ref(self, dy: &Tensor<S, E, D>) -> Tensor<S, E, D> {
        self.slopes * dy
    }

    /// `ȳ` the same everywhere: the slopes scaled in place.
    #[inline]
    fn pullback_fill(self, dy: Filled<S, E, D>) -> Tensor<S, E, D> {
        self.slopes * dy.value()
    }
}

/// One rule function per line of the table: `unary::tanh(x)` is
/// `unary::unary(x, UnaryOp::Tanh)` (`neg`, which keeps nothing, has its
/// own).
macro_rules! rule_functions {
    ($(#[$ndoc:meta])* Neg neg $NT:ident |$nx:ident| $nvalue:expr;
     $($(#[$doc:meta])* $Op:ident $name:ident $T:ident |$x:ident| $value:expr;)*) => {$(
        #[doc = concat!("The rule of `", stringify!($name), "`: ")]
        $(#[$doc])*
        #[doc = ""]
        #[doc = "`x̄ = ȳ ⊙ f'(x)`, the slopes kept (see [`unary`])."]
        #[inline]
        pub fn $name<S: Shape, E: Element, D: Kernels<E>>(
            x: Tensor<S, E, D>,
        ) -> (Tensor<S, E, D>, UnaryPullback<S, E, D>) {
            unary(x, UnaryOp::$Op)
        }
    )*};
}

typeflux_core::unary_ops!(rule_functions);

/// `y = f(x)` elementwise for any function `f` written for dual numbers
/// (CPU, like the core `map`): one evaluation on [`Dual`] numbers gives every
/// `f(xᵢ)` and `f'(xᵢ)` at once, and the pullback keeps the derivatives:
/// `x̄ = ȳ ⊙ f'(x)`.
///
/// ```
/// use typeflux_ad::DualNum;
/// use typeflux_ad::reverse::{Pullback, rules::unary};
/// use typeflux_core::prelude::*;
///
/// // softplus(x) = ln(1 + eˣ), whose derivative is the logistic function
/// let x: Vector<2, f64> = Tensor::from_array([0.0, 2.0]);
/// let (y, back) = unary::map(x, |v| (v.exp() + 1.0).ln());
/// assert_eq!(y[0], 2f64.ln());
/// let dx = back.pullback(Vector::<2, f64>::ones());
/// assert_eq!(dx[0], 0.5);
/// assert!((dx[1] - 1.0 / (1.0 + (-2f64).exp())).abs() < 1e-15);
/// ```
pub fn map<S: Shape, E: Element>(
    x: Tensor<S, E, Cpu>,
    f: impl Fn(Dual<E>) -> Dual<E>,
) -> (Tensor<S, E, Cpu>, MapPullback<S, E>) {
    let (values, slopes): (Vec<E>, Vec<E>) = x
        .iter()
        .map(|&v| {
            let d = f(Dual::from_re(v).derivative());
            (d.re, d.eps)
        })
        .unzip();
    let y = Tensor::from_parts(x.shape(), Cpu.upload::<S, E>(&values), Cpu);
    let dydx = Tensor::from_parts(x.shape(), Cpu.upload::<S, E>(&slopes), Cpu);
    (y, MapPullback { dydx })
}

/// The pullback of [`map`]: `x̄ = ȳ ⊙ f'(x)`. Keeps the derivatives.
#[derive(Clone, Debug)]
pub struct MapPullback<S: Shape, E: Element> {
    dydx: Tensor<S, E, Cpu>,
}

impl<S: Shape, E: Element> Pullback<Tensor<S, E, Cpu>> for MapPullback<S, E> {
    type Grads = Tensor<S, E, Cpu>;

    #[inline]
    #[track_caller]
    fn pullback(self, dy: Tensor<S, E, Cpu>) -> Tensor<S, E, Cpu> {
        dy * self.dydx
    }
}

/// The pullback of [`zip_map`] toward both operands.
pub type ZipMapPullback<S, E> = Both<MapPullback<S, E>, MapPullback<S, E>>;

/// `y = f(a, b)` elementwise for any function `f` of two dual numbers (CPU,
/// like the core `zip_map`): two evaluations on [`Dual`] numbers, one seeded
/// in `a` and one in `b`, give `∂f/∂a` and `∂f/∂b` at every element, which
/// the two halves of the pullback keep: `ā = ȳ ⊙ ∂f/∂a`, `b̄ = ȳ ⊙ ∂f/∂b`.
///
/// ```
/// use typeflux_ad::DualNum;
/// use typeflux_ad::reverse::{Pullback, rules::unary};
/// use typeflux_core::prelude::*;
///
/// let a: Vector<2, f64> = Tensor::from_array([1.0, 2.0]);
/// let b: Vector<2, f64> = Tensor::from_array([3.0, 0.5]);
/// let (y, back) = unary::zip_map(a, b, |a, b| a * b.exp());
/// assert_eq!(y[0], 3f64.exp());
/// let (da, db) = back.pullback(Vector::<2, f64>::ones());
/// assert_eq!((da[1], db[1]), (0.5f64.exp(), 2.0 * 0.5f64.exp()));
/// ```
#[track_caller]
pub fn zip_map<S: Shape, E: Element>(
    a: Tensor<S, E, Cpu>,
    b: Tensor<S, E, Cpu>,
    f: impl Fn(Dual<E>, Dual<E>) -> Dual<E>,
) -> (Tensor<S, E, Cpu>, ZipMapPullback<S, E>) {
    let toward_a = a.zip_map(&b, |x, y| {
        f(Dual::from_re(x).derivative(), Dual::from_re(y))
    });
    let toward_b = a.zip_map(&b, |x, y| {
        f(Dual::from_re(x), Dual::from_re(y).derivative())
    });
    let y = toward_a.map(|d| d.re);
    let da = toward_a.map(|d| d.eps);
    let db = toward_b.map(|d| d.eps);
    (y, Both(MapPullback { dydx: da }, MapPullback { dydx: db }))
}
