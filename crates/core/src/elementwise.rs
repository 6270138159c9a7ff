//! Elementwise operations, each declared once.
//!
//! Every function of one element that typeflux differentiates (`exp`,
//! `tanh`, `sigmoid`, `relu`, ...) is one line of the table in
//! [`unary_ops!`](crate::unary_ops): its name and its value, written
//! against [`Math`]. Everything else is derived from that line:
//!
//! - a zero-sized type per operation (`Tanh`, `Sigmoid`, ...) implementing
//!   [`Elementwise`], which typeflux-nn uses as its activations;
//! - a variant of [`UnaryOp`], the operation a device kernel receives;
//! - the tensor method (`x.tanh()`), and the scalar function
//!   ([`scalar::tanh`](crate::elementwise::scalar)) for any [`Math`] number,
//!   the reverse-mode tape's `Var` included;
//! - the derivative: the same value function evaluated on num-dual's
//!   [`Dual`] number gives `f(x)` and `f'(x)` in one evaluation, so no
//!   derivative is written by hand;
//! - in `typeflux-ad`, the traced method, its reverse rule and its entry in
//!   the gradient-check property tests, which expand the same table.
//!
//! Adding an operation is adding its line (and its reference values to the
//! tests). A NaN input gives NaN, and so does its derivative: every
//! operation propagates NaN, whatever branch its formula takes.
//!
//! ```
//! use typeflux_core::elementwise::{Elementwise, Sigmoid, scalar};
//! use typeflux_core::UnaryOp;
//! use typeflux_core::prelude::*;
//!
//! assert_eq!(scalar::sigmoid(0.0f64), 0.5);
//! assert_eq!(Sigmoid::value_and_slope(0.0f64), (0.5, 0.25));
//! let x = Vector::<2>::from_array([0.0, 1.0]);
//! assert_eq!(x.atan().to_vec(), vec![0.0, 1f32.atan()]);
//! let (_, slope) = scalar::value_and_slope(UnaryOp::Atan, 1.0f64);
//! assert_eq!(slope, 0.5); // 1 / (1 + x²)
//! ```

use crate::element::Element;
use core::ops::{Add, Div, Mul, Sub};
use num_dual::{Dual, DualNum};
use num_traits::{Float, FromPrimitive};

/// The arithmetic an elementwise operation is written in: the operators,
/// a few functions, comparisons and a choice between two values.
///
/// It is implemented for every number a tensor holds (`f32`, `f64`, every
/// num-dual number, the tape's `Var`), through num-dual's `DualNum`, so one
/// declaration computes values on plain numbers and values with their
/// derivatives on dual numbers. Comparisons look at the real part only.
///
/// [`select`](Math::select) takes its two values as closures, so that a
/// branch that would overflow (`exp` of a large number) is not computed on
/// the CPU; a backend may compute both and pick one.
pub trait Math:
    Copy
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + core::ops::Neg<Output = Self>
{
    /// The result of a comparison.
    type Bool: Copy;

    /// A constant.
    fn lit(x: f64) -> Self;
    /// `self < rhs` (false when either is NaN).
    fn lt(self, rhs: Self) -> Self::Bool;
    /// `self > rhs` (false when either is NaN).
    fn gt(self, rhs: Self) -> Self::Bool;
    /// `self <= rhs` (false when either is NaN).
    fn le(self, rhs: Self) -> Self::Bool;
    /// `then()` where `cond` holds, `otherwise()` elsewhere.
    fn select(
        cond: Self::Bool,
        then: impl FnOnce() -> Self,
        otherwise: impl FnOnce() -> Self,
    ) -> Self;

    /// `eˣ`.
    fn exp(self) -> Self;
    /// `eˣ - 1`, exact near 0.
    fn exp_m1(self) -> Self;
    /// `ln x`.
    fn ln(self) -> Self;
    /// `ln(1 + x)`, exact near 0.
    fn ln_1p(self) -> Self;
    /// `√x`.
    fn sqrt(self) -> Self;
    /// `1 / x`.
    fn recip(self) -> Self;
    /// `tanh x`, finite for every finite `x` (also on dual numbers, whose
    /// own `tanh` is `sinh / cosh` and overflows past |x| ≈ 710), and with
    /// the float's own `tanh` as the value of a dual number.
    fn tanh(self) -> Self;
    /// `sin x`.
    fn sin(self) -> Self;
    /// `cos x`.
    fn cos(self) -> Self;
    /// `atan x`.
    fn atan(self) -> Self;
}

/// `tanh h` for a dual number `h` whose real part is zero. Such an `h` is
/// nilpotent: `h^(n+1) = 0` for `n` = [`DualNum::NDERIV`], the total order
/// of its derivatives. So the Taylor series `h - h³/3 + 2h⁵/15 - …` ends
/// after the powers up to `n`: one multiplication for a `Dual2`, where
/// num-dual's own `tanh` takes a `sinh`, a `cosh` and a division of dual
/// numbers, each with calls of the float functions.
#[inline(always)]
fn nilpotent_tanh<T: DualNum + Copy>(h: T) -> T {
    // The coefficients of h, h³, h⁵, h⁷ and h⁹ in the series of tanh.
    const COEFFICIENTS: [f64; 5] = [1.0, -1.0 / 3.0, 2.0 / 15.0, -17.0 / 315.0, 62.0 / 2835.0];
    let odd_powers = T::NDERIV.div_ceil(2);
    if odd_powers > COEFFICIENTS.len() {
        return DualNum::tanh(&h);
    }
    if odd_powers <= 1 {
        return h;
    }
    let h2 = h * h;
    let mut sum = T::lit(COEFFICIENTS[odd_powers - 1]);
    for &c in COEFFICIENTS[..odd_powers - 1].iter().rev() {
        sum = sum * h2 + T::lit(c);
    }
    sum * h
}

impl<T: DualNum + Copy> Math for T {
    type Bool = bool;

    #[inline(always)]
    fn lit(x: f64) -> Self {
        T::from(T::Primitive::from_f64(x).expect("a constant converts to every element type"))
    }

    #[inline(always)]
    fn lt(self, rhs: Self) -> bool {
        self.re() < rhs.re()
    }

    #[inline(always)]
    fn gt(self, rhs: Self) -> bool {
        self.re() > rhs.re()
    }

    #[inline(always)]
    fn le(self, rhs: Self) -> bool {
        self.re() <= rhs.re()
    }

    #[inline(always)]
    fn select(cond: bool, then: impl FnOnce() -> Self, otherwise: impl FnOnce() -> Self) -> Self {
        if cond { then() } else { otherwise() }
    }

    #[inline(always)]
    fn exp(self) -> Self {
        DualNum::exp(&self)
    }

    #[inline(always)]
    fn exp_m1(self) -> Self {
        DualNum::exp_m1(&self)
    }

    #[inline(always)]
    fn ln(self) -> Self {
        DualNum::ln(&self)
    }

    #[inline(always)]
    fn ln_1p(self) -> Self {
        DualNum::ln_1p(&self)
    }

    #[inline(always)]
    fn sqrt(self) -> Self {
        DualNum::sqrt(&self)
    }

    #[inline(always)]
    fn recip(self) -> Self {
        DualNum::recip(&self)
    }

    #[inline(always)]
    fn tanh(self) -> Self {
        if T::NDERIV == 0 {
            return DualNum::tanh(&self);
        }
        // tanh(a + h) = (tanh a + tanh h) / (1 + tanh a · tanh h), with `a` the
        // real part and `h` the rest, whose own tanh cannot overflow: the
        // value is the float's own tanh, and no part overflows at any `a`.
        let re = self.re();
        if num_traits::Float::is_infinite(re) {
            // ±1, flat: every derivative is zero there (`self - a` below
            // would be ∞ - ∞).
            return T::from(num_traits::Float::signum(re));
        }
        let a = T::from(re);
        let t = T::from(num_traits::Float::tanh(re));
        let th = nilpotent_tanh(self - a);
        (t + th) / (T::lit(1.0) + t * th)
    }

    #[inline(always)]
    fn sin(self) -> Self {
        DualNum::sin(&self)
    }

    #[inline(always)]
    fn cos(self) -> Self {
        DualNum::cos(&self)
    }

    #[inline(always)]
    fn atan(self) -> Self {
        DualNum::atan(&self)
    }
}

/// An elementwise operation: a zero-sized type with the operation's value
/// function, from the table in [`unary_ops!`](crate::unary_ops).
pub trait Elementwise: Copy + Default + Send + Sync + core::fmt::Debug + 'static {
    /// The operation, as device kernels receive it.
    const OP: UnaryOp;

    /// The value at `x`.
    fn apply<T: Math>(x: T) -> T;

    /// The value and the derivative at `x`, from one evaluation on a dual
    /// number; both NaN where `x` is NaN.
    #[inline(always)]
    fn value_and_slope<E: Element>(x: E) -> (E, E) {
        if x.re().is_nan() {
            return (x, x);
        }
        let d = Self::apply(Dual::from_re(x).derivative());
        (d.re, d.eps)
    }
}

/// Something done with an operation's type, given at run time as a
/// [`UnaryOp`]: [`UnaryOp::dispatch`] calls [`visit`](OpVisitor::visit)
/// with the operation's own type, so a kernel loop is compiled once per
/// operation rather than matching on the operation at every element.
pub trait OpVisitor {
    /// What the visit returns.
    type Out;

    /// Visits the operation `F`.
    fn visit<F: Elementwise>(self) -> Self::Out;
}

/// The table of elementwise operations: one line each, the type, the
/// method name and the value, written for a number `x` of a type `T:`
/// [`Math`]. Called with the name of a macro, it expands that macro with the
/// table; typeflux's crates build their operations from it.
///
/// Formulas multiply by a `recip` rather than divide: num-dual divides that
/// way, so a value computed on a dual number (with its derivative) is the
/// one computed on the float, to the bit.
///
/// Formulas choose the branch that cannot overflow (`sigmoid` takes `eˣ`
/// only of a negative number) and keep NaN: a comparison with NaN is false,
/// so each branch that a NaN reaches returns it.
#[macro_export]
macro_rules! unary_ops {
    ($callback:path) => {
        $callback! {
            /// `-x`.
            Neg neg T |x| -x;
            /// `|x|`, with derivative 0 at 0.
            Abs abs T |x| T::select(
                x.lt(T::lit(0.0)),
                || -x,
                || T::select(x.gt(T::lit(0.0)), || x, || x * x),
            );
            /// `-1`, `0` or `1` as `x` is negative, zero or positive (`-0` for
            /// `-0`), Julia's `sign`; its derivative is 0. `1 - sign(x)²` marks
            /// the zeros of a tensor on any device, which has no comparisons.
            Sign sign T |x| T::select(
                x.lt(T::lit(0.0)),
                || T::lit(-1.0),
                || T::select(x.gt(T::lit(0.0)), || T::lit(1.0), || x * T::lit(0.0)),
            );
            /// `x²`.
            Square square T |x| x * x;
            /// `√x`.
            Sqrt sqrt T |x| x.sqrt();
            /// `1 / x`.
            Recip recip T |x| x.recip();
            /// `eˣ`.
            Exp exp T |x| x.exp();
            /// `ln x`.
            Ln ln T |x| x.ln();
            /// `tanh x`.
            Tanh tanh T |x| x.tanh();
            /// `sin x`.
            Sin sin T |x| x.sin();
            /// `cos x`.
            Cos cos T |x| x.cos();
            /// `atan x`.
            Atan atan T |x| x.atan();
            /// `σ(x) = 1 / (1 + e⁻ˣ)`, Flux's `sigmoid` (`σ`), with `e` only
            /// ever raised to a number ≤ 0.
            Sigmoid sigmoid T |x| T::select(
                x.lt(T::lit(0.0)),
                || {
                    let e = x.exp();
                    e * (T::lit(1.0) + e).recip()
                },
                || (T::lit(1.0) + (-x).exp()).recip(),
            );
            /// `max(x, 0)`, Flux's `relu`; its derivative at 0 is 0.
            Relu relu T |x| T::select(x.le(T::lit(0.0)), || T::lit(0.0), || x);
            /// `x` for `x > 0`, `0.01·x` otherwise: Flux's `leakyrelu` with its
            /// default slope.
            LeakyRelu leakyrelu T |x| T::select(x.gt(T::lit(0.0)), || x, || x * T::lit(0.01));
            /// `x` for `x ≥ 0`, `eˣ - 1` otherwise: Flux's `elu` with `α = 1`.
            Elu elu T |x| T::select(x.lt(T::lit(0.0)), || x.exp_m1(), || x);
            /// `x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))`: Flux's `gelu`, the
            /// tanh approximation. Beyond |x| = 10 it is `x` or 0, exactly
            /// in `f32` and `f64`, and the cube is not formed.
            Gelu gelu T |x| T::select(
                x.gt(T::lit(10.0)),
                || x,
                || T::select(
                    x.lt(T::lit(-10.0)),
                    || T::lit(0.0),
                    || {
                        let u = x * T::lit(0.797_884_560_802_865_4)
                            * (T::lit(1.0) + x * x * T::lit(0.044_715));
                        x * T::lit(0.5) * (T::lit(1.0) + u.tanh())
                    },
                ),
            );
            /// `x · σ(x)`, Flux's `swish`.
            Swish swish T |x| x * T::select(
                x.lt(T::lit(0.0)),
                || {
                    let e = x.exp();
                    e * (T::lit(1.0) + e).recip()
                },
                || (T::lit(1.0) + (-x).exp()).recip(),
            );
            /// `ln(1 + eˣ)`, Flux's `softplus`, as `x + ln(1 + e⁻ˣ)` for
            /// `x > 0`.
            Softplus softplus T |x| T::select(
                x.gt(T::lit(0.0)),
                || x + (-x).exp().ln_1p(),
                || x.exp().ln_1p(),
            );
        }
    };
}

/// Expands the table into the operation types, [`UnaryOp`] and the scalar
/// functions.
macro_rules! declare_ops {
    ($($(#[$doc:meta])* $Op:ident $name:ident $T:ident |$x:ident| $value:expr;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
            pub struct $Op;

            impl Elementwise for $Op {
                const OP: UnaryOp = UnaryOp::$Op;

                #[inline(always)]
                fn apply<$T: Math>($x: $T) -> $T {
                    $value
                }
            }
        )*

        /// An elementwise operation chosen at run time: what a device kernel
        /// receives. One variant per line of [`unary_ops!`](crate::unary_ops).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum UnaryOp {
            $($(#[$doc])* $Op,)*
        }

        impl UnaryOp {
            /// Every operation, in the table's order.
            pub const ALL: &'static [UnaryOp] = &[$(UnaryOp::$Op,)*];

            /// The operation's name, as its method is called.
            pub fn name(self) -> &'static str {
                match self {
                    $(UnaryOp::$Op => stringify!($name),)*
                }
            }

            /// Calls `visitor` with the operation's own type.
            #[inline(always)]
            pub fn dispatch<V: OpVisitor>(self, visitor: V) -> V::Out {
                match self {
                    $(UnaryOp::$Op => visitor.visit::<$Op>(),)*
                }
            }

            /// The value at `x`.
            #[inline(always)]
            pub fn apply<T: Math>(self, x: T) -> T {
                match self {
                    $(UnaryOp::$Op => <$Op as Elementwise>::apply(x),)*
                }
            }
        }

        /// The operations as functions of one number of any [`Math`] type:
        /// `f32`, `f64`, dual numbers, the tape's `Var`.
        ///
        /// ```
        /// use typeflux_core::elementwise::scalar;
        ///
        /// assert_eq!(scalar::relu(-2.0f64), 0.0);
        /// assert_eq!(scalar::softplus(0.0f64), 2f64.ln());
        /// ```
        pub mod scalar {
            use super::*;

            $(
                $(#[$doc])*
                #[inline(always)]
                pub fn $name<T: Math>(x: T) -> T {
                    <$Op as Elementwise>::apply(x)
                }
            )*

            /// `op`'s value and derivative at `x` (both NaN for a NaN `x`).
            #[inline]
            pub fn value_and_slope<E: Element>(op: UnaryOp, x: E) -> (E, E) {
                struct At<E>(E);
                impl<E: Element> OpVisitor for At<E> {
                    type Out = (E, E);
                    #[inline(always)]
                    fn visit<F: Elementwise>(self) -> (E, E) {
                        F::value_and_slope(self.0)
                    }
                }
                op.dispatch(At(x))
            }
        }
    };
}

unary_ops!(declare_ops);

#[cfg(test)]
mod tests {
    use super::*;

    /// The central difference of `op` at `x`.
    fn difference(op: UnaryOp, x: f64) -> f64 {
        let h = 1e-6 * x.abs().max(1.0);
        (op.apply(x + h) - op.apply(x - h)) / (2.0 * h)
    }

    #[test]
    fn every_slope_matches_a_central_difference() {
        for &op in UnaryOp::ALL {
            for x in [-3.7, -1.2, -0.3, 0.4, 0.9, 2.5, 6.0] {
                if matches!(op, UnaryOp::Sqrt | UnaryOp::Ln) && x <= 0.0 {
                    continue;
                }
                let (value, slope) = scalar::value_and_slope(op, x);
                assert_eq!(value, op.apply(x), "{} value at {x}", op.name());
                let expected = difference(op, x);
                assert!(
                    (slope - expected).abs() <= 1e-6 * expected.abs().max(1.0),
                    "{}'({x}) = {slope}, central difference {expected}",
                    op.name()
                );
            }
        }
    }

    /// The parts of a (nested) dual number, in order.
    trait Parts: Copy {
        fn parts(self, out: &mut Vec<f64>);
    }

    impl Parts for f64 {
        fn parts(self, out: &mut Vec<f64>) {
            out.push(self);
        }
    }

    macro_rules! parts {
        ($($ty:ident [$($f:ident),*];)*) => {$(
            impl<T: Parts + DualNum> Parts for num_dual::$ty<T> {
                fn parts(self, out: &mut Vec<f64>) {
                    $(self.$f.parts(out);)*
                }
            }
        )*};
    }

    parts! {
        Dual [re, eps];
        Dual2 [re, v1, v2];
        Dual3 [re, v1, v2, v3];
        HyperDual [re, eps1, eps2, eps1eps2];
    }

    /// `Math::tanh` against num-dual's `tanh`, part by part.
    fn same_tanh<T: Parts + DualNum>(x: T, tol: f64) {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        Math::tanh(x).parts(&mut ours);
        DualNum::tanh(&x).parts(&mut theirs);
        for (a, b) in ours.iter().zip(&theirs) {
            assert!(
                (a - b).abs() <= tol * b.abs().max(1.0),
                "order {}: {ours:?} vs {theirs:?}",
                T::NDERIV
            );
        }
    }

    #[test]
    fn the_tanh_of_dual_numbers_matches_num_dual_s_own() {
        use num_dual::{Dual, Dual2, Dual2_64, Dual3, Dual3_64, Dual64, HyperDual64};
        let d3 = |x: f64| Dual3_64::new(x, 1.1, -0.6, 0.8);
        for x in [-2.3, -0.4, 0.0, 0.7, 1.9] {
            same_tanh(Dual64::new(x, 1.3), 1e-14);
            same_tanh(Dual2_64::new(x, 1.3, -0.6), 1e-14);
            same_tanh(d3(x), 1e-13);
            same_tanh(HyperDual64::new(x, 1.3, -0.6, 0.8), 1e-14);
            // Order 3 (a Dual2's slope), 4, 6, 9 and 10 (the longest series
            // kept), and 11, which falls back on num-dual's own tanh.
            same_tanh(
                Dual::new(Dual2_64::new(x, 1.3, -0.6), Dual2_64::new(0.5, 0.2, 0.1)),
                1e-13,
            );
            same_tanh(
                Dual3::new(
                    Dual64::new(x, 0.3),
                    Dual64::new(0.5, 0.2),
                    Dual64::new(0.1, 0.4),
                    Dual64::new(-0.2, 0.1),
                ),
                1e-12,
            );
            let o6 = Dual3::new(d3(x), d3(0.5), d3(-0.3), d3(0.2));
            same_tanh(o6, 1e-12);
            let o9 = Dual3::new(
                o6,
                Dual3::from_re(d3(0.2)),
                Dual3::from_re(d3(0.1)),
                Dual3::from_re(d3(-0.1)),
            );
            same_tanh(o9, 1e-11);
            let o10 = Dual::new(o9, Dual3::from_re(Dual3::from_re(d3(0.3))));
            same_tanh(o10, 1e-10);
            let o11 = Dual2::new(
                o9,
                Dual3::from_re(Dual3::from_re(d3(0.3))),
                Dual3::from_re(Dual3::from_re(d3(0.1))),
            );
            same_tanh(o11, 1e-10);
        }
    }

    #[test]
    fn nan_gives_nan_value_and_slope() {
        for &op in UnaryOp::ALL {
            for x in [f32::NAN, -f32::NAN] {
                let (value, slope) = scalar::value_and_slope(op, x);
                assert!(value.is_nan() && slope.is_nan(), "{} at NaN", op.name());
                assert!(op.apply(x).is_nan(), "{} at NaN", op.name());
            }
        }
    }

    #[test]
    fn values_and_slopes_stay_finite_at_extreme_inputs() {
        let finite = |op: UnaryOp| !matches!(op, UnaryOp::Exp | UnaryOp::Recip);
        for &op in UnaryOp::ALL.iter().filter(|&&op| finite(op)) {
            for x in [-3.0e38f32, -2.0e19, -1.0e4, 1.0e4, 2.0e19, 3.0e38] {
                if matches!(op, UnaryOp::Sqrt | UnaryOp::Ln) && x < 0.0 {
                    continue;
                }
                if matches!(op, UnaryOp::Square | UnaryOp::Neg) {
                    continue;
                }
                let (value, slope) = scalar::value_and_slope(op, x);
                assert!(value.is_finite(), "{}({x}) = {value}", op.name());
                assert!(slope.is_finite(), "{}'({x}) = {slope}", op.name());
            }
        }
    }

    #[test]
    fn published_values() {
        // Flux's activations at a few points (NNlib's definitions).
        assert_eq!(scalar::relu(-1.0f64), 0.0);
        assert_eq!(scalar::leakyrelu(-1.0f64), -0.01);
        assert!((scalar::elu(-1.0f64) - (-1f64).exp_m1()).abs() < 1e-16);
        assert!((scalar::gelu(1.0f64) - 0.841_191_990_608_276_8).abs() < 1e-15);
        assert!((scalar::swish(1.0f64) - 0.731_058_578_630_004_9).abs() < 1e-15);
        assert!((scalar::softplus(1.0f64) - 1.313_261_687_518_222_8).abs() < 1e-15);
        assert_eq!(scalar::sigmoid(-1.0e4f32), 0.0);
        assert_eq!(scalar::sigmoid(1.0e4f32), 1.0);
        assert_eq!(scalar::abs(-0.0f64).to_bits(), 0.0f64.to_bits());
        assert_eq!(scalar::sign(-2.5f64), -1.0);
        assert_eq!(scalar::sign(3.0e-300f64), 1.0);
        assert_eq!(scalar::sign(0.0f64).to_bits(), 0.0f64.to_bits());
        assert_eq!(scalar::sign(-0.0f64).to_bits(), (-0.0f64).to_bits());
        assert_eq!(scalar::value_and_slope(UnaryOp::Sign, 0.0f64), (0.0, 0.0));
        assert_eq!(scalar::value_and_slope(UnaryOp::Sign, -4.0f64), (-1.0, 0.0));
        assert_eq!(scalar::value_and_slope(UnaryOp::Relu, 0.0f64), (0.0, 0.0));
        assert_eq!(scalar::value_and_slope(UnaryOp::Abs, 0.0f64), (0.0, 0.0));
        assert_eq!(scalar::value_and_slope(UnaryOp::Softplus, 0.0f64).1, 0.5);
        assert_eq!(scalar::value_and_slope(UnaryOp::Sigmoid, 0.0f64).1, 0.25);
    }

    #[test]
    fn dual_elements_get_dual_slopes() {
        // tanh on a dual number stays finite where sinh/cosh overflow.
        let x = num_dual::Dual64::new(800.0, 1.0);
        let (value, slope) = scalar::value_and_slope(UnaryOp::Tanh, x);
        assert_eq!((value.re, value.eps), (1.0, 0.0));
        assert_eq!(slope.re, 0.0);
        // d/dx x² at a dual point: 2x, with its own derivative 2.
        let x = num_dual::Dual64::new(3.0, 1.0);
        let (_, slope) = scalar::value_and_slope(UnaryOp::Square, x);
        assert_eq!((slope.re, slope.eps), (6.0, 2.0));
    }
}
