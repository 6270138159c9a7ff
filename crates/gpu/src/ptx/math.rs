//! The functions of the elementwise table, written in PTX arithmetic.
//!
//! PTX has correctly rounded `sqrt`, `rcp` and `div`, but no `exp`, `ln`,
//! `sin` or `atan` in double precision, and only approximate ones in single
//! precision. These routines reduce the argument and evaluate a Taylor
//! polynomial long enough for the type (one unit in the last place or so
//! in the tests against the CPU's `libm`), in `f32` for `f32` and in `f64`
//! for `f64`. Overflow, underflow, infinities and NaN come out as on the
//! CPU. `sin` and `cos` reduce by π/2 split in three parts, in `f64` for
//! both types: accurate for arguments up to 2⁴⁰ (about 10¹²) in magnitude,
//! not beyond (the CPU's reduction is exact everywhere).

use super::builder::{Cmp, Kernel};
use super::types::{F32, F64, Float, Int, Operand, Pred, Reg, S32, U32, U64};

/// `1/i!` for `i` in `0..=n`, highest power first, for Horner's rule.
fn reciprocal_factorials(n: u32) -> Vec<f64> {
    let mut out = Vec::with_capacity(n as usize + 1);
    let mut f = 1.0f64;
    for i in 0..=n {
        if i > 0 {
            f *= f64::from(i);
        }
        out.push(1.0 / f);
    }
    out.reverse();
    out
}

/// `c₀ xⁿ + c₁ xⁿ⁻¹ + … + cₙ` by Horner's rule, the coefficients highest
/// power first.
fn horner<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>, coefficients: &[f64]) -> Reg<T> {
    let x = x.into();
    let (first, rest) = coefficients.split_first().expect("a polynomial has a term");
    let mut p = k.mov(T::lit(*first));
    for &c in rest {
        p = k.fma(p, x, T::lit(c));
    }
    p
}

fn select<T: Float>(
    k: &mut Kernel,
    p: Reg<Pred>,
    a: impl Into<Operand<T>>,
    b: impl Into<Operand<T>>,
) -> Reg<T> {
    k.selp(p, a, b)
}

/// `2ᵉ` for an integer `e` within the normal exponents of `T`.
fn pow2<T: Float>(k: &mut Kernel, e: Reg<S32>) -> Reg<T> {
    let biased = k.add(e.cast::<U32>(), T::BIAS as u32);
    if T::DOUBLE {
        let wide = k.widen(biased);
        let bits = k.shl(wide, T::MANTISSA);
        k.from_bits::<T>(bits.cast::<T::Bits>())
    } else {
        let bits = k.shl(biased, T::MANTISSA);
        k.from_bits::<T>(bits.cast::<T::Bits>())
    }
}

/// `ln 2` in two parts, the first with trailing zero bits so that its
/// product with an exponent is exact.
fn ln2_parts<T: Float>() -> (f64, f64) {
    if T::DOUBLE {
        (
            f64::from_bits(0x3FE6_2E42_FEE0_0000),
            f64::from_bits(0x3DEA_39EF_3579_3C76),
        )
    } else {
        (
            f64::from(f32::from_bits(0x3F31_7180)),
            f64::from(f32::from_bits(0x3717_F7D1)),
        )
    }
}

/// `eˣ`.
pub fn exp<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>) -> Reg<T> {
    let x = x.into();
    // Beyond these the result is infinite or zero; within them `k` below
    // stays where 2^(k/2) is a normal number.
    let (hi, lo) = if T::DOUBLE {
        (710.0, -746.0)
    } else {
        (89.0, -104.0)
    };
    let over = k.setp(Cmp::Gt, x, T::lit(hi));
    let under = k.setp(Cmp::Lt, x, T::lit(lo));
    let xc = select(k, over, T::lit(hi), x);
    let xc = select(k, under, T::lit(lo), xc);
    // x = n·ln 2 + r with |r| ≤ ln 2 / 2.
    let scaled = k.mul(xc, T::lit(core::f64::consts::LOG2_E));
    let n = k.round(scaled);
    let (ln2_hi, ln2_lo) = ln2_parts::<T>();
    let minus_n = k.neg(n);
    let r = k.fma(minus_n, T::lit(ln2_hi), xc);
    let r = k.fma(minus_n, T::lit(ln2_lo), r);
    let p = horner(k, r, &reciprocal_factorials(if T::DOUBLE { 13 } else { 7 }));
    // p · 2ⁿ in two steps, so that a subnormal result is reached.
    let n = k.to_s32(n);
    let half = k.shr(n, 1u32);
    let rest = k.sub(n, half);
    let s1 = pow2::<T>(k, half);
    let s2 = pow2::<T>(k, rest);
    let y = k.mul(p, s1);
    let y = k.mul(y, s2);
    let y = select(k, over, T::lit(f64::INFINITY), y);
    select(k, under, T::lit(0.0), y)
}

/// `eˣ - 1`, exact near 0.
pub fn exp_m1<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>) -> Reg<T> {
    let x = x.into();
    let a = k.abs(x);
    let small = k.setp(Cmp::Lt, a, T::lit(core::f64::consts::LN_2 / 2.0));
    // x · (1 + x/2 + x²/6 + …) near 0.
    let mut terms = reciprocal_factorials(if T::DOUBLE { 15 } else { 9 });
    terms.pop();
    let q = horner(k, x, &terms);
    let near = k.mul(x, q);
    let e = exp(k, x);
    let far = k.sub(e, T::lit(1.0));
    select(k, small, near, far)
}

/// `ln x`.
pub fn ln<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>) -> Reg<T> {
    let x = x.into();
    // Subnormal inputs are scaled into the normal range first.
    let shift = if T::DOUBLE { 54 } else { 24 };
    let min_normal = if T::DOUBLE {
        f64::MIN_POSITIVE
    } else {
        f64::from(f32::MIN_POSITIVE)
    };
    let sub = k.setp(Cmp::Lt, x, T::lit(min_normal));
    let scaled = k.mul(x, T::lit(2f64.powi(shift)));
    let xs = select(k, sub, scaled, x);
    let adjust = k.selp::<S32>(sub, -shift, 0);
    // x = m · 2ᵉ with m in [1, 2), then in [√½, √2).
    let bits = k.to_bits(xs);
    let biased = k.shr(bits, T::MANTISSA);
    let mantissa_mask = (1u64 << T::MANTISSA) - 1;
    let one_bits = (T::BIAS as u64) << T::MANTISSA;
    let m_bits = k.and(bits, T::Bits::int(mantissa_mask as i64));
    let m_bits = k.or(m_bits, T::Bits::int(one_bits as i64));
    let m = k.from_bits::<T>(m_bits);
    let e = if T::DOUBLE {
        k.narrow(biased.cast::<U64>()).cast::<S32>()
    } else {
        biased.cast::<U32>().cast::<S32>()
    };
    let e = k.sub(e, T::BIAS as i32);
    let e = k.add(e, adjust);
    let big = k.setp(Cmp::Gt, m, T::lit(core::f64::consts::SQRT_2));
    let halved = k.mul(m, T::lit(0.5));
    let m = select(k, big, halved, m);
    let e_up = k.add(e, 1i32);
    let e = k.selp(big, e_up, e);
    // ln m = 2 atanh s = 2s (1 + s²/3 + s⁴/5 + …), s = (m - 1)/(m + 1).
    let f = k.sub(m, T::lit(1.0));
    let two_f = k.add(f, T::lit(2.0));
    let s = k.div(f, two_f);
    let z = k.mul(s, s);
    let terms: Vec<f64> = (1..=if T::DOUBLE { 11 } else { 5 })
        .rev()
        .map(|i| 1.0 / f64::from(2 * i + 1))
        .collect();
    let p = horner(k, z, &terms);
    let r = k.mul(z, p);
    let two_s = k.add(s, s);
    let ln_m = k.fma(two_s, r, two_s);
    let ef = k.s32_to::<T>(e);
    let (ln2_hi, ln2_lo) = ln2_parts::<T>();
    let low = k.fma(ef, T::lit(ln2_lo), ln_m);
    let high = k.mul(ef, T::lit(ln2_hi));
    let y = k.add(high, low);
    let zero = k.setp(Cmp::Eq, x, T::lit(0.0));
    let y = select(k, zero, T::lit(f64::NEG_INFINITY), y);
    let inf = k.setp(Cmp::Eq, x, T::lit(f64::INFINITY));
    let y = select(k, inf, T::lit(f64::INFINITY), y);
    let in_domain = k.setp(Cmp::Ge, x, T::lit(0.0));
    select(k, in_domain, y, T::lit(f64::NAN))
}

/// `ln(1 + x)`, exact near 0: `ln u · x / (u - 1)` with `u = 1 + x`,
/// which cancels the rounding of `u`.
pub fn ln_1p<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>) -> Reg<T> {
    let x = x.into();
    let u = k.add(x, T::lit(1.0));
    let l = ln(k, u);
    let d = k.sub(u, T::lit(1.0));
    let ratio = k.div(x, d);
    let y = k.mul(l, ratio);
    let inf = k.setp(Cmp::Eq, u, T::lit(f64::INFINITY));
    let y = select(k, inf, u, y);
    let exact = k.setp(Cmp::Eq, u, T::lit(1.0));
    select(k, exact, x, y)
}

/// `tanh x = t / (t + 2)` with `t = eˣ⁻¹` of `2|x|`, the sign of `x`.
pub fn tanh<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>) -> Reg<T> {
    let x = x.into();
    let a = k.abs(x);
    // tanh is 1 to the last bit well before 20, and e⁴⁰ is finite.
    let large = k.setp(Cmp::Gt, a, T::lit(20.0));
    let a = select(k, large, T::lit(20.0), a);
    let two_a = k.add(a, a);
    let t = exp_m1(k, two_a);
    let d = k.add(t, T::lit(2.0));
    let y = k.div(t, d);
    k.copysign(x, y)
}

/// The quadrant `q` and remainder `r` of `x = q·π/2 + r`, `|r| ≤ π/4`.
fn reduce_half_pi<T: Float>(k: &mut Kernel, x: Operand<T>) -> (Reg<U32>, Reg<T>) {
    let parts: [f64; 3] = if T::DOUBLE {
        [
            core::f64::consts::FRAC_PI_2,
            f64::from_bits(0x3C91_A626_3314_5C07),
            f64::from_bits(0xB91F_1976_B7ED_8FBC),
        ]
    } else {
        [
            f64::from(f32::from_bits(0x3FC9_0FDB)),
            f64::from(f32::from_bits(0xB33B_BD2E)),
            f64::from(f32::from_bits(0xA6F7_2CED)),
        ]
    };
    let scaled = k.mul(x, T::lit(core::f64::consts::FRAC_2_PI));
    let n = k.round(scaled);
    let minus_n = k.neg(n);
    let mut r = k.mov(x);
    for p in parts {
        r = k.fma(minus_n, T::lit(p), r);
    }
    // n mod 4, in floats: exact for every integral n.
    let quarter = k.mul(n, T::lit(0.25));
    let fours = k.floor(quarter);
    let q = k.fma(fours, T::lit(-4.0), n);
    let q = k.to_s32(q);
    (q.cast::<U32>(), r)
}

/// `sin r` and `cos r` for `|r| ≤ π/4`.
fn sin_cos_poly<T: Float>(k: &mut Kernel, r: Reg<T>) -> (Reg<T>, Reg<T>) {
    let terms = if T::DOUBLE { 10 } else { 6 };
    let z = k.mul(r, r);
    // sin r = r · Σ (-z)ⁱ/(2i+1)!, cos r = Σ (-z)ⁱ/(2i)!.
    let factorial = |n: u32| (1..=n).map(f64::from).product::<f64>();
    let sign = |i: u32| if i.is_multiple_of(2) { 1.0 } else { -1.0 };
    let sin_terms: Vec<f64> = (0..terms)
        .rev()
        .map(|i| sign(i) / factorial(2 * i + 1))
        .collect();
    let cos_terms: Vec<f64> = (0..=terms)
        .rev()
        .map(|i| sign(i) / factorial(2 * i))
        .collect();
    let ps = horner(k, z, &sin_terms);
    let s = k.mul(r, ps);
    let c = horner(k, z, &cos_terms);
    (s, c)
}

/// `sin x`.
pub fn sin<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>) -> Reg<T> {
    in_double(k, x.into(), |k, x| {
        let (q, r) = reduce_half_pi(k, x);
        let (s, c) = sin_cos_poly(k, r);
        quadrant(k, q, s, c)
    })
}

/// `cos x = sin(x + π/2)`: the quadrant one further on.
pub fn cos<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>) -> Reg<T> {
    in_double(k, x.into(), |k, x| {
        let (q, r) = reduce_half_pi(k, x);
        let (s, c) = sin_cos_poly(k, r);
        let q = k.add(q, 1u32);
        quadrant(k, q, s, c)
    })
}

/// `f(x)` computed in `f64`: an `f32` argument of `sin` or `cos` as large
/// as 10¹² reduces accurately only with the precision of `f64`.
fn in_double<T: Float>(
    k: &mut Kernel,
    x: Operand<T>,
    f: impl FnOnce(&mut Kernel, Operand<F64>) -> Reg<F64>,
) -> Reg<T> {
    if T::DOUBLE {
        f(k, x.cast()).cast()
    } else {
        let wide = k.to_f64(x.cast::<F32>());
        let y = f(k, wide.into());
        k.to_f32(y).cast()
    }
}

/// `sin(q·π/2 + r)` from `sin r` and `cos r`.
fn quadrant<T: Float>(k: &mut Kernel, q: Reg<U32>, s: Reg<T>, c: Reg<T>) -> Reg<T> {
    let odd = k.and(q, 1u32);
    let odd = k.setp(Cmp::Ne, odd, 0u32);
    let y = select(k, odd, c, s);
    let negative = k.and(q, 2u32);
    let negative = k.setp(Cmp::Ne, negative, 0u32);
    let minus = k.neg(y);
    select(k, negative, minus, y)
}

/// `atan x`.
pub fn atan<T: Float>(k: &mut Kernel, x: impl Into<Operand<T>>) -> Reg<T> {
    let x = x.into();
    let a = k.abs(x);
    // atan a = π/2 - atan(1/a) above 1.
    let inverted = k.setp(Cmp::Gt, a, T::lit(1.0));
    let ra = k.rcp(a);
    let t = select(k, inverted, ra, a);
    // atan t = atan c + atan((t - c)/(1 + t·c)), c the nearest quarter.
    let four_t = k.mul(t, T::lit(4.0));
    let quarters = k.round(four_t);
    let c = k.mul(quarters, T::lit(0.25));
    let num = k.sub(t, c);
    let den = k.fma(t, c, T::lit(1.0));
    let u = k.div(num, den);
    let z = k.mul(u, u);
    let n = if T::DOUBLE { 11 } else { 5 };
    let terms: Vec<f64> = (0..n)
        .rev()
        .map(|i: u32| {
            let sign = if i.is_multiple_of(2) { 1.0 } else { -1.0 };
            sign / f64::from(2 * i + 1)
        })
        .collect();
    let p = horner(k, z, &terms);
    let atan_u = k.mul(u, p);
    let table: [(f64, f64); 4] = if T::DOUBLE {
        [
            (0.25, 0.244_978_663_126_864_14),
            (0.5, 0.463_647_609_000_806_1),
            (0.75, 0.643_501_108_793_284_4),
            (1.0, core::f64::consts::FRAC_PI_4),
        ]
    } else {
        [
            (0.25, 0.244_978_666_305_542),
            (0.5, 0.463_647_603_988_647_46),
            (0.75, 0.643_501_102_924_346_9),
            (1.0, core::f64::consts::FRAC_PI_4),
        ]
    };
    let mut base = k.mov(T::lit(0.0));
    for (at, value) in table {
        let here = k.setp(Cmp::Eq, c, T::lit(at));
        base = select(k, here, T::lit(value), base);
    }
    let y = k.add(base, atan_u);
    // π/2 - y, with π/2 in two parts.
    let pio2_lo = if T::DOUBLE {
        f64::from_bits(0x3C91_A626_3314_5C07)
    } else {
        f64::from(f32::from_bits(0xB33B_BD2E))
    };
    let pio2_hi = if T::DOUBLE {
        core::f64::consts::FRAC_PI_2
    } else {
        f64::from(f32::from_bits(0x3FC9_0FDB))
    };
    let flipped = k.sub(T::lit(pio2_hi), y);
    let flipped = k.add(flipped, T::lit(pio2_lo));
    let y = select(k, inverted, flipped, y);
    k.copysign(x, y)
}
