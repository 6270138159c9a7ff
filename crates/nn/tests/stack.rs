//! Layers, activations, losses, optimisers and weight files on the `Stack`
//! device: the seed's model's gradient against finite differences and
//! forward mode, and every other result against the same computation on the
//! `Cpu`.

mod common;

use common::{assert_close, finite_difference_gradient, forward_mode_gradient, random_params};
use rand::SeedableRng;
use rand::rngs::StdRng;
use typeflux_ad::reverse::{gradient, model, pullback, value_and_gradient};
use typeflux_core::num_dual::Dual64;
use typeflux_core::prelude::*;
use typeflux_nn::io;
use typeflux_nn::optim::{Adam, Momentum, Optimiser, Rule};
use typeflux_nn::prelude::*;

/// The seed's `Chain(Dense(10 => 5, σ), Dense(5 => 2), softmax)` on any
/// device and element.
type Seed<E, D> = Chain<(
    Dense<10, 5, Sigmoid, E, D>,
    Dense<5, 2, Identity, E, D>,
    Softmax,
)>;

const PARAMS: usize = 50 + 5 + 10 + 2;

/// The model with parameters `p` (weight₁ column-major, bias₁, weight₂,
/// bias₂), built on the CPU and copied to the `Stack`.
fn seed_on_stack<E: Element>(p: &[E]) -> Seed<E, Stack> {
    let mut first = Dense::<10, 5, Identity, E>::new(sigmoid);
    first.weight = Matrix::try_from_slice(&p[..50]).unwrap();
    first.bias = Some(Vector::try_from_slice(&p[50..55]).unwrap());
    let mut second = Dense::<5, 2, Identity, E>::new(identity);
    second.weight = Matrix::try_from_slice(&p[55..65]).unwrap();
    second.bias = Some(Vector::try_from_slice(&p[65..]).unwrap());
    Chain((first, second, softmax)).to_device(&Stack)
}

fn params_of<E: Element>(m: &Seed<E, Stack>) -> Vec<E> {
    let Chain((first, second, _)) = m;
    [
        first.weight.to_vec(),
        first.bias.as_ref().unwrap().to_vec(),
        second.weight.to_vec(),
        second.bias.as_ref().unwrap().to_vec(),
    ]
    .concat()
}

fn input<E: Element>() -> (Vector<10, E, Stack>, Vector<2, E, Stack>) {
    let x = [0.5, -0.25, 1.0, 0.0, 2.0, -1.5, 0.75, 0.1, -0.3, 0.9]
        .map(|v: f64| E::from_f64(v).unwrap());
    let t = [1.0, 0.0].map(|v: f64| E::from_f64(v).unwrap());
    (
        Vector::from_array(x).to_device(&Stack),
        Vector::from_array(t).to_device(&Stack),
    )
}

/// The sum of squared errors of the model's output.
fn seed_loss<E: Element>(p: &[E]) -> E {
    let (x, t) = input::<E>();
    Mse::new()
        .agg(Aggregate::Sum)
        .loss(seed_on_stack(p).forward(&x), &t)
        .item()
}

#[test]
fn seed_gradient_on_the_stack_matches_finite_differences_and_forward_mode() {
    let p = random_params(11, PARAMS, 1.0);
    let (x, t) = input::<f64>();
    let seed = seed_on_stack(&p);
    let sum = Mse::new().agg(Aggregate::Sum);
    let (loss, grad) = value_and_gradient(|m| sum.loss(m.forward(&x), &t), model(&seed));
    let reverse = params_of(&grad);

    assert_close(&[loss], &[seed_loss(&p)], 1e-15, "loss");
    let fd = finite_difference_gradient(&p, 1e-6, seed_loss::<f64>);
    assert_close(
        &reverse,
        &fd,
        1e-7,
        "reverse mode on the Stack vs finite differences",
    );
    // Forward mode runs the whole model on the Stack with dual numbers.
    let forward = forward_mode_gradient(&p, seed_loss::<Dual64>);
    assert_close(
        &reverse,
        &forward,
        1e-12,
        "reverse vs forward mode, both on the Stack",
    );

    // With respect to the input too.
    let (_, (_, dx)) = value_and_gradient(|(m, x)| sum.loss(m.forward(x), &t), (model(&seed), &x));
    let dx_fd = finite_difference_gradient(&x.to_vec(), 1e-6, |xs| {
        let x = Vector::<10, f64>::try_from_slice(xs)
            .unwrap()
            .to_device(&Stack);
        sum.loss(seed.forward(&x), &t).item()
    });
    assert_close(&dx.to_vec(), &dx_fd, 1e-7, "input gradient");
}

#[test]
fn seed_model_on_the_stack_gives_the_cpus_numbers() {
    typeflux_nn::init::seed(5);
    let chain = Chain((
        Dense::<10, 5>::new(sigmoid),
        Dense::<5, 2>::new(identity),
        softmax,
    ));
    let on_stack = chain.to_device(&Stack);
    let x = Vector::<10>::from_array([0.5, -0.25, 1.0, 0.0, 2.0, -1.5, 0.75, 0.1, -0.3, 0.9]);
    let t = Vector::<2>::from_array([0.0, 1.0]);
    let (xs, ts) = (x.to_device(&Stack), t.to_device(&Stack));

    assert_eq!(on_stack.forward(&xs).to_device(&Cpu), chain.forward(&x));
    let grad = gradient(|m| crossentropy(m.forward(&x), &t), model(&chain));
    let grad_s = gradient(|m| crossentropy(m.forward(&xs), &ts), model(&on_stack));
    assert_eq!(io::to_bytes(&grad_s).unwrap(), io::to_bytes(&grad).unwrap());

    // A batch: static weights on the Stack, the batch in a heap buffer.
    let batch = Batch::<10>::randn_with((Const, 6), &mut StdRng::seed_from_u64(2));
    let out = on_stack.forward(&batch.to_device(&Stack));
    assert_eq!(out.to_device(&Cpu), chain.forward(&batch));
}

/// One activation's value and pullback on a `Stack` vector and batch
/// against the `Cpu`.
fn check_activation<A>(activation: A)
where
    A: Activation
        + Layer<Batch<6, f64>, Output = Batch<6, f64>>
        + Layer<Batch<6, f64, Stack>, Output = Batch<6, f64, Stack>>,
{
    let name = core::any::type_name::<A>();
    let x = Vector::<6, f64>::from_array([-30.0, -1.2, -0.1, 0.0, 0.7, 25.0]);
    let dy = Vector::<6, f64>::from_array([0.3, -1.0, 2.0, 0.5, -0.25, 1.5]);
    let (y, back) = pullback(|x| x.activate(activation), &x);
    let (ys, back_s) = pullback(|x| x.activate(activation), x.to_device(&Stack));
    assert_eq!(ys.to_vec(), y.to_vec(), "{name}: values");
    let dx = back(dy.clone());
    let dxs = back_s(dy.to_device(&Stack));
    assert_eq!(dxs.to_vec(), dx.to_vec(), "{name}: gradients");

    let batch = Batch::<6, f64>::randn_with((Const, 3), &mut StdRng::seed_from_u64(4));
    let out = activation.forward(batch.to_device(&Stack));
    assert_eq!(
        out.to_vec(),
        activation.forward(batch).to_vec(),
        "{name}: batch"
    );
}

#[test]
fn every_activation_on_the_stack() {
    check_activation(identity);
    check_activation(sigmoid);
    check_activation(relu);
    check_activation(leakyrelu);
    check_activation(elu);
    check_activation(gelu);
    check_activation(swish);
    check_activation(softplus);
    check_activation(tanh);
    check_activation(softmax);
    check_activation(logsoftmax);
}

#[test]
fn every_loss_on_the_stack() {
    let mut rng = StdRng::seed_from_u64(9);
    let logits = Matrix::<3, 4, f64>::randn(&mut rng) * 3.0;
    let probs = softmax.forward(logits.clone());
    let y =
        Matrix::<3, 4, f64>::from_fn(Default::default(), |[r, c]| f64::from(u8::from(r == c % 3)));
    let (sl, sp, sy) = (
        logits.to_device(&Stack),
        probs.to_device(&Stack),
        y.to_device(&Stack),
    );

    fn check<L: Loss>(
        loss: L,
        y_hat: &Matrix<3, 4, f64>,
        s_hat: &Matrix<3, 4, f64, Stack>,
        y: &Matrix<3, 4, f64>,
        sy: &Matrix<3, 4, f64, Stack>,
    ) {
        let name = core::any::type_name::<L>();
        let (v, g) = value_and_gradient(|p| loss.loss(p, y), y_hat);
        let (vs, gs) = value_and_gradient(|p| loss.loss(p, sy), s_hat);
        assert_eq!(vs, v, "{name}: value");
        assert_eq!(
            loss.loss(s_hat, sy).item(),
            loss.loss(y_hat, y).item(),
            "{name}: value alone"
        );
        assert_eq!(gs.to_vec(), g.to_vec(), "{name}: gradient");
    }
    check(Mse::new(), &logits, &sl, &y, &sy);
    check(Mae::new(), &logits, &sl, &y, &sy);
    check(HuberLoss::new(), &logits, &sl, &y, &sy);
    check(LogitCrossEntropy::new(), &logits, &sl, &y, &sy);
    check(LogitBinaryCrossEntropy::new(), &logits, &sl, &y, &sy);
    check(CrossEntropy::new(), &probs, &sp, &y, &sy);
    check(BinaryCrossEntropy::new(), &probs, &sp, &y, &sy);
}

#[test]
fn optimisers_and_weight_files_on_the_stack() {
    let p = random_params(12, PARAMS, 0.5);
    let (x, t) = input::<f64>();
    let cpu_start = seed_on_stack(&p).to_device(&Cpu);

    fn steps<R: Rule + Clone, D: Host + Kernels<f64>>(
        rule: R,
        mut seed: Seed<f64, D>,
        x: &Vector<10, f64, D>,
        t: &Vector<2, f64, D>,
    ) -> Seed<f64, D> {
        let mut opt: Optimiser<R, _> = rule.setup(&seed);
        for _ in 0..3 {
            let grad = gradient(|m| mse(m.forward(x), t), model(&seed));
            opt.update(&mut seed, &grad);
        }
        seed
    }
    let cpu_x = (x.to_device(&Cpu), t.to_device(&Cpu));
    for (on_stack, on_cpu) in [
        (
            steps(Adam::new(0.01), seed_on_stack(&p), &x, &t),
            steps(Adam::new(0.01), cpu_start.clone(), &cpu_x.0, &cpu_x.1),
        ),
        (
            steps(Momentum::new(0.1, 0.9), seed_on_stack(&p), &x, &t),
            steps(
                Momentum::new(0.1, 0.9),
                cpu_start.clone(),
                &cpu_x.0,
                &cpu_x.1,
            ),
        ),
    ] {
        assert_eq!(params_of(&on_stack), params_of(&on_cpu.to_device(&Stack)));
        assert_ne!(params_of(&on_stack), p, "the steps moved the parameters");
    }

    // A weights file written from the Stack loads into the Cpu model and back.
    let bytes = io::to_bytes(&seed_on_stack(&p)).unwrap();
    assert_eq!(bytes, io::to_bytes(&cpu_start).unwrap());
    let mut other = seed_on_stack(&random_params(13, PARAMS, 0.5));
    io::from_bytes(&mut other, &bytes).unwrap();
    assert_eq!(params_of(&other), p);
    // A truncated file is an error and changes nothing.
    let before = params_of(&other);
    assert!(io::from_bytes(&mut other, &bytes[..bytes.len() - 3]).is_err());
    assert_eq!(params_of(&other), before);
}

#[test]
fn layers_build_on_the_stack_directly() {
    typeflux_nn::init::seed(21);
    let on_cpu = Dense::<10, 5>::new(sigmoid);
    typeflux_nn::init::seed(21);
    let on_stack: Dense<10, 5, Sigmoid, f32, Stack> = Dense::new(sigmoid);
    assert_eq!(on_stack.weight.to_device(&Cpu), on_cpu.weight);
    assert_eq!(on_stack.bias.as_ref().unwrap().to_vec(), vec![0.0; 5]);

    let bias = Vector::<2>::from_array([1.0, -1.0]).to_device(&Stack);
    let layer: Dense<3, 2, Identity, f32, Stack> = Dense::new(identity).init(ones).bias(bias);
    let x = Vector::<3>::from_array([1.0, 2.0, 3.0]).to_device(&Stack);
    assert_eq!(layer.forward(&x).to_vec(), vec![7.0, 5.0]);
    let no_bias: Dense<3, 2, Identity, f32, Stack> = Dense::new(identity).bias(false);
    assert!(no_bias.bias.is_none());
}
