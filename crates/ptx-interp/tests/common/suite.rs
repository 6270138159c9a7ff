//! The checks of a GPU device against the CPU, generic over the device:
//! the interpreted one runs them in `.ci/run`, a real one in the GPU check.

use super::{Float, agree, both, host, identical, random};
use typeflux_ad::reverse::{model, value_and_gradient};
use typeflux_core::functor::{Path, Ref, Visitor, visit};
use typeflux_core::prelude::*;
use typeflux_core::{BinaryOp, UnaryOp};
use typeflux_nn::optim::{Adam, Rule};
use typeflux_nn::prelude::*;

/// Inputs that reach every branch of the table: ordinary numbers, zeros,
/// tiny and huge ones, where `exp` overflows and underflows, infinities
/// and NaN.
pub fn inputs<E: Float>() -> Vec<E> {
    let mut v: Vec<E> = random(7, 200, 6.0);
    v.extend(random::<E>(8, 50, 0.01));
    v.extend(random::<E>(9, 50, 60.0));
    for x in [
        0.0,
        -0.0,
        1e-30,
        -1e-30,
        1e-8,
        -1e-8,
        0.5,
        -0.5,
        1.0,
        -1.0,
        2.0,
        3.0,
        10.0,
        -10.0,
        10.5,
        -10.5,
        20.0,
        -20.0,
        30.0,
        88.0,
        -88.0,
        -100.0,
        -104.0,
        700.0,
        -700.0,
        709.0,
        -740.0,
        -750.0,
        1e4,
        -1e4,
        1e10,
        -1e10,
        1e30,
        -1e30,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ] {
        v.push(E::of(x));
    }
    // f32 subnormals, and f64 ones.
    v.push(E::of(1e-40));
    v.push(E::of(1e-310));
    v
}

/// How far from the CPU's `libm` each operation may be, in units of the
/// last place at `max(|value|, 1e-300)`: the arithmetic ones are exact,
/// the transcendental ones within a few units.
pub fn ulps(op: UnaryOp) -> f64 {
    match op {
        UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Square | UnaryOp::Sqrt | UnaryOp::Recip => 0.0,
        UnaryOp::Relu | UnaryOp::LeakyRelu => 0.0,
        _ => 8.0,
    }
}

/// The scale errors are measured at: the value itself, except for `gelu`,
/// whose `1 + tanh u` cancels for negative arguments and so magnifies the
/// last bit of `tanh` (on either device) relative to the result.
pub fn floor(op: UnaryOp) -> f64 {
    if op == UnaryOp::Gelu { 1.0 } else { 1e-300 }
}

/// Where an operation's GPU code is accurate: `sin` and `cos` for
/// arguments up to 2⁴⁰ in magnitude.
pub fn in_range(op: UnaryOp, x: f64) -> bool {
    !matches!(op, UnaryOp::Sin | UnaryOp::Cos) || x.abs() <= 2f64.powi(40) || x.is_nan()
}

pub fn check_table<G, S: Shape, E: Float>(gpu: &G, all: &[E])
where
    G: Kernels<E>,
    Cpu: Kernels<E>,
{
    for &op in UnaryOp::ALL {
        let data: Vec<E> = all
            .iter()
            .copied()
            .filter(|x| in_range(op, x.wide()))
            .collect();
        let data = data.as_slice();
        let (g, c) = both::<_, S, E>(gpu, data);
        let name = format!("{} on {}", op.name(), core::any::type_name::<E>());
        let value = host::<_, S, E>(gpu, &gpu.unary::<S>(op, &g));
        agree(
            &value,
            &Cpu.download::<S, E>(&Cpu.unary::<S>(op, &c)),
            ulps(op),
            floor(op),
            &name,
        );

        let (y, dy) = gpu.unary_slope::<S>(op, &g);
        let (cy, cdy) = Cpu.unary_slope::<S>(op, &c);
        agree(
            &host::<_, S, E>(gpu, &y),
            &Cpu.download::<S, E>(&cy),
            ulps(op),
            floor(op),
            &name,
        );
        // A slope is a sum of rounded terms that may cancel (gelu's): it is
        // compared at the scale of its terms, 1.
        agree(
            &host::<_, S, E>(gpu, &dy),
            &Cpu.download::<S, E>(&cdy),
            ulps(op).max(1.0) * 4.0,
            1.0,
            &format!("{name}'"),
        );

        let mut in_place = g.clone();
        let slope = gpu.unary_slope_assign::<S>(op, &mut in_place);
        agree(
            &host::<_, S, E>(gpu, &in_place),
            &host::<_, S, E>(gpu, &y),
            0.0,
            1.0,
            &name,
        );
        agree(
            &host::<_, S, E>(gpu, &slope),
            &host::<_, S, E>(gpu, &dy),
            0.0,
            1.0,
            &name,
        );
        // The buffer `in_place` was cloned from is untouched.
        identical(&host::<_, S, E>(gpu, &g), data, "the source of a clone");
    }
}

pub const BINARY: [BinaryOp; 4] = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div];

pub fn check_binary<G, S: Shape, E: Float>(gpu: &G, a: &[E], b: &[E], rows: usize)
where
    G: Kernels<E>,
    Cpu: Kernels<E>,
{
    let (ga, ca) = both::<_, S, E>(gpu, a);
    let (gb, cb) = both::<_, S, E>(gpu, b);
    let (gv, cv) = both::<_, (usize,), E>(gpu, &b[..rows]);
    let s = E::of(1.75);
    for op in BINARY {
        let what = format!("{op:?}");
        identical(
            &host::<_, S, E>(gpu, &gpu.binary::<S>(op, &ga, &gb)),
            &Cpu.download::<S, E>(&Cpu.binary::<S>(op, &ca, &cb)),
            &what,
        );
        let mut ip = ga.clone();
        gpu.binary_assign::<S>(op, &mut ip, &gb);
        identical(
            &host::<_, S, E>(gpu, &ip),
            &Cpu.download::<S, E>(&Cpu.binary::<S>(op, &ca, &cb)),
            &what,
        );
        for first in [false, true] {
            identical(
                &host::<_, S, E>(gpu, &gpu.scalar::<S>(op, &ga, s, first)),
                &Cpu.download::<S, E>(&Cpu.scalar::<S>(op, &ca, s, first)),
                &what,
            );
        }
        let mut ip = ga.clone();
        gpu.scalar_assign::<S>(op, &mut ip, s);
        identical(
            &host::<_, S, E>(gpu, &ip),
            &Cpu.download::<S, E>(&Cpu.scalar::<S>(op, &ca, s, false)),
            &what,
        );
        identical(
            &host::<_, S, E>(gpu, &gpu.broadcast::<S, (usize,)>(op, &ga, rows, &gv)),
            &Cpu.download::<S, E>(&Cpu.broadcast::<S, (usize,)>(op, &ca, rows, &cv)),
            &format!("broadcast {what}"),
        );
        let mut ip = ga.clone();
        gpu.broadcast_assign::<S, (usize,)>(op, &mut ip, rows, &gv);
        identical(
            &host::<_, S, E>(gpu, &ip),
            &Cpu.download::<S, E>(&Cpu.broadcast::<S, (usize,)>(op, &ca, rows, &cv)),
            &format!("broadcast {what}"),
        );
    }
    let (mut gy, mut cy) = (ga.clone(), ca.clone());
    gpu.axpy::<S>(&mut gy, s, &gb);
    Cpu.axpy::<S>(&mut cy, s, &cb);
    identical(
        &host::<_, S, E>(gpu, &gy),
        &Cpu.download::<S, E>(&cy),
        "axpy",
    );
    identical(
        &host::<_, S, E>(gpu, &ga),
        a,
        "axpy leaves the clone's source",
    );
}

/// `op(a)·op(b)` and `c += s·op(a)·op(b)`, both devices, shapes `A` and `B`
/// as the kernels receive them (a transposed operand stored transposed).
#[allow(clippy::too_many_arguments)]
pub fn check_product<G, A: Shape, B: Shape, E: Float>(
    gpu: &G,
    (m, k, n): (usize, usize, usize),
    at: bool,
    bt: bool,
    seed: u64,
) where
    G: Kernels<E>,
    Cpu: Kernels<E>,
{
    let a: Vec<E> = random(seed, m * k, 1.0);
    let b: Vec<E> = random(seed + 1, k * n, 1.0);
    let (ga, ca) = both::<_, A, E>(gpu, &a);
    let (gb, cb) = both::<_, B, E>(gpu, &b);
    let g = gpu.matmul::<A, B, (usize, usize)>(m, k, n, &ga, at, &gb, bt);
    let c = Cpu.matmul::<A, B, (usize, usize)>(m, k, n, &ca, at, &cb, bt);
    let what = format!(
        "{m}x{k}x{n} {}{}",
        if at { "t" } else { "n" },
        if bt { "t" } else { "n" }
    );
    // Sums of k products in another order: within k units at the scale of
    // the terms (each at most 1).
    let ulps = 2.0 * k as f64 + 2.0;
    agree(
        &host::<_, (usize, usize), E>(gpu, &g),
        &Cpu.download::<(usize, usize), E>(&c),
        ulps,
        1.0,
        &what,
    );

    let start: Vec<E> = random(seed + 2, m * n, 1.0);
    let (mut gc, mut cc) = both::<_, (usize, usize), E>(gpu, &start);
    let scale = E::of(-0.5);
    gpu.matmul_add::<A, B, (usize, usize)>(&mut gc, scale, m, k, n, &ga, at, &gb, bt);
    Cpu.matmul_add::<A, B, (usize, usize)>(&mut cc, scale, m, k, n, &ca, at, &cb, bt);
    agree(
        &host::<_, (usize, usize), E>(gpu, &gc),
        &Cpu.download::<(usize, usize), E>(&cc),
        ulps,
        1.0,
        &format!("{what} accumulated"),
    );
}

pub fn dims(m: usize, k: usize, at: bool) -> (usize, usize) {
    if at { (k, m) } else { (m, k) }
}

pub fn check_softmax<G, S: Shape, E: Float>(gpu: &G, rows: usize, cols: usize, seed: u64, log: bool)
where
    G: Kernels<E>,
    Cpu: Kernels<E>,
{
    let x: Vec<E> = random(seed, rows * cols, 8.0);
    let (g, c) = both::<_, S, E>(gpu, &x);
    let (gy, cy) = (
        gpu.softmax::<S>(&g, rows, log),
        Cpu.softmax::<S>(&c, rows, log),
    );
    let what = if log { "logsoftmax" } else { "softmax" };
    agree(
        &host::<_, S, E>(gpu, &gy),
        &Cpu.download::<S, E>(&cy),
        16.0,
        1.0,
        what,
    );
    let d: Vec<E> = random(seed + 1, rows * cols, 1.0);
    let (gd, cd) = both::<_, S, E>(gpu, &d);
    agree(
        &host::<_, S, E>(gpu, &gpu.softmax_pullback::<S>(&gy, &gd, rows, log)),
        &Cpu.download::<S, E>(&Cpu.softmax_pullback::<S>(&cy, &cd, rows, log)),
        16.0 * rows as f64,
        1.0,
        &format!("{what} pullback"),
    );
    // Targets: one-hot columns, with a zero column and a soft one.
    let t: Vec<E> = (0..rows * cols)
        .map(|i| {
            let (r, col) = (i % rows, i / rows);
            E::of(match col % 3 {
                0 => f64::from(u8::from(r == col % rows)),
                1 => 0.0,
                _ => 1.0 / rows as f64,
            })
        })
        .collect();
    let (gt, ct) = both::<_, S, E>(gpu, &t);
    let scale = E::of(1.0 / cols as f64);
    let (gl, gg) = gpu.logit_cross_entropy::<S>(&g, &gt, rows, scale);
    let (cl, cg) = Cpu.logit_cross_entropy::<S>(&c, &ct, rows, scale);
    agree(
        &[gl],
        &[cl],
        64.0 * (rows * cols) as f64,
        1.0,
        "cross-entropy",
    );
    agree(
        &host::<_, S, E>(gpu, &gg),
        &Cpu.download::<S, E>(&cg),
        16.0 * rows as f64,
        1.0,
        "its gradient",
    );
}

/// Every parameter of a model, in order, on the host.
pub fn params<M: typeflux_core::functor::Functor>(m: &M) -> Vec<f64> {
    struct All(Vec<f64>);
    impl Visitor for All {
        type Access = Ref;
        fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, t: &Tensor<S, E, D>) {
            self.0.extend(t.to_vec().iter().map(|x| {
                let x = x as &dyn core::any::Any;
                match (x.downcast_ref::<f64>(), x.downcast_ref::<f32>()) {
                    (Some(&v), _) => v,
                    (_, Some(&v)) => f64::from(v),
                    _ => panic!("a model of floats"),
                }
            }));
        }
    }
    let mut all = All(Vec::new());
    visit(m, &mut all);
    all.0
}

/// A `Chain`'s forward pass and its gradient on `gpu` and on the CPU.
pub fn check_chain<G: Kernels<f64>>(gpu: &G) {
    typeflux_nn::init::seed(3);
    let chain = Chain((
        Dense::<5, 7, Identity, f64>::new(tanh),
        Dense::<7, 6, Identity, f64>::new(relu),
        Dense::<6, 3, Identity, f64>::new(identity),
    ));
    let x = Batch::<5, f64>::from_fn((Const, 9), |[i, j]| {
        ((i * 7 + j * 3) % 11) as f64 / 5.0 - 1.0
    });
    let y = Batch::<3, f64>::from_fn((Const, 9), |[i, j]| f64::from(u8::from(i == j % 3)));

    let on_gpu = chain.to_device(gpu);
    let (xg, yg) = (x.to_device(gpu), y.to_device(gpu));

    let forward = on_gpu.forward(&xg).to_device(&Cpu).to_vec();
    agree(&forward, &chain.forward(&x).to_vec(), 64.0, 1.0, "forward");

    let (loss, grad) = value_and_gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&chain));
    let (gpu_loss, gpu_grad) =
        value_and_gradient(|m| logitcrossentropy(m.forward(&xg), &yg), model(&on_gpu));
    agree(&[gpu_loss], &[loss], 64.0, 1.0, "loss");
    agree(&params(&gpu_grad), &params(&grad), 256.0, 1.0, "gradient");
}

/// Three Adam steps of a `Chain` on `gpu` and on the CPU.
pub fn check_adam<G: Kernels<f32>>(gpu: &G) {
    typeflux_nn::init::seed(4);
    let mut cpu = Chain((Dense::<4, 6>::new(sigmoid), Dense::<6, 2>::new(identity)));
    let x = Batch::<4>::from_fn((Const, 5), |[i, j]| (i as f32 - j as f32) / 4.0);
    let y = Batch::<2>::from_fn((Const, 5), |[i, j]| (i + j) as f32 / 8.0);
    let mut on_gpu = cpu.to_device(gpu);
    let (xg, yg) = (x.to_device(gpu), y.to_device(gpu));

    let rule = Adam::default();
    let (mut cpu_opt, mut gpu_opt) = (rule.setup(&cpu), rule.setup(&on_gpu));
    for _ in 0..3 {
        let (_, g) = value_and_gradient(|m| mse(m.forward(&x), &y), model(&cpu));
        cpu_opt.update(&mut cpu, &g);
        let (_, g) = value_and_gradient(|m| mse(m.forward(&xg), &yg), model(&on_gpu));
        gpu_opt.update(&mut on_gpu, &g);
    }
    let (a, b) = (params(&on_gpu), params(&cpu));
    let (a, b): (Vec<f32>, Vec<f32>) = (
        a.iter().map(|&v| v as f32).collect(),
        b.iter().map(|&v| v as f32).collect(),
    );
    agree(&a, &b, 64.0, 1.0, "parameters after three Adam steps");
}

/// A value rounded to TF32, as the fused kernels round their factors.
fn tf32(v: f32) -> f64 {
    f64::from(f32::from_bits(typeflux_ptx_interp::exec::tf32(v.to_bits())))
}

/// Fused `f32` chains on `gpu`'s tensor cores: a layer without activation
/// gives the products of its factors rounded to TF32 (to `f32` rounding of
/// the sums), and a deeper chain's output and gradient are within TF32's
/// precision of the CPU's. Leaves `gpu` computing exact products.
pub fn check_tf32<R: typeflux_gpu::Runtime>(gpu: &typeflux_gpu::Gpu<R>) {
    use typeflux_gpu::FusedProducts;
    gpu.set_fused_products(FusedProducts::Tf32);
    // One layer, 37 ⇒ 45 with bias, on the kernel itself.
    use typeflux_gpu::kernels::{FusedChain, FusedLayer};
    let layer = FusedLayer {
        width: 45,
        bias: true,
        activation: None,
    };
    let fused = FusedChain::new(37, &[layer]).expect("a chain that fuses");
    let w: Vec<f32> = random(21, 45 * 37, 0.3);
    let b: Vec<f32> = random(22, 45, 0.5);
    let xs: Vec<f32> = random(23, 37 * 70, 2.0);
    let up = |v: &[f32]| gpu.upload::<(usize,), f32>(v);
    let (wg, bg, xg) = (up(&w), up(&b), up(&xs));
    let y = gpu.download::<(usize,), f32>(&gpu.fused_inference(&fused, &xg, &[(&wg, Some(&bg))]));
    let mut far_from_exact = 0;
    for j in 0..70 {
        for r in 0..45 {
            let rounded: f64 = f64::from(b[r])
                + (0..37)
                    .map(|p| tf32(w[r + p * 45]) * tf32(xs[p + j * 37]))
                    .sum::<f64>();
            let exact: f64 = f64::from(b[r])
                + (0..37)
                    .map(|p| f64::from(w[r + p * 45]) * f64::from(xs[p + j * 37]))
                    .sum::<f64>();
            let got = f64::from(y[r + j * 45]);
            // The sums are f32, in an order (and, on a GPU, with a rounding
            // inside the tensor cores) the ISA leaves open: a few units of
            // f32's last place of the terms' size, far below TF32's 2⁻¹¹.
            let size: f64 = f64::from(b[r].abs())
                + (0..37)
                    .map(|p| (tf32(w[r + p * 45]) * tf32(xs[p + j * 37])).abs())
                    .sum::<f64>();
            assert!(
                (got - rounded).abs() <= 1e-6 * (1.0 + size),
                "y[{r}, {j}]: {got} against the TF32 products' {rounded}"
            );
            far_from_exact += usize::from((got - exact).abs() > 1e-5);
        }
    }
    assert!(
        far_from_exact > 1000,
        "{far_from_exact} of 3150 differ from f32: rounded?"
    );

    typeflux_nn::init::seed(6);
    let chain = Chain((
        Dense::<24, 40>::new(tanh),
        Dense::<40, 17>::new(relu),
        Dense::<17, 5>::new(identity),
    ));
    let x = Batch::<24>::from_fn((Const, 45), |[i, j]| {
        ((i * 5 + j * 3) % 17) as f32 / 8.0 - 1.0
    });
    let t = Batch::<5>::from_fn((Const, 45), |[i, j]| ((i + j) % 3) as f32 - 1.0);
    let on_gpu = chain.to_device(gpu);
    let (xg, tg) = (x.to_device(gpu), t.to_device(gpu));
    let close = |g: &[f64], c: &[f64], what: &str| {
        for (k, (g, c)) in g.iter().zip(c).enumerate() {
            assert!(
                (g - c).abs() <= 4e-3 * (1.0 + c.abs()),
                "{what}[{k}]: {g} against {c}"
            );
        }
    };
    let wide = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
    close(
        &wide(on_gpu.forward(&xg).to_device(&Cpu).to_vec()),
        &wide(chain.forward(&x).to_vec()),
        "forward",
    );
    let (_, g) = value_and_gradient(|m| mse(m.forward(&x), &t), model(&chain));
    let (_, gg) = value_and_gradient(|m| mse(m.forward(&xg), &tg), model(&on_gpu));
    close(&params(&gg), &params(&g), "gradient");
    gpu.set_fused_products(FusedProducts::Exact);
}
