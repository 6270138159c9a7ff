//! The one-pass Adam kernel of the CPU devices against the change written
//! element by element in the order of the rule's formula, bit for bit, on
//! both CPU devices, serial and split over a pool.

use typeflux_core::prelude::*;
use typeflux_core::{AdamStep, with_threads};

fn step(t: i32) -> AdamStep<f32> {
    let (eta, b1, b2, eps) = (3e-3f64, 0.9f64, 0.999f64, 1e-8f64);
    AdamStep {
        beta1: b1 as f32,
        one_minus_beta1: (1.0 - b1) as f32,
        beta2: b2 as f32,
        one_minus_beta2: (1.0 - b2) as f32,
        inv_correction2: (1.0 / (1.0 - b2.powi(t))) as f32,
        epsilon: eps as f32,
        step: (eta / (1.0 - b1.powi(t))) as f32,
    }
}

/// `(change, m, v)` after one step, element by element.
fn by_hand(g: &[f32], m: &[f32], v: &[f32], h: AdamStep<f32>) -> [Vec<f32>; 3] {
    let mut out = [g.to_vec(), m.to_vec(), v.to_vec()];
    for i in 0..g.len() {
        let mi = m[i] * h.beta1 + h.one_minus_beta1 * g[i];
        let vi = v[i] * h.beta2 + h.one_minus_beta2 * (g[i] * g[i]);
        let denominator = (vi * h.inv_correction2).sqrt() + h.epsilon;
        out[0][i] = mi * h.step / denominator;
        out[1][i] = mi;
        out[2][i] = vi;
    }
    out
}

fn data(n: usize, k: f32) -> Vec<f32> {
    (0..n).map(|i| ((i as f32 + k) * 0.37).sin()).collect()
}

#[test]
fn one_pass_adam_matches_the_formula_serial_and_split() {
    // 2^18 elements and more are split over the pool's threads.
    for n in [1usize, 7, 300, 1 << 18] {
        let (g, m) = (data(n, 1.0), data(n, 2.0));
        let v: Vec<f32> = data(n, 3.0).iter().map(|x| x * x).collect();
        for t in [1, 5] {
            let h = step(t);
            let expected = by_hand(&g, &m, &v, h);
            for threads in [1, 2] {
                let [gt, mt, vt] = with_threads(threads, || {
                    let tensor = |d: &[f32]| Tensor::<(usize,)>::from_slice((n,), d).unwrap();
                    let (mut gt, mut mt, mut vt) = (tensor(&g), tensor(&m), tensor(&v));
                    gt.adam(&mut mt, &mut vt, h);
                    [gt.to_vec(), mt.to_vec(), vt.to_vec()]
                });
                assert_eq!(gt, expected[0], "changes, n = {n}, {threads} threads");
                assert_eq!(mt, expected[1], "first moments, n = {n}");
                assert_eq!(vt, expected[2], "second moments, n = {n}");
            }
        }
    }
}

#[test]
fn one_pass_adam_on_the_stack_and_with_shared_buffers() {
    let h = step(2);
    let g = Matrix::<3, 4>::from_fn((Const, Const), |[i, j]| (i * j) as f32 / 5.0 - 0.4);
    let (m, v) = (&g * 0.5, g.square());
    let expected = by_hand(g.as_slice(), m.as_slice(), v.as_slice(), h);

    let (mut gs, mut ms, mut vs) = (
        g.to_device(&Stack),
        m.to_device(&Stack),
        v.to_device(&Stack),
    );
    gs.adam(&mut ms, &mut vs, h);
    assert_eq!(gs.to_vec(), expected[0]);
    assert_eq!(ms.to_vec(), expected[1]);

    // A gradient whose buffer another tensor shares is copied, not written
    // through.
    let values: Vec<f32> = (0..5000).map(|i| i as f32 / 5000.0).collect();
    let big = Tensor::<(usize,)>::from_slice((5000,), &values).unwrap();
    let mut change = big.clone();
    let (mut bm, mut bv) = (big.clone(), big.clone());
    change.adam(&mut bm, &mut bv, h);
    assert_eq!(big[4999], 4999.0 / 5000.0);
    assert_ne!(change[4999], big[4999]);
}
