//! Benchmarks for typeflux; the benchmark targets are the files beside this one.
//! Run them with `cargo bench -p typeflux-benches` (or `cargo bench --bench NAME`
//! from the workspace root).
//!
//! The baselines' shared pieces live here, and the models that more than one
//! target times.

use rand::SeedableRng;
use rand::rngs::StdRng;
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

/// `1024 => 1024 relu => 1024 relu => 10`, the 1024-wide training step's model.
pub type Mlp1024 = Chain<(
    Dense<1024, 1024, Relu>,
    Dense<1024, 1024, Relu>,
    Dense<1024, 10>,
)>;

/// The 1024-wide training step's model (seeded), a random input batch of
/// `batch` columns, and one-hot targets cycling through the ten classes.
pub fn mlp_1024(batch: usize) -> (Mlp1024, Batch<1024>, Batch<10>) {
    let mut rng = StdRng::seed_from_u64(3);
    typeflux::nn::init::seed(3);
    let model = Chain((Dense::new(relu), Dense::new(relu), Dense::new(identity)));
    let x = Batch::<1024>::rand_with((Const, batch), &mut rng);
    let y = Batch::<10>::from_fn((Const, batch), |[row, column]| {
        f32::from(u8::from(row == column % 10))
    });
    (model, x, y)
}

/// A column-major `m × n` product `c = op(a) · op(b)` straight through
/// `gemm`, on the cores of the current pool: `a` is stored `m × k`, or
/// `k × m` and read transposed when `a_t`; `b` is stored `k × n`, or `n × k`
/// and read transposed when `b_t`. The result overwrites `c`.
pub fn raw_gemm(
    c: &mut [f32],
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    a_t: bool,
    b: &[f32],
    b_t: bool,
) {
    assert!(c.len() >= m * n && a.len() >= m * k && b.len() >= k * n);
    // Column and row strides of the operands as stored.
    let (a_cs, a_rs) = if a_t { (1, k) } else { (m, 1) };
    let (b_cs, b_rs) = if b_t { (1, n) } else { (k, 1) };
    // SAFETY: the strides address an m × k `a`, a k × n `b` and an m × n `c`
    // inside slices at least that long (asserted above); `c` does not alias.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            m as isize,
            1,
            false,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        );
    }
}

/// The matrix products of a training step of dense layers of the given
/// widths at batch `n`, no input gradient: forward `W·x` per layer, backward
/// `dz·xᵀ` per layer and `Wᵀ·dz` for all but the first.
pub struct Products {
    widths: Vec<usize>,
    n: usize,
    weights: Vec<Vec<f32>>,
    activations: Vec<Vec<f32>>,
    deltas: Vec<Vec<f32>>,
    grads: Vec<Vec<f32>>,
}

impl Products {
    /// The buffers for layers of the given widths (input first) at batch `n`.
    pub fn new(widths: &[usize], n: usize) -> Self {
        let layers = widths.len() - 1;
        let fill = |len: usize| {
            (0..len)
                .map(|i| (i % 7) as f32 * 0.01)
                .collect::<Vec<f32>>()
        };
        Products {
            widths: widths.to_vec(),
            n,
            weights: (0..layers)
                .map(|l| fill(widths[l + 1] * widths[l]))
                .collect(),
            activations: widths.iter().map(|w| fill(w * n)).collect(),
            deltas: widths.iter().map(|w| fill(w * n)).collect(),
            grads: (0..layers)
                .map(|l| fill(widths[l + 1] * widths[l]))
                .collect(),
        }
    }

    /// Floating-point operations of [`run`](Self::run), two per
    /// multiply-add.
    pub fn flops(&self) -> f64 {
        let (w, n) = (&self.widths, self.n as f64);
        let forward: f64 = w.windows(2).map(|p| (p[0] * p[1]) as f64 * n).sum();
        // The backward pass: every layer's weight gradient, and `Wᵀ·dz` for
        // all but the first.
        let inputs: f64 = w.windows(2).skip(1).map(|p| (p[0] * p[1]) as f64 * n).sum();
        2.0 * (2.0 * forward + inputs)
    }

    /// The step's products, forward then backward.
    pub fn run(&mut self) {
        let (w, n) = (&self.widths, self.n);
        for l in 0..w.len() - 1 {
            let (lower, upper) = self.activations.split_at_mut(l + 1);
            raw_gemm(
                &mut upper[0],
                (w[l + 1], w[l], n),
                &self.weights[l],
                false,
                &lower[l],
                false,
            );
        }
        for l in (0..w.len() - 1).rev() {
            let dims = (w[l + 1], n, w[l]);
            raw_gemm(
                &mut self.grads[l],
                dims,
                &self.deltas[l + 1],
                false,
                &self.activations[l],
                true,
            );
            if l > 0 {
                let (lower, upper) = self.deltas.split_at_mut(l + 1);
                raw_gemm(
                    &mut lower[l],
                    (w[l], w[l + 1], n),
                    &self.weights[l],
                    true,
                    &upper[0],
                    false,
                );
            }
        }
        std::hint::black_box(&self.grads);
    }
}

/// Runs `flops` floating-point operations (two per multiply-add) as
/// independent fused multiply-adds on registers, split evenly over the
/// threads of the current pool, and returns how long that took in seconds.
///
/// No memory is touched, so this is what the cores can do at best at the
/// moment it runs: a product's time against it, in the same round, says how
/// far from the machine's ceiling the product is, whatever the machine's
/// load. Uses AVX-512 or AVX2 with FMA where the processor has them (twelve
/// accumulators, enough to cover the instruction's latency on both of an
/// Intel core's FMA units), and `f32::mul_add` otherwise.
pub fn fma_peak(flops: f64) -> f64 {
    let threads = rayon::current_num_threads();
    let per_thread = flops / threads as f64;
    let start = std::time::Instant::now();
    let sums = rayon::broadcast(|_| fma_loop(per_thread));
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(sums);
    seconds
}

/// Independent accumulators per loop.
const ACCUMULATORS: usize = 12;

/// The widest vectors [`fma_loop`] has a fused multiply-add for here, in
/// `f32` lanes: 16 (AVX-512), 8 (AVX2 with FMA) or 1 (`f32::mul_add`).
fn fma_lanes() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return 16;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return 8;
        }
    }
    1
}

/// `flops` operations of `acc = acc · a + b` on [`ACCUMULATORS`] vectors
/// of [`fma_lanes`] lanes, starting from zero; returns the sum of all lanes.
fn fma_loop(flops: f64) -> f32 {
    let lanes = fma_lanes();
    let rounds = (flops / (ACCUMULATORS * lanes * 2) as f64) as u64;
    #[cfg(target_arch = "x86_64")]
    {
        if lanes == 16 {
            // SAFETY: the processor has AVX-512F (`fma_lanes`).
            return unsafe { fma_avx512(rounds) };
        }
        if lanes == 8 {
            // SAFETY: the processor has AVX2 and FMA (`fma_lanes`).
            return unsafe { fma_avx2(rounds) };
        }
    }
    let mut acc = [0.0f32; ACCUMULATORS];
    let (a, b) = std::hint::black_box((0.999_999f32, 1e-6f32));
    for _ in 0..rounds {
        for x in &mut acc {
            *x = x.mul_add(a, b);
        }
    }
    acc.iter().sum()
}

/// The loop on 16-lane vectors. The accumulators tend to 1 and never
/// become subnormal.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fma_avx512(rounds: u64) -> f32 {
    use std::arch::x86_64::*;
    let (a, b) = std::hint::black_box((0.999_999f32, 1e-6f32));
    let (a, b) = (_mm512_set1_ps(a), _mm512_set1_ps(b));
    let mut acc = [_mm512_setzero_ps(); ACCUMULATORS];
    for _ in 0..rounds {
        for x in &mut acc {
            *x = _mm512_fmadd_ps(*x, a, b);
        }
    }
    let sum = acc
        .iter()
        .fold(_mm512_setzero_ps(), |s, &x| _mm512_add_ps(s, x));
    _mm512_reduce_add_ps(sum)
}

/// The loop on 8-lane vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn fma_avx2(rounds: u64) -> f32 {
    use std::arch::x86_64::*;
    let (a, b) = std::hint::black_box((0.999_999f32, 1e-6f32));
    let (a, b) = (_mm256_set1_ps(a), _mm256_set1_ps(b));
    let mut acc = [_mm256_setzero_ps(); ACCUMULATORS];
    for _ in 0..rounds {
        for x in &mut acc {
            *x = _mm256_fmadd_ps(*x, a, b);
        }
    }
    let mut lanes = [0.0f32; 8];
    let sum = acc
        .iter()
        .fold(_mm256_setzero_ps(), |s, &x| _mm256_add_ps(s, x));
    // SAFETY: `lanes` holds eight `f32`, what an unaligned store writes.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
    lanes.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_count_two_flops_per_multiply_add() {
        // 4 => 3 => 2 at batch 5: forward 12·5 + 6·5, weight gradients the
        // same, `Wᵀ·dz` of the second layer 6·5.
        let p = Products::new(&[4, 3, 2], 5);
        assert_eq!(p.flops(), 2.0 * (90.0 + 90.0 + 30.0));
        // The bench's model: five products of 1024 × 1024 × 256 and three
        // of 1024 × 10 × 256.
        let p = Products::new(&[1024, 1024, 1024, 10], 256);
        assert_eq!(
            p.flops(),
            2.0 * 256.0 * (5.0 * 1024.0 * 1024.0 + 3.0 * 10240.0)
        );
    }

    #[test]
    fn fma_loop_does_the_work_it_is_given() {
        // acc ← acc · a + b from 0 tends to b / (1 − a) = 1: after r rounds
        // it is 1 − aʳ; so each accumulator's value tells how many rounds ran.
        let sum = fma_loop(2.0e6);
        let lanes = fma_lanes() as f64;
        let count = ACCUMULATORS as f64 * lanes;
        let rounds = (2.0e6 / (count * 2.0)).floor();
        let expected = count * (1.0 - 0.999_999f64.powf(rounds));
        assert!(
            (f64::from(sum) - expected).abs() < 1e-3 * expected,
            "{sum} against {expected}"
        );
        assert!(fma_peak(1.0e6) > 0.0);
    }
}
