//! The reverse-mode scalar and its arithmetic.

use super::recording::{CONSTANT, NONE, TapeFloat, with_tape};
use core::fmt;
use core::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

/// A real number whose operations are recorded on a tape, for reverse mode
/// through code with runtime control flow.
///
/// A `Var` is a value and a handle to the node that computed it, so it is
/// `Copy` and cheap to pass around. It implements num-dual's
/// [`DualNum`](num_dual::DualNum) and hence typeflux's [`Real`](typeflux_core::Real): a function
/// written once against `T: Real` runs with `f64`, with every dual number, and
/// with `Var`. Variables are created by the functions of [`crate::tape`]
/// ([`gradient`](super::gradient), [`derivative`](super::derivative), ...),
/// which pass them to the function being differentiated; every other `Var`
/// (`Var::constant(2.0)`, `Var::from(2.0)`, `Var::zero()`) is a constant that
/// records nothing.
///
/// An operation that is linear in its one variable (adding, subtracting or
/// multiplying by a constant, negating) records nothing either: the result
/// is the same node with another scale. More generally so is any operation
/// of one variable whose second derivative vanishes at the point, which is
/// exact for the first and second derivatives that the tape provides.
///
/// Comparisons look at the value only, so branches follow the same path as
/// they would for `f64`:
///
/// ```
/// use typeflux_ad::tape::{self, Var};
///
/// // |x| written with a branch: the derivative is that of the branch taken.
/// let abs = |x: Var| if x < 0.0 { -x } else { x };
/// assert_eq!(tape::derivative(abs, -3.0), -1.0);
/// assert_eq!(tape::derivative(abs, 2.0), 1.0);
/// ```
#[derive(Clone, Copy)]
pub struct Var<F = f64> {
    pub(crate) value: F,
    /// `∂value/∂node`: how a linear function of the node's value scales it.
    pub(crate) scale: F,
    /// Absolute index on the thread's tape; [`NONE`] for a constant.
    pub(crate) node: u32,
    /// The recording the node belongs to; [`CONSTANT`] for a constant.
    pub(crate) recording: u32,
}

impl<F: TapeFloat> Var<F> {
    /// A constant: a number that does not depend on the variables.
    #[inline(always)]
    pub fn constant(value: F) -> Self {
        Var {
            value,
            scale: F::zero(),
            node: NONE,
            recording: CONSTANT,
        }
    }

    /// The value, without its place on the tape.
    #[inline(always)]
    pub fn value(&self) -> F {
        self.value
    }

    /// Whether this is a constant, that is, recorded no dependence on the
    /// variables.
    ///
    /// ```
    /// use typeflux_ad::tape::{self, Var};
    ///
    /// tape::derivative(|x: Var| {
    ///     assert!(!x.is_constant());
    ///     assert!((x * 0.0 + 1.0).value() == 1.0);
    ///     assert!(Var::constant(2.0).is_constant());
    ///     x
    /// }, 1.0);
    /// ```
    #[inline(always)]
    pub fn is_constant(&self) -> bool {
        self.recording == CONSTANT
    }

    /// `φ(self)` with value `value`, `φ' = d1`, `φ'' = d2`.
    #[inline(always)]
    pub(crate) fn unary(self, value: F, d1: F, d2: F) -> Self {
        if self.is_constant() {
            return Var::constant(value);
        }
        let (s, z) = (self.scale, F::zero());
        if d2 == z {
            // Linear at this point: the same node, scaled.
            return Var {
                value,
                scale: d1 * s,
                ..self
            };
        }
        with_tape(
            #[inline(always)]
            |t| {
                t.push(
                    value,
                    [self, Var::constant(z)],
                    [d1 * s, z],
                    [d2 * s * s, z, z],
                )
            },
        )
    }

    /// `φ(self, other)` with value `value`, first partials `d1` and second
    /// partials `[φ_aa, φ_ab, φ_bb]`. A constant operand leaves an operation
    /// of one variable.
    #[inline(always)]
    pub(crate) fn binary(self, other: Self, value: F, d1: [F; 2], d2: [F; 3]) -> Self {
        match (self.is_constant(), other.is_constant()) {
            (true, true) => Var::constant(value),
            (false, true) => self.unary(value, d1[0], d2[0]),
            (true, false) => other.unary(value, d1[1], d2[2]),
            (false, false) if self.node == other.node && self.recording == other.recording => {
                // One variable twice (`x * x`): an operation of one variable.
                let (sa, sb) = (self.scale, other.scale);
                let d1 = d1[0] * sa + d1[1] * sb;
                let d2 = d2[0] * sa * sa + (d2[1] + d2[1]) * sa * sb + d2[2] * sb * sb;
                let s = Var {
                    scale: F::one(),
                    ..self
                };
                s.unary(value, d1, d2)
            }
            (false, false) => {
                let (sa, sb) = (self.scale, other.scale);
                let d1 = [d1[0] * sa, d1[1] * sb];
                let d2 = [d2[0] * sa * sa, d2[1] * sa * sb, d2[2] * sb * sb];
                with_tape(
                    #[inline(always)]
                    |t| t.push(value, [self, other], d1, d2),
                )
            }
        }
    }
}

impl<F: TapeFloat> From<F> for Var<F> {
    #[inline(always)]
    fn from(value: F) -> Self {
        Var::constant(value)
    }
}

impl<F: TapeFloat> fmt::Display for Var<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl<F: TapeFloat> fmt::Debug for Var<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_constant() {
            f.debug_tuple("Var::constant").field(&self.value).finish()
        } else {
            f.debug_struct("Var")
                .field("value", &self.value)
                .field("node", &self.node)
                .field("scale", &self.scale)
                .finish()
        }
    }
}

/// Equality of values, as for num-dual's numbers.
impl<F: TapeFloat> PartialEq for Var<F> {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<F: TapeFloat> PartialEq<F> for Var<F> {
    #[inline(always)]
    fn eq(&self, other: &F) -> bool {
        self.value == *other
    }
}

/// Order of values, so that branches on a `Var` take the path `f64` would.
impl<F: TapeFloat> PartialOrd for Var<F> {
    #[inline(always)]
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<F: TapeFloat> PartialOrd<F> for Var<F> {
    #[inline(always)]
    fn partial_cmp(&self, other: &F) -> Option<core::cmp::Ordering> {
        self.value.partial_cmp(other)
    }
}

impl<F: TapeFloat> Neg for Var<F> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.unary(-self.value, -F::one(), F::zero())
    }
}

impl<F: TapeFloat> Neg for &Var<F> {
    type Output = Var<F>;
    #[inline(always)]
    fn neg(self) -> Var<F> {
        -*self
    }
}

// The rules, next to the values they differentiate.
impl<F: TapeFloat> Add for Var<F> {
    type Output = Self;
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        let (o, z) = (F::one(), F::zero());
        self.binary(b, self.value + b.value, [o, o], [z; 3])
    }
}

impl<F: TapeFloat> Sub for Var<F> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        let (o, z) = (F::one(), F::zero());
        self.binary(b, self.value - b.value, [o, -o], [z; 3])
    }
}

impl<F: TapeFloat> Mul for Var<F> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        let (o, z) = (F::one(), F::zero());
        self.binary(b, self.value * b.value, [b.value, self.value], [z, o, z])
    }
}

impl<F: TapeFloat> Div for Var<F> {
    type Output = Self;
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        let r = b.value.recip();
        let q = self.value * r;
        // d(a/b) = da/b − a db/b²; d²: ∂a∂b = −1/b², ∂b² = 2a/b³.
        self.binary(b, q, [r, -q * r], [F::zero(), -r * r, (q + q) * r * r])
    }
}

/// `a % b = a − b·trunc(a/b)`: ∂/∂a = 1 and ∂/∂b = −trunc(a/b), away from the
/// jumps where `a/b` is an integer.
impl<F: TapeFloat> Rem for Var<F> {
    type Output = Self;
    #[inline(always)]
    fn rem(self, b: Self) -> Self {
        let t = (self.value / b.value).trunc();
        self.binary(b, self.value % b.value, [F::one(), -t], [F::zero(); 3])
    }
}

/// The other operand forms (by reference, with a float, compound assignment)
/// in terms of the by-value operator above.
macro_rules! forward_ops {
    ($($op:ident $method:ident $assign:ident $assign_method:ident),*) => {$(
        impl<F: TapeFloat> $op<&Var<F>> for Var<F> {
            type Output = Var<F>;
            #[inline(always)]
            fn $method(self, b: &Var<F>) -> Var<F> {
                $op::$method(self, *b)
            }
        }
        impl<F: TapeFloat> $op<Var<F>> for &Var<F> {
            type Output = Var<F>;
            #[inline(always)]
            fn $method(self, b: Var<F>) -> Var<F> {
                $op::$method(*self, b)
            }
        }
        impl<F: TapeFloat> $op<&Var<F>> for &Var<F> {
            type Output = Var<F>;
            #[inline(always)]
            fn $method(self, b: &Var<F>) -> Var<F> {
                $op::$method(*self, *b)
            }
        }
        impl<F: TapeFloat> $op<F> for Var<F> {
            type Output = Var<F>;
            #[inline(always)]
            fn $method(self, b: F) -> Var<F> {
                $op::$method(self, Var::constant(b))
            }
        }
        impl<F: TapeFloat> $assign for Var<F> {
            #[inline(always)]
            fn $assign_method(&mut self, b: Var<F>) {
                *self = $op::$method(*self, b);
            }
        }
        impl<F: TapeFloat> $assign<&Var<F>> for Var<F> {
            #[inline(always)]
            fn $assign_method(&mut self, b: &Var<F>) {
                *self = $op::$method(*self, *b);
            }
        }
        impl<F: TapeFloat> $assign<F> for Var<F> {
            #[inline(always)]
            fn $assign_method(&mut self, b: F) {
                *self = $op::$method(*self, Var::constant(b));
            }
        }
    )*};
}

forward_ops!(
    Add add AddAssign add_assign,
    Sub sub SubAssign sub_assign,
    Mul mul MulAssign mul_assign,
    Div div DivAssign div_assign,
    Rem rem RemAssign rem_assign
);

/// A float on the left: `2.0 * x`, `1.0 - x`, for closures over `Var`.
macro_rules! float_lhs {
    ($($float:ident),*) => {$(
        impl Add<Var<$float>> for $float {
            type Output = Var<$float>;
            #[inline(always)]
            fn add(self, b: Var<$float>) -> Var<$float> {
                Var::constant(self) + b
            }
        }
        impl Sub<Var<$float>> for $float {
            type Output = Var<$float>;
            #[inline(always)]
            fn sub(self, b: Var<$float>) -> Var<$float> {
                Var::constant(self) - b
            }
        }
        impl Mul<Var<$float>> for $float {
            type Output = Var<$float>;
            #[inline(always)]
            fn mul(self, b: Var<$float>) -> Var<$float> {
                Var::constant(self) * b
            }
        }
        impl Div<Var<$float>> for $float {
            type Output = Var<$float>;
            #[inline(always)]
            fn div(self, b: Var<$float>) -> Var<$float> {
                Var::constant(self) / b
            }
        }
    )*};
}

float_lhs!(f32, f64);

impl<F: TapeFloat> core::iter::Sum for Var<F> {
    #[inline]
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Var::constant(F::zero()), |acc, x| acc + x)
    }
}

impl<'a, F: TapeFloat> core::iter::Sum<&'a Var<F>> for Var<F> {
    #[inline]
    fn sum<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.fold(Var::constant(F::zero()), |acc, x| acc + *x)
    }
}

impl<F: TapeFloat> core::iter::Product for Var<F> {
    #[inline]
    fn product<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Var::constant(F::one()), |acc, x| acc * x)
    }
}

impl<'a, F: TapeFloat> core::iter::Product<&'a Var<F>> for Var<F> {
    #[inline]
    fn product<I: Iterator<Item = &'a Self>>(iter: I) -> Self {
        iter.fold(Var::constant(F::one()), |acc, x| acc * *x)
    }
}
