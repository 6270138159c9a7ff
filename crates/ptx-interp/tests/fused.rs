//! Fused chains of small Dense layers, run on the interpreter: every pass
//! against the same chain computed on the CPU, on random widths, layer
//! counts, activations and batches (batches that do not fill a block
//! included).

mod common;

use common::{Float, agree};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use typeflux_core::{Cpu, Device, Kernels, UnaryOp};
use typeflux_gpu::FusedProducts;
use typeflux_gpu::kernels::{FusedChain, FusedGeometry, FusedLayer};
use typeflux_ptx_interp::exec::tf32;
use typeflux_ptx_interp::{Interpreted, device};

/// How far a chain of TF32 products may be from the exact one, relative to
/// `1 + |value|`: each factor is within 2⁻¹¹ of itself, so a sum of `i`
/// random terms moves by about 2⁻¹¹·√i of their size, and layers add up.
/// A wrong fragment, a dropped step or a stale row moves a value by the
/// size of a whole term, far more.
const TF32_CHAIN: f64 = 4e-3;

/// Activations whose slope is defined everywhere a random pre-activation
/// falls, and none.
const ACTIVATIONS: [Option<UnaryOp>; 10] = [
    None,
    Some(UnaryOp::Relu),
    Some(UnaryOp::Tanh),
    Some(UnaryOp::Sigmoid),
    Some(UnaryOp::LeakyRelu),
    Some(UnaryOp::Elu),
    Some(UnaryOp::Gelu),
    Some(UnaryOp::Sin),
    Some(UnaryOp::Atan),
    Some(UnaryOp::Square),
];

/// A chain's parameters and an input, on the host.
struct Case<E> {
    chain: FusedChain,
    params: Vec<(Vec<E>, Option<Vec<E>>)>,
    x: Vec<E>,
    n: usize,
}

fn uniform<E: Float>(rng: &mut StdRng, len: usize, scale: f64) -> Vec<E> {
    (0..len)
        .map(|_| E::of(rng.random_range(-scale..scale)))
        .collect()
}

impl<E: Float> Case<E> {
    fn new(rng: &mut StdRng, widths: &[u32], layers: Vec<FusedLayer>, n: usize) -> Self {
        let chain = FusedChain::new(widths[0], &layers).expect("a chain that fuses");
        let params = layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let (o, i) = (layer.width as usize, chain.inputs_of(l) as usize);
                let scale = 1.5 / (i as f64).sqrt();
                let w = uniform(rng, o * i, scale);
                let b = layer.bias.then(|| uniform(rng, o, 0.5));
                (w, b)
            })
            .collect();
        let x = uniform(rng, widths[0] as usize * n, 1.0);
        Case {
            chain,
            params,
            x,
            n,
        }
    }

    /// A random chain of up to `layers` layers, each at most `widest` wide.
    fn random(rng: &mut StdRng, layers: usize, widest: u32, batch: usize) -> Self {
        let count = rng.random_range(1..=layers);
        let widths: Vec<u32> = (0..=count).map(|_| rng.random_range(1..=widest)).collect();
        let layers = widths[1..]
            .iter()
            .map(|&width| FusedLayer {
                width,
                bias: rng.random_bool(0.7),
                activation: ACTIVATIONS[rng.random_range(0..ACTIVATIONS.len())],
            })
            .collect();
        // Batches of one, of a block and one column either side, and any.
        let n = match rng.random_range(0..4) {
            0 => 1,
            1 => 31 + rng.random_range(0..3),
            _ => rng.random_range(1..=batch),
        };
        Case::new(rng, &widths, layers, n)
    }

    /// Each layer's output and slope (one where there is no activation),
    /// on the CPU: the products in `f64` from the same numbers, the
    /// activations by the CPU device's table.
    fn reference(&self) -> Vec<(Vec<f64>, Vec<f64>)> {
        self.reference_with(|v| v)
    }

    /// [`reference`](Self::reference) with every factor of a product
    /// passed through `round` first.
    fn reference_with(&self, round: impl Fn(f64) -> f64) -> Vec<(Vec<f64>, Vec<f64>)> {
        let mut a: Vec<f64> = self.x.iter().map(|v| v.wide()).collect();
        let mut out = Vec::new();
        for (l, layer) in self.chain.layers().iter().enumerate() {
            let (o, i) = (layer.width as usize, self.chain.inputs_of(l) as usize);
            let (w, b) = &self.params[l];
            let mut z = vec![0.0; o * self.n];
            for j in 0..self.n {
                for r in 0..o {
                    let mut s = b.as_ref().map_or(0.0, |b| b[r].wide());
                    for p in 0..i {
                        s += round(w[r + p * o].wide()) * round(a[p + j * i]);
                    }
                    z[r + j * o] = s;
                }
            }
            let (y, slope) = match layer.activation {
                Some(op) => {
                    let buf = Cpu.upload::<(usize,), f64>(&z);
                    let (y, s) = Cpu.unary_slope::<(usize,)>(op, &buf);
                    (
                        Cpu.download::<(usize,), f64>(&y),
                        Cpu.download::<(usize,), f64>(&s),
                    )
                }
                None => (z.clone(), vec![1.0; z.len()]),
            };
            a = y.clone();
            out.push((y, slope));
        }
        out
    }

    /// The backward pass on the CPU, in `f64`: `x̄` and each layer's
    /// `(W̄, b̄)`.
    #[allow(clippy::type_complexity)]
    fn reference_backward(&self, dy: &[E]) -> (Vec<f64>, Vec<(Vec<f64>, Vec<f64>)>) {
        self.reference_backward_with(dy, |v| v)
    }

    /// [`reference_backward`](Self::reference_backward) with every factor
    /// of a product passed through `round` first.
    #[allow(clippy::type_complexity)]
    fn reference_backward_with(
        &self,
        dy: &[E],
        round: impl Fn(f64) -> f64 + Copy,
    ) -> (Vec<f64>, Vec<(Vec<f64>, Vec<f64>)>) {
        let forward = self.reference_with(round);
        let layers = self.chain.layers();
        let mut grads = vec![(Vec::new(), Vec::new()); layers.len()];
        let mut d: Vec<f64> = dy.iter().map(|v| v.wide()).collect();
        for l in (0..layers.len()).rev() {
            let (o, i) = (layers[l].width as usize, self.chain.inputs_of(l) as usize);
            let slope = &forward[l].1;
            for (v, s) in d.iter_mut().zip(slope) {
                *v *= s;
            }
            let input: Vec<f64> = if l == 0 {
                self.x.iter().map(|v| v.wide()).collect()
            } else {
                forward[l - 1].0.clone()
            };
            let mut dw = vec![0.0; o * i];
            let mut db = vec![0.0; o];
            let mut below = vec![0.0; i * self.n];
            let w = &self.params[l].0;
            for j in 0..self.n {
                for r in 0..o {
                    let dv = d[r + j * o];
                    db[r] += dv;
                    for p in 0..i {
                        dw[r + p * o] += round(dv) * round(input[p + j * i]);
                        below[p + j * i] += round(w[r + p * o].wide()) * round(dv);
                    }
                }
            }
            grads[l] = (dw, db);
            d = below;
        }
        (d, grads)
    }
}

/// `gpu` is `cpu` within `tol · (1 + |cpu|)`.
#[track_caller]
fn close<E: Float>(gpu: &[E], cpu: &[f64], tol: f64, what: &str) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths");
    for (k, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        let g = g.wide();
        assert!(
            (g - c).abs() <= tol * (1.0 + c.abs()),
            "{what}[{k}]: GPU {g:e}, CPU {c:e}"
        );
    }
}

type Buf<E> = <Interpreted as Device>::Buffer<(usize,), E>;

fn upload<E: Float>(gpu: &Interpreted, v: &[E]) -> Buf<E> {
    gpu.upload::<(usize,), E>(v)
}

fn download<E: Float>(gpu: &Interpreted, b: &Buf<E>) -> Vec<E> {
    gpu.download::<(usize,), E>(b)
}

fn on_gpu<E: Float>(gpu: &Interpreted, case: &Case<E>) -> Vec<(Buf<E>, Option<Buf<E>>)> {
    case.params
        .iter()
        .map(|(w, b)| (upload(gpu, w), b.as_ref().map(|b| upload(gpu, b))))
        .collect()
}

fn check_inference<E: Float + typeflux_gpu::GpuFloat>(
    case: &Case<E>,
    products: FusedProducts,
    tol: f64,
) {
    let gpu = device();
    gpu.set_fused_products(products);
    let params = on_gpu(&gpu, case);
    let refs: Vec<_> = params.iter().map(|(w, b)| (w, b.as_ref())).collect();
    let x = upload(&gpu, &case.x);
    let launches = gpu.runtime().launches();
    let y = gpu.fused_inference(&case.chain, &x, &refs);
    assert_eq!(gpu.runtime().launches(), launches + 1, "one kernel");
    let expected = case.reference();
    let what = format!("{:?}, batch {}", case.chain, case.n);
    close(&download(&gpu, &y), &expected.last().unwrap().0, tol, &what);
}

fn check_training<E: Float + typeflux_gpu::GpuFloat>(
    case: &Case<E>,
    products: FusedProducts,
    rng: &mut StdRng,
    tol: f64,
) {
    let gpu = device();
    gpu.set_fused_products(products);
    let params = on_gpu(&gpu, case);
    let refs: Vec<_> = params.iter().map(|(w, b)| (w, b.as_ref())).collect();
    let x = upload(&gpu, &case.x);
    let (y, kept) = gpu.fused_training(&case.chain, &x, &refs);
    let what = format!("{:?}, batch {}", case.chain, case.n);
    let expected = case.reference();
    close(&download(&gpu, &y), &expected.last().unwrap().0, tol, &what);
    let dy: Vec<E> = uniform(rng, case.chain.output() as usize * case.n, 1.0);
    let weights: Vec<_> = params.iter().map(|(w, _)| w).collect();
    let (dx, grads) = gpu.fused_backward(&case.chain, &x, &weights, &kept, &upload(&gpu, &dy));
    let (dx_cpu, grads_cpu) = case.reference_backward(&dy);
    close(&download(&gpu, &dx), &dx_cpu, tol, &format!("x̄ of {what}"));
    for (l, ((dw, db), (dw_cpu, db_cpu))) in grads.iter().zip(&grads_cpu).enumerate() {
        // The gradients sum over the batch: scale the tolerance with it.
        let tol = tol * (case.n as f64).sqrt();
        close(
            &download(&gpu, dw),
            dw_cpu,
            tol,
            &format!("W̄_{l} of {what}"),
        );
        assert_eq!(db.is_some(), case.chain.layers()[l].bias);
        if let Some(db) = db {
            close(
                &download(&gpu, db),
                db_cpu,
                tol,
                &format!("b̄_{l} of {what}"),
            );
        }
    }
}

#[test]
fn fused_inference_matches_the_cpu_on_random_chains() {
    let mut rng = StdRng::seed_from_u64(16);
    for _ in 0..12 {
        let case = Case::<f32>::random(&mut rng, 4, 24, 80);
        check_inference(&case, FusedProducts::Exact, 2e-5);
        check_inference(&case, FusedProducts::Tf32, TF32_CHAIN);
    }
    for _ in 0..4 {
        let case = Case::<f64>::random(&mut rng, 3, 24, 40);
        // TF32 does not apply to f64: the products stay exact.
        check_inference(&case, FusedProducts::Tf32, 1e-12);
    }
}

#[test]
fn fused_inference_of_the_widest_layers() {
    let mut rng = StdRng::seed_from_u64(128);
    let layers = [127, 128, 64, 128]
        .iter()
        .zip([Some(UnaryOp::Relu), Some(UnaryOp::Tanh), None, None])
        .map(|(&width, activation)| FusedLayer {
            width,
            bias: true,
            activation,
        })
        .collect();
    // A batch of one block and a few more columns.
    let n = FusedGeometry::of(4).columns as usize + 3;
    let case = Case::<f32>::new(&mut rng, &[128, 127, 128, 64, 128], layers, n);
    check_inference(&case, FusedProducts::Exact, 5e-5);
    check_inference(&case, FusedProducts::Tf32, TF32_CHAIN);
}

#[test]
fn every_operation_of_the_table_runs_in_a_fused_layer() {
    // One input feature, so that the pre-activation is `w·x + b` on both
    // devices, rounded the same way: the activation is compared alone.
    let mut rng = StdRng::seed_from_u64(1);
    for &op in UnaryOp::ALL {
        let layer = FusedLayer {
            width: 9,
            bias: true,
            activation: Some(op),
        };
        let case = Case::<f32>::new(&mut rng, &[1, 9], vec![layer], 37);
        let gpu = device();
        gpu.set_fused_products(FusedProducts::Exact);
        let params = on_gpu(&gpu, &case);
        let refs: Vec<_> = params.iter().map(|(w, b)| (w, b.as_ref())).collect();
        let y = gpu.fused_inference(&case.chain, &upload(&gpu, &case.x), &refs);
        let (w, b) = (&case.params[0].0, case.params[0].1.as_ref().unwrap());
        let x = &case.x;
        let z: Vec<f32> = (0..case.n)
            .flat_map(|j| (0..9).map(move |r| w[r] * x[j] + b[r]))
            .collect();
        let cpu = Cpu.download::<(usize,), f32>(
            &Cpu.unary::<(usize,)>(op, &Cpu.upload::<(usize,), f32>(&z)),
        );
        agree(&download(&gpu, &y), &cpu, 80.0, 1.0, op.name());
    }
}

#[test]
fn fused_training_and_backward_match_the_cpu_on_random_chains() {
    let mut rng = StdRng::seed_from_u64(17);
    for _ in 0..10 {
        let case = Case::<f32>::random(&mut rng, 4, 20, 75);
        check_training(&case, FusedProducts::Exact, &mut rng, 5e-5);
        check_training(&case, FusedProducts::Tf32, &mut rng, TF32_CHAIN);
    }
    for _ in 0..3 {
        let case = Case::<f64>::random(&mut rng, 3, 20, 40);
        check_training(&case, FusedProducts::Tf32, &mut rng, 1e-12);
    }
}

/// A value rounded to TF32, as the kernels round the factors of their
/// products.
fn round_tf32(v: f64) -> f64 {
    f64::from(f32::from_bits(tf32((v as f32).to_bits())))
}

#[test]
fn tf32_products_are_the_products_of_the_factors_rounded_to_tf32() {
    // One layer without activation: its factors are the case's own f32
    // numbers (x, W and ȳ), so rounding them on the CPU gives exactly the
    // factors the tensor cores see. What is left is the f32 rounding of
    // the sums. Against the exact products, the same results are far off.
    let mut rng = StdRng::seed_from_u64(32);
    let mut far_from_exact = 0;
    for trial in 0..14 {
        let (i, o) = if trial < 2 {
            (128, 128)
        } else {
            (rng.random_range(1..=128), rng.random_range(1..=128))
        };
        let n = [1, 31, 32, 33, 70, rng.random_range(1..=100)][trial % 6];
        let layer = FusedLayer {
            width: o,
            bias: trial % 2 == 0,
            activation: None,
        };
        let case = Case::<f32>::new(&mut rng, &[i, o], vec![layer], n);
        let gpu = device();
        gpu.set_fused_products(FusedProducts::Tf32);
        let params = on_gpu(&gpu, &case);
        let refs: Vec<_> = params.iter().map(|(w, b)| (w, b.as_ref())).collect();
        let x = upload(&gpu, &case.x);
        let what = format!("{i} ⇒ {o}, batch {n}");
        let y = download(&gpu, &gpu.fused_inference(&case.chain, &x, &refs));
        let rounded = case.reference_with(round_tf32);
        close(&y, &rounded[0].0, 2e-6, &what);
        let exact = &case.reference()[0].0;
        if y.iter()
            .zip(exact)
            .any(|(g, c)| (f64::from(*g) - c).abs() > 1e-4)
        {
            far_from_exact += 1;
        }

        let (_, kept) = gpu.fused_training(&case.chain, &x, &refs);
        let dy: Vec<f32> = uniform(&mut rng, o as usize * n, 1.0);
        let weights: Vec<_> = params.iter().map(|(w, _)| w).collect();
        let (dx, grads) = gpu.fused_backward(&case.chain, &x, &weights, &kept, &upload(&gpu, &dy));
        let (dx_cpu, grads_cpu) = case.reference_backward_with(&dy, round_tf32);
        close(&download(&gpu, &dx), &dx_cpu, 2e-6, &format!("x̄ of {what}"));
        let tol = 2e-6 * (n as f64).sqrt();
        close(
            &download(&gpu, &grads[0].0),
            &grads_cpu[0].0,
            tol,
            &format!("W̄ of {what}"),
        );
        if let Some(db) = &grads[0].1 {
            // The bias's gradient is a plain f32 sum, not a product.
            let exact = &case.reference_backward(&dy).1[0].1;
            close(&download(&gpu, db), exact, tol, &format!("b̄ of {what}"));
        }
    }
    assert!(
        far_from_exact >= 12,
        "only {far_from_exact} of 14 layers differ from the exact products: were they rounded?"
    );
}

#[test]
fn an_infinite_input_a_saturating_activation_absorbs_leaves_no_nan_behind() {
    // 8 ⇒ 5 (tanh) ⇒ 4: an infinite feature with positive weights makes
    // every pre-activation of the first layer +∞ and its outputs 1. The
    // tensor cores' tile of that layer has rows past its 5 outputs, whose
    // zero weights times ∞ are NaN; they must not reach the next layer.
    let mut rng = StdRng::seed_from_u64(9);
    let layers = vec![
        FusedLayer {
            width: 5,
            bias: true,
            activation: Some(UnaryOp::Tanh),
        },
        FusedLayer {
            width: 4,
            bias: false,
            activation: None,
        },
    ];
    let mut case = Case::<f32>::new(&mut rng, &[8, 5, 4], layers, 40);
    for w in &mut case.params[0].0 {
        *w = w.abs() + 0.1;
    }
    case.x[6] = f32::INFINITY;
    let expected = case.reference();
    let last = &expected.last().unwrap().0;
    assert!(
        last.iter().all(|v| v.is_finite()),
        "the reference is finite"
    );
    for products in [FusedProducts::Exact, FusedProducts::Tf32] {
        check_inference(&case, products, TF32_CHAIN);
        let gpu = device();
        gpu.set_fused_products(products);
        let params = on_gpu(&gpu, &case);
        let refs: Vec<_> = params.iter().map(|(w, b)| (w, b.as_ref())).collect();
        let (y, _) = gpu.fused_training(&case.chain, &upload(&gpu, &case.x), &refs);
        close(
            &download(&gpu, &y),
            last,
            TF32_CHAIN,
            &format!("{products:?} training"),
        );
    }
}

#[test]
fn fused_gradients_are_the_same_on_every_run() {
    let mut rng = StdRng::seed_from_u64(3);
    let case = Case::<f32>::random(&mut rng, 3, 16, 100);
    let gpu = device();
    let params = on_gpu(&gpu, &case);
    let refs: Vec<_> = params.iter().map(|(w, b)| (w, b.as_ref())).collect();
    let weights: Vec<_> = params.iter().map(|(w, _)| w).collect();
    let x = upload(&gpu, &case.x);
    let dy = upload(
        &gpu,
        &uniform::<f32>(&mut rng, case.chain.output() as usize * case.n, 1.0),
    );
    let run = || {
        let (_, kept) = gpu.fused_training(&case.chain, &x, &refs);
        let (_, grads) = gpu.fused_backward(&case.chain, &x, &weights, &kept, &dy);
        grads
            .iter()
            .map(|(dw, _)| download(&gpu, dw))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(), run());
}

#[test]
fn a_chain_of_dense_layers_runs_as_one_kernel_chosen_by_its_types() {
    use typeflux_core::prelude::*;
    use typeflux_gpu::FusedModel;
    use typeflux_nn::prelude::*;

    let mut rng = StdRng::seed_from_u64(5);
    let cpu_model = Chain((
        Dense::<5, 17>::new(tanh),
        Dense::<17, 9>::new(relu).bias(false),
        Dense::<9, 3>::new(identity),
    ));
    let x = Batch::<5>::from_slice((Const, 45), &uniform::<f32>(&mut rng, 5 * 45, 1.0)).unwrap();
    let expected: Vec<f64> = cpu_model
        .forward(&x)
        .iter()
        .map(|&v| f64::from(v))
        .collect();

    let gpu = device();
    gpu.set_fused_products(FusedProducts::Exact);
    let model = cpu_model.to_device(&gpu);
    let chain = model.fused_chain().expect("three small Dense layers fuse");
    assert_eq!((chain.input(), chain.output()), (5, 3));
    assert!(!chain.layers()[1].bias);
    let launches = gpu.runtime().launches();
    let y = model.forward_fused(&x.to_device(&gpu));
    assert_eq!(gpu.runtime().launches(), launches + 1, "one kernel");
    close(&y.to_device(&Cpu).to_vec(), &expected, 2e-6, "fused chain");
    gpu.set_fused_products(FusedProducts::Tf32);
    let y = model.forward_fused(&x.to_device(&gpu));
    close(&y.to_device(&Cpu).to_vec(), &expected, TF32_CHAIN, "TF32");
    gpu.set_fused_products(FusedProducts::Exact);
    // Layer by layer on the same device, the same numbers.
    let layered = model.forward(&x.to_device(&gpu)).to_device(&Cpu).to_vec();
    close(&layered, &expected, 2e-6, "layer by layer");

    // A softmax is not an operation of the table: the chain runs layer by
    // layer, through the same call.
    let cpu_model = Chain((Dense::<5, 4>::new(tanh), Dense::<4, 3>::new(softmax)));
    let model = cpu_model.to_device(&gpu);
    assert!(model.fused_chain().is_none());
    let launches = gpu.runtime().launches();
    let y = model.forward_fused(&x.to_device(&gpu));
    assert!(gpu.runtime().launches() > launches + 1, "layer by layer");
    let expected: Vec<f64> = cpu_model
        .forward(&x)
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    close(
        &y.to_device(&Cpu).to_vec(),
        &expected,
        2e-6,
        "softmax chain",
    );
}
