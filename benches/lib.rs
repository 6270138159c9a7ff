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
