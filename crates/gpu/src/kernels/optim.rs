//! The optimisers' updates in one pass.

use super::{Size, grid_stride};
use crate::ptx::{Float, Global, Kernel};

/// `(g, m, v, beta1, one_minus_beta1, beta2, one_minus_beta2,
/// inv_correction2, epsilon, step, len)`: Adam's moments and change at
/// every element, the CPU's sequence of roundings in one read and one write
/// of each buffer:
///
/// ```text
/// m = m·β₁ + (1 - β₁)·g
/// v = v·β₂ + (1 - β₂)·g²
/// g = m·step / (√(v / (1 - β₂ᵗ)) + ε)
/// ```
/// with `step = η / (1 - β₁ᵗ)`; the parameters then take `p - g`.
pub fn adam<T: Float>(k: &mut Kernel, len: Size) {
    let g = k.param_ptr();
    let m = k.param_ptr();
    let v = k.param_ptr();
    let beta1 = k.param::<T>();
    let one_minus_beta1 = k.param::<T>();
    let beta2 = k.param::<T>();
    let one_minus_beta2 = k.param::<T>();
    let inv_correction2 = k.param::<T>();
    let epsilon = k.param::<T>();
    let step = k.param::<T>();
    let n = len.load(k);
    grid_stride(k, n, |k, i| {
        let at_g = k.global::<T>(g, i);
        let (at_m, at_v) = (k.global::<T>(m, i), k.global::<T>(v, i));
        let gv = k.ld::<T, Global>(at_g);
        let mv = k.ld::<T, Global>(at_m);
        let mv = k.mul(mv, beta1);
        let dm = k.mul(one_minus_beta1, gv);
        let mv = k.add(mv, dm);
        k.st::<T, Global>(at_m, mv);
        let vv = k.ld::<T, Global>(at_v);
        let vv = k.mul(vv, beta2);
        let g2 = k.mul(gv, gv);
        let dv = k.mul(one_minus_beta2, g2);
        let vv = k.add(vv, dv);
        k.st::<T, Global>(at_v, vv);
        let corrected = k.mul(vv, inv_correction2);
        let root = k.sqrt(corrected);
        let denominator = k.add(root, epsilon);
        let change = k.mul(mv, step);
        let change = k.div(change, denominator);
        k.st::<T, Global>(at_g, change);
    });
}
