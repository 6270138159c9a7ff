//! `Var` as a num-dual number, and so as a typeflux `Real`.
//!
//! Every elementary function records one node. Its first and second
//! derivatives come from evaluating the same function on num-dual's
//! second-order number [`Dual2`] at the value, so `Var` differentiates
//! exactly as num-dual does, spherical Bessel functions included, and the
//! second derivatives are there for the forward-over-reverse sweeps of
//! [`crate::mixed`].

use super::Var;
use super::recording::TapeFloat;
use num_dual::{Dual2, DualNum, DualStruct, Mappable};
use num_traits::{FromPrimitive, Inv, Num, One, Signed, Zero};

/// `φ(self, args..)` recorded with the derivatives num-dual computes for it.
macro_rules! unary {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[inline(always)]
        fn $name(&self $(, $arg: $ty)*) -> Self {
            if self.is_constant() {
                return Var::constant(<F as DualNum>::$name(&self.value $(, $arg)*));
            }
            let d = <Dual2<F> as DualNum>::$name(&Dual2::from_re(self.value).derivative() $(, $arg)*);
            self.unary(d.re, d.v1, d.v2)
        }
    )*};
}

impl<F: TapeFloat> DualNum for Var<F> {
    type Primitive = F;

    /// A `Var` carries first derivatives (its second derivatives are only
    /// reached through [`crate::mixed`]).
    const NDERIV: usize = 1;

    type InnerDual = F;

    #[inline]
    fn from_re(re: F) -> Self {
        Var::constant(re)
    }

    #[inline]
    fn scale(self, factor: &F) -> Self {
        self * *factor
    }

    unary! {
        recip();
        powi(n: i32);
        powf(n: F);
        sqrt();
        cbrt();
        exp();
        exp2();
        exp_m1();
        ln();
        log(base: F);
        log2();
        log10();
        ln_1p();
        sin();
        cos();
        tan();
        asin();
        acos();
        atan();
        sinh();
        cosh();
        tanh();
        asinh();
        acosh();
        atanh();
        sph_j0();
        sph_j1();
        sph_j2();
    }

    #[inline]
    fn sin_cos(&self) -> (Self, Self) {
        if self.is_constant() {
            let (s, c) = <F as DualNum>::sin_cos(&self.value);
            return (Var::constant(s), Var::constant(c));
        }
        let (s, c) = Dual2::from_re(self.value).derivative().sin_cos();
        (self.unary(s.re, s.v1, s.v2), self.unary(c.re, c.v1, c.v2))
    }

    /// `atan2(a, b)`, the angle of the point `(b, a)`: ∂/∂a = b/r²,
    /// ∂/∂b = −a/r² with r² = a² + b².
    #[inline]
    fn atan2(&self, other: Self) -> Self {
        let (a, b) = (self.value, other.value);
        let r2 = (a * a + b * b).recip();
        let (ab, aa_bb) = (a * b * r2 * r2, (a * a - b * b) * r2 * r2);
        self.binary(
            other,
            <F as DualNum>::atan2(&a, b),
            [b * r2, -a * r2],
            [-(ab + ab), aa_bb, ab + ab],
        )
    }
}

impl<F: TapeFloat> Zero for Var<F> {
    #[inline(always)]
    fn zero() -> Self {
        Var::constant(F::zero())
    }

    #[inline(always)]
    fn is_zero(&self) -> bool {
        self.value.is_zero()
    }
}

impl<F: TapeFloat> One for Var<F> {
    #[inline(always)]
    fn one() -> Self {
        Var::constant(F::one())
    }

    #[inline(always)]
    fn is_one(&self) -> bool {
        self.value.is_one()
    }
}

impl<F: TapeFloat> Num for Var<F> {
    type FromStrRadixErr = F::FromStrRadixErr;

    /// A constant parsed as `F` parses it.
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        F::from_str_radix(s, radix).map(Var::constant)
    }
}

/// Signs as num-dual's numbers define them: `abs` picks `x` or `−x` by the
/// sign of the value (so its derivative at 0 is −1), `signum` is a constant.
impl<F: TapeFloat> Signed for Var<F> {
    #[inline]
    fn abs(&self) -> Self {
        if self.is_positive() { *self } else { -*self }
    }

    #[inline]
    fn abs_sub(&self, other: &Self) -> Self {
        if self.value > other.value {
            *self - *other
        } else {
            Self::zero()
        }
    }

    #[inline]
    fn signum(&self) -> Self {
        if self.is_positive() {
            Self::one()
        } else if self.is_zero() {
            Self::zero()
        } else {
            -Self::one()
        }
    }

    #[inline]
    fn is_positive(&self) -> bool {
        self.value.is_positive()
    }

    #[inline]
    fn is_negative(&self) -> bool {
        self.value.is_negative()
    }
}

impl<F: TapeFloat> Inv for Var<F> {
    type Output = Self;
    #[inline]
    fn inv(self) -> Self {
        self.recip()
    }
}

impl<F: TapeFloat> FromPrimitive for Var<F> {
    #[inline]
    fn from_i64(n: i64) -> Option<Self> {
        F::from_i64(n).map(Var::constant)
    }

    #[inline]
    fn from_u64(n: u64) -> Option<Self> {
        F::from_u64(n).map(Var::constant)
    }

    #[inline]
    fn from_f32(n: f32) -> Option<Self> {
        F::from_f32(n).map(Var::constant)
    }

    #[inline]
    fn from_f64(n: f64) -> Option<Self> {
        F::from_f64(n).map(Var::constant)
    }
}

impl<F: TapeFloat> DualStruct for Var<F> {
    type Real = F;
    type Inner = F;

    #[inline]
    fn re(&self) -> F {
        self.value
    }

    #[inline]
    fn from_inner(inner: &F) -> Self {
        Var::constant(*inner)
    }
}

impl<F: TapeFloat> Mappable<Self> for Var<F> {
    type Output<O> = O;

    #[inline]
    fn map_dual<G: Fn(Self) -> O, O>(self, g: G) -> O {
        g(self)
    }
}
