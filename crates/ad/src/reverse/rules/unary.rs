//! Elementwise rules: `y = f(x)` element by element, so `x̄ = ȳ ⊙ f'(x)`.
//!
//! Each pullback keeps whichever of `x` and `y` gives `f'` most cheaply:
//! `exp`, `sqrt` and `tanh` keep their output, the others their input, `neg`
//! nothing.

use super::on_host;
use crate::reverse::fill::Cotangent;
use crate::reverse::pullback::{Both, Pullback};
use num_dual::Dual;
use typeflux_core::{Cpu, Device, Element, Shape, Tensor, UnaryOp};

/// The filled form of a tensor cotangent, as the signature of
/// [`Pullback::pullback_fill`] names it.
type Filled<S, E, D> = <Tensor<S, E, D> as Cotangent>::Fill;

/// `2` as an element.
fn two<E: Element>() -> E {
    E::one() + E::one()
}

/// `ȳ ⊙ f'(x)` for every operation, given what its pullback kept.
mod derivative {
    use super::*;

    pub(super) fn neg<S: Shape, E: Element, D: Device>(dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        dy * -E::one()
    }

    /// `|x|' = sign x`, taken as 0 at 0 (a subgradient), computed on the host.
    pub(super) fn abs<S: Shape, E: Element, D: Device>(
        dy: Tensor<S, E, D>,
        x: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        let sign = on_host(x, x.shape(), |xs| {
            xs.into_iter()
                .map(|v| {
                    if v == E::zero() {
                        E::zero()
                    } else {
                        v.signum()
                    }
                })
                .collect()
        });
        dy * sign
    }

    pub(super) fn square<S: Shape, E: Element, D: Device>(
        dy: Tensor<S, E, D>,
        x: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy * x * two::<E>()
    }

    /// `√x' = 1 / (2√x) = 1 / 2y`.
    pub(super) fn sqrt<S: Shape, E: Element, D: Device>(
        dy: Tensor<S, E, D>,
        y: Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy / (y * two::<E>())
    }

    /// `exp' = exp = y`.
    pub(super) fn exp<S: Shape, E: Element, D: Device>(
        dy: Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy * y
    }

    pub(super) fn ln<S: Shape, E: Element, D: Device>(
        dy: Tensor<S, E, D>,
        x: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy / x
    }

    /// `tanh' = 1 - tanh² = 1 - y²`.
    pub(super) fn tanh<S: Shape, E: Element, D: Device>(
        dy: Tensor<S, E, D>,
        y: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy * y
            .square()
            .scalar_op_left(typeflux_core::BinaryOp::Sub, E::one())
    }

    pub(super) fn sin<S: Shape, E: Element, D: Device>(
        dy: Tensor<S, E, D>,
        x: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy * x.cos()
    }

    pub(super) fn cos<S: Shape, E: Element, D: Device>(
        dy: Tensor<S, E, D>,
        x: &Tensor<S, E, D>,
    ) -> Tensor<S, E, D> {
        dy * x.sin() * -E::one()
    }
}

/// `y = -x`: `x̄ = -ȳ`.
#[inline]
pub fn neg<S: Shape, E: Element, D: Device>(x: Tensor<S, E, D>) -> (Tensor<S, E, D>, NegPullback) {
    (-x, NegPullback)
}

/// The pullback of [`neg`] (and of `s - x`): `x̄ = -ȳ`. Keeps nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NegPullback;

impl<S: Shape, E: Element, D: Device> Pullback<Tensor<S, E, D>> for NegPullback {
    type Grads = Tensor<S, E, D>;

    #[inline]
    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        derivative::neg(dy)
    }
}

/// Rules whose pullback keeps the input `x`, or the output `y`, by reference
/// in the derivative.
macro_rules! elementwise {
    ($($(#[$doc:meta])* $f:ident $Pullback:ident keeps $kept:ident $(by $by:tt)?
        $(, filled |$k:ident, $v:ident| $filled:expr)?;)*) => {$(
        $(#[$doc])*
        #[inline]
        pub fn $f<S: Shape, E: Element, D: Device>(
            x: Tensor<S, E, D>,
        ) -> (Tensor<S, E, D>, $Pullback<S, E, D>) {
            elementwise!(@forward $kept x $f $Pullback)
        }

        #[doc = concat!("The pullback of [`", stringify!($f), "`]: keeps `", stringify!($kept), "`.")]
        #[derive(Clone, Debug)]
        pub struct $Pullback<S: Shape, E: Element, D: Device> {
            $kept: Tensor<S, E, D>,
        }

        impl<S: Shape, E: Element, D: Device> Pullback<Tensor<S, E, D>> for $Pullback<S, E, D> {
            type Grads = Tensor<S, E, D>;

            #[inline]
            #[track_caller]
            fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
                derivative::$f(dy, $($by)? self.$kept)
            }

            $(
            /// `ȳ` the same everywhere: the kept tensor scaled in place.
            #[inline]
            fn pullback_fill(self, dy: Filled<S, E, D>) -> Tensor<S, E, D> {
                let ($k, $v) = (self.$kept, dy.value());
                $filled
            }
            )?
        }
    )*};
    (@forward x $x:ident $f:ident $Pullback:ident) => {
        ($x.$f(), $Pullback { x: $x })
    };
    (@forward y $x:ident $f:ident $Pullback:ident) => {{
        let y = $x.$f();
        (y.clone(), $Pullback { y })
    }};
}

impl<S: Shape, E: Element, D: Device> SquarePullback<S, E, D> {
    /// The pullback of `x²` at `x`, for rules that compute the square
    /// fused with something else (see [`reduce::sum_of_squares`]).
    ///
    /// [`reduce::sum_of_squares`]: super::reduce::sum_of_squares
    #[inline(always)]
    pub fn keeping(x: Tensor<S, E, D>) -> Self {
        SquarePullback { x }
    }
}

elementwise! {
    /// `y = |x|`: `x̄ = ȳ ⊙ sign x`, with 0 at 0. The sign is taken on the
    /// host (the device has no comparison kernel).
    abs AbsPullback keeps x by &;
    /// `y = x²`: `x̄ = 2x ⊙ ȳ`.
    square SquarePullback keeps x by &, filled |x, dy| x * (two::<E>() * dy);
    /// `y = √x`: `x̄ = ȳ / 2y`.
    sqrt SqrtPullback keeps y;
    /// `y = eˣ`: `x̄ = ȳ ⊙ y`.
    exp ExpPullback keeps y by &, filled |y, dy| y * dy;
    /// `y = ln x`: `x̄ = ȳ / x`.
    ln LnPullback keeps x by &;
    /// `y = tanh x`: `x̄ = ȳ ⊙ (1 - y²)`.
    tanh TanhPullback keeps y by &;
    /// `y = sin x`: `x̄ = ȳ ⊙ cos x`.
    sin SinPullback keeps x by &;
    /// `y = cos x`: `x̄ = -ȳ ⊙ sin x`.
    cos CosPullback keeps x by &;
}

/// `y = op(x)` for an operation chosen at run time. The pullback has one
/// type for every `op`, so two branches of an `if` that apply different
/// operations still build the same traced type.
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
pub fn unary<S: Shape, E: Element, D: Device>(
    x: Tensor<S, E, D>,
    op: UnaryOp,
) -> (Tensor<S, E, D>, UnaryPullback<S, E, D>) {
    let y = x.unary(op);
    let kept = match op {
        UnaryOp::Neg => Kept::Nothing,
        UnaryOp::Sqrt | UnaryOp::Exp | UnaryOp::Tanh => Kept::Output(y.clone()),
        UnaryOp::Abs | UnaryOp::Square | UnaryOp::Ln | UnaryOp::Sin | UnaryOp::Cos => {
            Kept::Input(x)
        }
    };
    (y, UnaryPullback { op, kept })
}

/// The pullback of [`unary`]: keeps the input or the output, whichever its
/// operation's derivative needs.
#[derive(Clone, Debug)]
pub struct UnaryPullback<S: Shape, E: Element, D: Device> {
    op: UnaryOp,
    kept: Kept<Tensor<S, E, D>>,
}

#[derive(Clone, Debug)]
enum Kept<T> {
    Nothing,
    Input(T),
    Output(T),
}

impl<S: Shape, E: Element, D: Device> Pullback<Tensor<S, E, D>> for UnaryPullback<S, E, D> {
    type Grads = Tensor<S, E, D>;

    fn pullback(self, dy: Tensor<S, E, D>) -> Tensor<S, E, D> {
        use derivative as d;
        match (self.op, self.kept) {
            (UnaryOp::Neg, _) => d::neg(dy),
            (UnaryOp::Abs, Kept::Input(x)) => d::abs(dy, &x),
            (UnaryOp::Square, Kept::Input(x)) => d::square(dy, &x),
            (UnaryOp::Sqrt, Kept::Output(y)) => d::sqrt(dy, y),
            (UnaryOp::Exp, Kept::Output(y)) => d::exp(dy, &y),
            (UnaryOp::Ln, Kept::Input(x)) => d::ln(dy, &x),
            (UnaryOp::Tanh, Kept::Output(y)) => d::tanh(dy, &y),
            (UnaryOp::Sin, Kept::Input(x)) => d::sin(dy, &x),
            (UnaryOp::Cos, Kept::Input(x)) => d::cos(dy, &x),
            (op, _) => unreachable!("unary rule: {op:?} kept the wrong value"),
        }
    }
}

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
