//! Fused chains of small Dense layers, run on the interpreter: every pass
//! against the same chain computed on the CPU, on random widths, layer
//! counts, activations and batches (batches that do not fill a block
//! included).

mod common;

use common::{Float, agree};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use typeflux_core::{Cpu, Device, Kernels, UnaryOp};
use typeflux_gpu::kernels::{FusedChain, FusedGeometry, FusedLayer};
use typeflux_ptx_interp::{Interpreted, device};

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
                        s += w[r + p * o].wide() * a[p + j * i];
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
        let forward = self.reference();
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
                        dw[r + p * o] += dv * input[p + j * i];
                        below[p + j * i] += w[r + p * o].wide() * dv;
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

fn check_inference<E: Float + typeflux_gpu::GpuFloat>(case: &Case<E>, tol: f64) {
    let gpu = device();
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

fn check_training<E: Float + typeflux_gpu::GpuFloat>(case: &Case<E>, rng: &mut StdRng, tol: f64) {
    let gpu = device();
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
        check_inference(&Case::<f32>::random(&mut rng, 4, 24, 80), 2e-5);
    }
    for _ in 0..4 {
        check_inference(&Case::<f64>::random(&mut rng, 3, 24, 40), 1e-12);
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
    check_inference(
        &Case::<f32>::new(&mut rng, &[128, 127, 128, 64, 128], layers, n),
        5e-5,
    );
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
        check_training(&case, &mut rng, 5e-5);
    }
    for _ in 0..3 {
        let case = Case::<f64>::random(&mut rng, 3, 20, 40);
        check_training(&case, &mut rng, 1e-12);
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
    let model = cpu_model.to_device(&gpu);
    let chain = model.fused_chain().expect("three small Dense layers fuse");
    assert_eq!((chain.input(), chain.output()), (5, 3));
    assert!(!chain.layers()[1].bias);
    let launches = gpu.runtime().launches();
    let y = model.forward_fused(&x.to_device(&gpu));
    assert_eq!(gpu.runtime().launches(), launches + 1, "one kernel");
    close(&y.to_device(&Cpu).to_vec(), &expected, 2e-6, "fused chain");
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
