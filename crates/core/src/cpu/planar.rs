//! Products of dual-number matrices as products of their parts.
//!
//! A matrix of `Dual2<f64>` is three `f64` matrices (values, first and
//! second derivatives), and its product with another is a sum of products
//! of those parts: `(AB)₂ = A₀B₂ + 2A₁B₁ + A₂B₀`. Each of those runs through
//! the inner type's own product, the blocked, vectorised kernel for `f32`
//! and `f64`, instead of a loop over dual numbers; a part that is zero
//! throughout (the derivatives of a weight lifted into a jet) is skipped,
//! which halves the work of a network cast to jets.

use super::HostElement;
use num_dual::DualNum;
use num_dual::{Dual, Dual2, Dual3, HyperDual};
use num_traits::{FromPrimitive, Zero};

/// A dual number as parts of its inner type, and how the parts of a product
/// are made of the parts of its factors.
pub(crate) trait Planar: HostElement {
    /// The type of each part.
    type Part: HostElement;
    /// How many parts.
    const PARTS: usize;
    /// `(i, j, r, c)`: part `r` of `a·b` holds `c·aᵢ·bⱼ`.
    const TERMS: &'static [(usize, usize, usize, f64)];

    /// Part `k`.
    fn get(&self, k: usize) -> Self::Part;
    /// Sets part `k`.
    fn set(&mut self, k: usize, value: Self::Part);
}

macro_rules! planar {
    ($($ty:ident [$($k:literal $f:ident),*] $terms:expr;)*) => {$(
        impl<T: HostElement> Planar for $ty<T>
        where
            $ty<T>: HostElement,
        {
            type Part = T;
            const PARTS: usize = [$($k),*].len();
            const TERMS: &'static [(usize, usize, usize, f64)] = &$terms;

            #[inline(always)]
            fn get(&self, k: usize) -> T {
                match k {
                    $($k => self.$f,)*
                    _ => unreachable!("a part index below PARTS"),
                }
            }

            #[inline(always)]
            fn set(&mut self, k: usize, value: T) {
                match k {
                    $($k => self.$f = value,)*
                    _ => unreachable!("a part index below PARTS"),
                }
            }
        }
    )*};
}

planar! {
    Dual [0 re, 1 eps] [(0, 0, 0, 1.0), (0, 1, 1, 1.0), (1, 0, 1, 1.0)];
    Dual2 [0 re, 1 v1, 2 v2] [
        (0, 0, 0, 1.0),
        (0, 1, 1, 1.0), (1, 0, 1, 1.0),
        (0, 2, 2, 1.0), (1, 1, 2, 2.0), (2, 0, 2, 1.0),
    ];
    Dual3 [0 re, 1 v1, 2 v2, 3 v3] [
        (0, 0, 0, 1.0),
        (0, 1, 1, 1.0), (1, 0, 1, 1.0),
        (0, 2, 2, 1.0), (1, 1, 2, 2.0), (2, 0, 2, 1.0),
        (0, 3, 3, 1.0), (1, 2, 3, 3.0), (2, 1, 3, 3.0), (3, 0, 3, 1.0),
    ];
    HyperDual [0 re, 1 eps1, 2 eps2, 3 eps1eps2] [
        (0, 0, 0, 1.0),
        (0, 1, 1, 1.0), (1, 0, 1, 1.0),
        (0, 2, 2, 1.0), (2, 0, 2, 1.0),
        (0, 3, 3, 1.0), (1, 2, 3, 1.0), (2, 1, 3, 1.0), (3, 0, 3, 1.0),
    ];
}

/// Products with fewer multiply-adds than this run the plain loop over dual
/// numbers: below it, copying the parts out and back costs more than the
/// inner kernel saves.
pub(crate) const PLANAR_MIN: usize = 4096;

/// The parts of the `rows × cols` matrix `x` (addressed through its
/// strides), each a contiguous column-major matrix, and whether each part
/// has a nonzero element.
fn split<J: Planar>(
    x: &[J],
    rows: usize,
    cols: usize,
    [rs, cs]: [usize; 2],
) -> (Vec<Vec<J::Part>>, Vec<bool>) {
    let zero = J::Part::zero();
    let mut nonzero = vec![false; J::PARTS];
    let parts = (0..J::PARTS)
        .map(|k| {
            let mut part = vec![zero; rows * cols];
            let mut any = false;
            for (j, column) in part.chunks_exact_mut(rows.max(1)).enumerate().take(cols) {
                if rs == 1 {
                    let source = &x[j * cs..j * cs + rows];
                    for (p, e) in column.iter_mut().zip(source) {
                        *p = e.get(k);
                        any |= *p != zero;
                    }
                } else {
                    for (i, p) in column.iter_mut().enumerate() {
                        *p = x[i * rs + j * cs].get(k);
                        any |= *p != zero;
                    }
                }
            }
            nonzero[k] = any;
            part
        })
        .collect();
    (parts, nonzero)
}

/// `c (+)= scale · a · b` through the parts, `scale` a number of the inner
/// type: operands as in [`HostElement::gemm`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm<J: Planar>(
    m: usize,
    k: usize,
    n: usize,
    a: &[J],
    a_strides: [usize; 2],
    b: &[J],
    b_strides: [usize; 2],
    c: &mut [J],
    accumulate: bool,
    scale: J::Part,
) {
    let (a_parts, a_nonzero) = split(a, m, k, a_strides);
    let (b_parts, b_nonzero) = split(b, k, n, b_strides);
    let len = m * n;
    let mut c_parts: Vec<Option<Vec<J::Part>>> = (0..J::PARTS).map(|_| None).collect();
    for &(i, j, r, coefficient) in J::TERMS {
        if !(a_nonzero[i] && b_nonzero[j]) {
            continue;
        }
        let part = c_parts[r].get_or_insert_with(|| vec![J::Part::zero(); len]);
        let factor = scale
            * J::Part::from(
                <J::Part as DualNum>::Primitive::from_f64(coefficient)
                    .expect("a small integer converts to every float"),
            );
        J::Part::gemm_add(
            m,
            k,
            n,
            &a_parts[i],
            [1, m],
            &b_parts[j],
            [1, k],
            part,
            factor,
        );
    }
    for (r, part) in c_parts.iter().enumerate() {
        match part {
            Some(part) => {
                for (ci, &p) in c[..len].iter_mut().zip(part) {
                    let value = if accumulate { ci.get(r) + p } else { p };
                    ci.set(r, value);
                }
            }
            None if !accumulate => c[..len]
                .iter_mut()
                .for_each(|ci| ci.set(r, J::Part::zero())),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::gemm::naive;
    use num_dual::{Dual2_64, Dual3_64, Dual64, HyperDual64};

    fn filled<J: Planar<Part = f64>>(len: usize, seed: usize, lifted: bool) -> Vec<J> {
        (0..len)
            .map(|i| {
                let mut x = J::zero();
                for k in 0..J::PARTS {
                    if k == 0 || !lifted {
                        x.set(k, (((i * 7 + k * 13 + seed) % 17) as f64 - 8.0) / 5.0);
                    }
                }
                x
            })
            .collect()
    }

    /// The parts' product against the plain loop over dual numbers, with
    /// plain and transposed strides, with and without accumulating, and with
    /// lifted (derivative-free) operands.
    fn check<J: Planar<Part = f64>>() {
        let (m, k, n) = (9, 7, 11);
        for lifted_a in [false, true] {
            let a: Vec<J> = filled(m * k, 1, lifted_a);
            let b: Vec<J> = filled(k * n, 2, false);
            for (a_strides, b_strides) in [([1, m], [1, k]), ([k, 1], [n, 1])] {
                for accumulate in [false, true] {
                    let mut want: Vec<J> = filled(m * n, 3, false);
                    let mut got = want.clone();
                    naive(m, k, n, &a, a_strides, &b, b_strides, &mut want, accumulate);
                    gemm(
                        m, k, n, &a, a_strides, &b, b_strides, &mut got, accumulate, 1.0,
                    );
                    for (g, w) in got.iter().zip(&want) {
                        for p in 0..J::PARTS {
                            assert!(
                                (g.get(p) - w.get(p)).abs() < 1e-12,
                                "part {p}: {g:?} vs {w:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn products_through_parts_match_the_plain_loop() {
        check::<Dual64>();
        check::<Dual2_64>();
        check::<Dual3_64>();
        check::<HyperDual64>();
    }
}
