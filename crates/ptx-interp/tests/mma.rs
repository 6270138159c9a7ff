//! The interpreter's tensor-core product (`mma.sync.m16n8k8` on TF32) and
//! its rounding to TF32 (`cvt.rna.tf32.f32`): fragments placed as the PTX
//! ISA lays them out give the matrix product, factors are rounded to
//! nearest with ties away from zero, and a warp that diverges at the
//! product or a factor that was not rounded is an error.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use typeflux_gpu::ptx::{Cmp, F32, Global, Kernel, Reg, Special, U32, module};
use typeflux_ptx_interp::exec::tf32;
use typeflux_ptx_interp::{HostArg, run_kernel};

/// How the test kernel treats its warp.
#[derive(Clone, Copy, PartialEq)]
enum Variant {
    /// Every lane converts its factors and runs the product.
    Whole,
    /// Lane 5 skips the product.
    Diverging,
    /// The factors go in as they are, not rounded to TF32.
    Unrounded,
}

/// One warp: `D = A·B + C` with `A` 16 × 8 and `C`, `D` 16 × 8, all row
/// major, and `B` 8 × 8 row major (`B[k][n]` at `8k + n`), each thread
/// loading and storing exactly its fragments.
fn kernel(variant: Variant) -> String {
    let mut k = Kernel::new("mma_tile");
    let (a, b, c, d) = (k.param_ptr(), k.param_ptr(), k.param_ptr(), k.param_ptr());
    let lane = k.special(Special::TidX);
    let g = k.div(lane, 4u32);
    let q = k.rem(lane, 4u32);
    let g8 = k.add(g, 8u32);
    let q4 = k.add(q, 4u32);
    let load = |k: &mut Kernel, base, row: Reg<U32>, col: Reg<U32>, cols: u32| {
        let index = k.fma(row, cols, col);
        let at = k.global::<F32>(base, index);
        k.ld::<F32, Global>(at)
    };
    let factor = |k: &mut Kernel, base, row, col, cols| {
        let v = load(k, base, row, col, cols);
        if variant == Variant::Unrounded {
            k.to_bits(v)
        } else {
            k.to_tf32(v)
        }
    };
    let fa = [
        factor(&mut k, a, g, q, 8),
        factor(&mut k, a, g8, q, 8),
        factor(&mut k, a, g, q4, 8),
        factor(&mut k, a, g8, q4, 8),
    ];
    let fb = [factor(&mut k, b, q, g, 8), factor(&mut k, b, q4, g, 8)];
    let q2 = k.mul(q, 2u32);
    let q21 = k.add(q2, 1u32);
    let places = [(g, q2), (g, q21), (g8, q2), (g8, q21)];
    let fc = places.map(|(row, col)| load(&mut k, c, row, col, 8));
    let fd = [k.reg::<F32>(), k.reg(), k.reg(), k.reg()];
    if variant == Variant::Diverging {
        let skip = k.setp(Cmp::Eq, lane, 5u32);
        let past = k.label();
        k.bra_if(skip, past);
        k.mma_tf32(fd, fa, fb, fc);
        k.place(past);
    } else {
        k.mma_tf32(fd, fa, fb, fc);
    }
    for ((row, col), v) in places.into_iter().zip(fd) {
        let index = k.fma(row, 8u32, col);
        let at = k.global::<F32>(d, index);
        k.st::<F32, Global>(at, v);
    }
    module(&[&k])
}

fn run(variant: Variant, a: &[f32], b: &[f32], c: &[f32]) -> Result<Vec<f32>, String> {
    let mut args = [
        HostArg::F32s(a.to_vec()),
        HostArg::F32s(b.to_vec()),
        HostArg::F32s(c.to_vec()),
        HostArg::Output32(128),
    ];
    run_kernel(
        &kernel(variant),
        "mma_tile",
        [1, 1, 1],
        [32, 1, 1],
        &mut args,
    )?;
    match &args[3] {
        HostArg::F32s(d) => Ok(d.clone()),
        other => panic!("the output came back as {other:?}"),
    }
}

fn round(x: f32) -> f64 {
    f64::from(f32::from_bits(tf32(x.to_bits())))
}

/// `A·B + C` from the factors rounded to TF32, in `f64`.
fn reference(a: &[f32], b: &[f32], c: &[f32]) -> Vec<f64> {
    let mut d = vec![0.0; 128];
    for i in 0..16 {
        for j in 0..8 {
            d[i * 8 + j] = f64::from(c[i * 8 + j])
                + (0..8)
                    .map(|p| round(a[i * 8 + p]) * round(b[p * 8 + j]))
                    .sum::<f64>();
        }
    }
    d
}

#[test]
fn the_fragments_of_every_lane_make_the_matrix_product() {
    // Distinct small integers: exact in TF32 and in every sum, so that any
    // element read from or written to a wrong place changes the result.
    let a: Vec<f32> = (0..128).map(|e| ((e * 37) % 61) as f32 - 30.0).collect();
    let b: Vec<f32> = (0..64).map(|e| ((e * 11) % 23) as f32 - 11.0).collect();
    let c: Vec<f32> = (0..128).map(|e| (e % 13) as f32 * 100.0).collect();
    let d = run(Variant::Whole, &a, &b, &c).expect("the product runs");
    let want = reference(&a, &b, &c);
    for (e, (&got, &want)) in d.iter().zip(&want).enumerate() {
        assert_eq!(f64::from(got), want, "D[{}][{}]", e / 8, e % 8);
    }
}

#[test]
fn random_factors_are_rounded_to_tf32_and_the_sums_to_f32() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut random = |len: usize| -> Vec<f32> {
        (0..len)
            .map(|_| rng.random_range(-2.0f32..2.0))
            .collect::<Vec<_>>()
    };
    let (a, b, c) = (random(128), random(64), random(128));
    let d = run(Variant::Whole, &a, &b, &c).expect("the product runs");
    let rounded = reference(&a, &b, &c);
    let mut exact_differs = 0;
    for (e, (&got, &want)) in d.iter().zip(&rounded).enumerate() {
        // The sum of nine terms, rounded once to f32.
        assert!(
            (f64::from(got) - want).abs() <= 1e-6 * (1.0 + want.abs()),
            "D[{}][{}]: {got} against {want}",
            e / 8,
            e % 8
        );
        let (i, j) = (e / 8, e % 8);
        let exact: f64 = f64::from(c[e])
            + (0..8)
                .map(|p| f64::from(a[i * 8 + p]) * f64::from(b[p * 8 + j]))
                .sum::<f64>();
        // TF32 keeps 11 significant bits: each factor within 2⁻¹¹.
        let bound: f64 = (0..8)
            .map(|p| (f64::from(a[i * 8 + p]) * f64::from(b[p * 8 + j])).abs())
            .sum::<f64>()
            * 2.0
            * 2f64.powi(-11);
        assert!(
            (f64::from(got) - exact).abs() <= bound + 1e-6,
            "D[{i}][{j}]"
        );
        if (f64::from(got) - exact).abs() > 1e-5 {
            exact_differs += 1;
        }
    }
    assert!(
        exact_differs > 64,
        "only {exact_differs} of 128 differ from the f32 product: the factors were not rounded"
    );
}

#[test]
fn rounding_to_tf32_is_to_nearest_with_ties_away_from_zero() {
    let ulp = 2f32.powi(-10);
    let cases = [
        (1.0, 1.0),
        // Exactly half a TF32 place: away from zero, either sign.
        (1.0 + ulp / 2.0, 1.0 + ulp),
        (-(1.0 + ulp / 2.0), -(1.0 + ulp)),
        (1.0 + 3.0 * ulp / 2.0, 1.0 + 2.0 * ulp),
        // Just under half: down.
        (1.0 + ulp / 2.0 - 2f32.powi(-23), 1.0),
        (1.0 + ulp / 2.0 + 2f32.powi(-23), 1.0 + ulp),
        (f32::MAX, f32::INFINITY),
        (f32::INFINITY, f32::INFINITY),
        (f32::NEG_INFINITY, f32::NEG_INFINITY),
        (0.0, 0.0),
        (-0.0, -0.0),
        // A subnormal keeps its top 10 bits.
        (f32::from_bits(0x0000_1FFF), f32::from_bits(0x0000_2000)),
    ];
    for (x, want) in cases {
        let got = f32::from_bits(tf32(x.to_bits()));
        assert_eq!(
            got.to_bits(),
            want.to_bits(),
            "tf32({x:e}) = {got:e}, not {want:e}"
        );
    }
    assert!(f32::from_bits(tf32(f32::NAN.to_bits())).is_nan());
}

#[test]
fn rounding_in_a_kernel_is_the_same() {
    // The kernel's factors equal to a and b rounded: with C = 0 and B the
    // identity, D = tf32(A).
    let mut rng = StdRng::seed_from_u64(11);
    let a: Vec<f32> = (0..128)
        .map(|_| rng.random_range(-1000.0f32..1000.0))
        .collect();
    let b: Vec<f32> = (0..64)
        .map(|e| if e / 8 == e % 8 { 1.0 } else { 0.0 })
        .collect();
    let d = run(Variant::Whole, &a, &b, &[0.0; 128]).expect("the product runs");
    for (e, &got) in d.iter().enumerate() {
        let (i, j) = (e / 8, e % 8);
        assert_eq!(f64::from(got), round(a[i * 8 + j]), "D[{i}][{j}]");
        assert_eq!(got.to_bits() & 0x1FFF, 0, "D[{i}][{j}] is TF32");
    }
}

#[test]
fn a_lane_that_skips_the_product_is_an_error() {
    let zeros = [0.0f32; 128];
    let err = run(Variant::Diverging, &zeros, &zeros[..64], &zeros).unwrap_err();
    assert!(
        err.contains("not every thread of its warp reaches this warp-wide instruction")
            && err.contains("[5, 0, 0]"),
        "{err}"
    );
}

#[test]
fn a_factor_not_rounded_to_tf32_is_an_error() {
    let a: Vec<f32> = (0..128).map(|e| 1.0 + e as f32 * 2f32.powi(-20)).collect();
    let err = run(Variant::Unrounded, &a, &[1.0; 64], &[0.0; 128]).unwrap_err();
    assert!(err.contains("not a TF32 value"), "{err}");
    // Values that are already TF32 go in as they are.
    let exact: Vec<f32> = (0..128).map(|e| e as f32).collect();
    run(Variant::Unrounded, &exact, &[1.0; 64], &[0.0; 128]).expect("TF32 values are accepted");
}

#[test]
fn a_block_whose_last_warp_is_partial_cannot_run_the_product() {
    let mut args = [
        HostArg::F32s(vec![0.0; 128]),
        HostArg::F32s(vec![0.0; 64]),
        HostArg::F32s(vec![0.0; 128]),
        HostArg::Output32(128),
    ];
    let err = run_kernel(
        &kernel(Variant::Whole),
        "mma_tile",
        [1, 1, 1],
        [16, 1, 1],
        &mut args,
    )
    .unwrap_err();
    assert!(err.contains("a warp of 16 threads"), "{err}");
}
