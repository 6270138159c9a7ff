//! `Chain` and `compose`: both ends of the tuple range (1 and 16 members),
//! plain functions, the seed's model, gradients against forward mode and
//! finite differences, and walks over a chain's parameters.

mod common;

use common::{assert_close, finite_difference_gradient, forward_mode_gradient, random_params};
use typeflux_ad::reverse::{gradient, model, pullback};
use typeflux_core::functor::{Mut, Path, Ref, Visitor, visit, walk};
use typeflux_core::prelude::*;
use typeflux_nn::activation::Activation;
use typeflux_nn::prelude::*;

#[test]
fn chain_of_closures_as_in_flux() {
    // Flux: Chain(x -> x^2, x -> x+1)(5) == 26
    let m = Chain((|x| x * x, |x| x + 1));
    assert_eq!(m.forward(5), 26);
}

#[test]
fn chain_of_one_member() {
    assert_eq!(Chain((|x: i32| x - 3,)).forward(10), 7);

    let layer: Dense<3, 2, Tanh, f64> = layer_from(&random_params(1, 8, 1.0), tanh);
    let chain = Chain((layer.clone(),));
    let x = Vector::<3, f64>::from_array([0.1, 0.2, -0.3]);
    assert_eq!(chain.forward(&x), layer.forward(&x));
    let (y, back) = pullback(|(m, x)| m.forward(x), (model(&chain), &x));
    let (grad, dx) = back(Vector::<2, f64>::ones());
    let (y1, back1) = pullback(|(m, x)| m.forward(x), (model(&layer), &x));
    let (grad1, dx1) = back1(Vector::<2, f64>::ones());
    assert_eq!(y, y1);
    assert_eq!(dx, dx1);
    let Chain((grad,)) = grad;
    assert_eq!(grad.weight, grad1.weight);
    assert_eq!(grad.bias, grad1.bias);
}

#[test]
fn chain_of_sixteen_functions() {
    let add = |k: i64| move |x: i64| x + k;
    let m = Chain((
        add(1),
        add(2),
        add(3),
        add(4),
        add(5),
        add(6),
        add(7),
        add(8),
        add(9),
        add(10),
        add(11),
        add(12),
        add(13),
        add(14),
        add(15),
        |x: i64| x * 2,
    ));
    assert_eq!(m.forward(0), 2 * (1..=15).sum::<i64>());
}

/// A `Dense<I, O>` from `p`: weight column-major, then bias.
fn layer_from<const I: usize, const O: usize, A: Activation, E: Element>(
    p: &[E],
    activation: A,
) -> Dense<I, O, A, E> {
    Dense::from_parts(
        Tensor::try_from_slice(&p[..O * I]).unwrap(),
        Tensor::try_from_slice(&p[O * I..O * I + O]).unwrap(),
        activation,
    )
}

const DEEP: usize = 16;
const WIDTH: usize = 3;
const PER_LAYER: usize = WIDTH * WIDTH + WIDTH;

type Deep<E> = Dense<WIDTH, WIDTH, Tanh, E>;

/// Sixteen `Dense<3, 3, tanh>` layers from `p`, then the input.
#[allow(clippy::type_complexity)]
fn deep_from<E: Element>(
    p: &[E],
) -> (
    Chain<(
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
        Deep<E>,
    )>,
    Vector<WIDTH, E>,
) {
    let l = |k: usize| layer_from(&p[k * PER_LAYER..(k + 1) * PER_LAYER], tanh);
    let chain = Chain((
        l(0),
        l(1),
        l(2),
        l(3),
        l(4),
        l(5),
        l(6),
        l(7),
        l(8),
        l(9),
        l(10),
        l(11),
        l(12),
        l(13),
        l(14),
        l(15),
    ));
    (
        chain,
        Tensor::try_from_slice(&p[DEEP * PER_LAYER..]).unwrap(),
    )
}

fn deep_objective<E: Element>(p: &[E], c: &[f64]) -> E {
    let (chain, x) = deep_from(p);
    let y = chain.forward(x);
    y.iter()
        .zip(c)
        .fold(E::zero(), |s, (&y, &c)| s + y * E::from_f64(c).unwrap())
}

/// All parameter gradients of a Dense, weight then bias.
fn flat<const I: usize, const O: usize, A>(g: &Dense<I, O, A, f64>, out: &mut Vec<f64>) {
    out.extend(g.weight.to_vec());
    out.extend(g.bias.as_ref().map_or(vec![], |b| b.to_vec()));
}

#[test]
fn chain_of_sixteen_layers_gradients() {
    let p = random_params(7, DEEP * PER_LAYER + WIDTH, 1.2);
    let c = [0.7, -1.3, 0.4];
    let (chain, x) = deep_from(&p);
    let (y, back) = pullback(|(m, x)| m.forward(x), (model(&chain), &x));
    assert_eq!(y, chain.forward(&x));
    let (grad, dx) = back(Tensor::from_array(c));
    let g = &grad.0;
    let mut reverse = Vec::new();
    flat(&g.0, &mut reverse);
    flat(&g.1, &mut reverse);
    flat(&g.2, &mut reverse);
    flat(&g.3, &mut reverse);
    flat(&g.4, &mut reverse);
    flat(&g.5, &mut reverse);
    flat(&g.6, &mut reverse);
    flat(&g.7, &mut reverse);
    flat(&g.8, &mut reverse);
    flat(&g.9, &mut reverse);
    flat(&g.10, &mut reverse);
    flat(&g.11, &mut reverse);
    flat(&g.12, &mut reverse);
    flat(&g.13, &mut reverse);
    flat(&g.14, &mut reverse);
    flat(&g.15, &mut reverse);
    reverse.extend(dx.to_vec());

    let forward = forward_mode_gradient(&p, |q| deep_objective(q, &c));
    let fd = finite_difference_gradient(&p, 1e-6, |q| deep_objective(q, &c));
    assert_close(&reverse, &forward, 1e-12, "16 layers vs forward mode");
    assert_close(&reverse, &fd, 1e-6, "16 layers vs finite differences");

    // The input as data: the same parameter gradients.
    let (_, back) = pullback(|m| m.forward(&x), model(&chain));
    let grad_data = back(Tensor::from_array(c));
    assert_eq!(grad_data.0.0.weight, grad.0.0.weight);
    assert_eq!(grad_data.0.15.bias, grad.0.15.bias);
}

/// The seed's `Chain(Dense(10 => 5, σ), Dense(5 => 2), softmax)`.
type Seed<E> = Chain<(Dense<10, 5, Sigmoid, E>, Dense<5, 2, Identity, E>, Softmax)>;

/// The seed's model from `p`.
fn seed_from<E: Element>(p: &[E]) -> Seed<E> {
    Chain((
        layer_from(&p[..55], sigmoid),
        layer_from(&p[55..67], identity),
        softmax,
    ))
}

const SEED_PARAMS: usize = 67;
const BATCH: usize = 3;

fn seed_objective<E: Element>(p: &[E], c: &[f64]) -> E {
    let model = seed_from(p);
    let x = Batch::<10, E>::from_slice((Const, BATCH), &p[SEED_PARAMS..]).unwrap();
    let y = model.forward(x);
    y.iter()
        .zip(c)
        .fold(E::zero(), |s, (&y, &c)| s + y * E::from_f64(c).unwrap())
}

#[test]
fn seed_model_outputs_distributions() {
    let model = Chain((
        Dense::<10, 5>::new(sigmoid),
        Dense::<5, 2>::new(identity),
        softmax,
    ));
    let x = Batch::<10>::from_slice(
        (Const, 4),
        &random_params(3, 40, 1.0)
            .iter()
            .map(|&v| v as f32)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let y = model.forward(&x);
    assert_eq!(y.shape(), (Const::<2>, 4));
    for column in y.columns() {
        assert!(
            (column.iter().sum::<f32>() - 1.0).abs() < 1e-6,
            "{column:?}"
        );
        assert!(column.iter().all(|&p| p > 0.0));
    }
    let single: Vector<2> = model.forward(x.column(1));
    assert!((single.sum() - 1.0).abs() < 1e-6);
    assert_close(
        &single.iter().map(|&v| v as f64).collect::<Vec<_>>(),
        &y.column(1).iter().map(|&v| v as f64).collect::<Vec<_>>(),
        1e-6,
        "a column alone",
    );
}

#[test]
fn seed_model_gradients() {
    let p = random_params(9, SEED_PARAMS + 10 * BATCH, 1.0);
    let c = random_params(10, 2 * BATCH, 1.0);
    let seed = seed_from(&p);
    let x = Batch::<10, f64>::from_slice((Const, BATCH), &p[SEED_PARAMS..]).unwrap();
    let (_, back) = pullback(|(m, x)| m.forward(x), (model(&seed), x));
    let (Chain((g1, g2, Softmax)), dx) =
        back(Batch::<2, f64>::from_slice((Const, BATCH), &c).unwrap());
    let mut reverse = Vec::new();
    flat(&g1, &mut reverse);
    flat(&g2, &mut reverse);
    reverse.extend(dx.to_vec());
    let forward = forward_mode_gradient(&p, |q| seed_objective(q, &c));
    let fd = finite_difference_gradient(&p, 1e-6, |q| seed_objective(q, &c));
    assert_close(&reverse, &forward, 1e-12, "seed model vs forward mode");
    assert_close(&reverse, &fd, 1e-6, "seed model vs finite differences");
}

#[test]
fn compose_applies_the_inner_layer_first() {
    let p = random_params(12, 67, 1.0);
    let outer: Dense<5, 2, Identity, f64> = layer_from(&p[55..], identity);
    let inner: Dense<10, 5, Sigmoid, f64> = layer_from(&p[..55], sigmoid);
    let m = compose(outer.clone(), inner.clone());
    let x = Vector::<10, f64>::from_fn((Const,), |[i, _]| i as f64 / 10.0);
    assert_eq!(m.forward(&x), outer.forward(inner.forward(&x)));
    let (_, back) = pullback(|m| m.forward(&x), model(&m));
    let Chain((g_inner, g_outer)) = back(Vector::<2, f64>::ones());
    assert_eq!(g_inner.weight.shape(), inner.weight.shape());
    assert_eq!(g_outer.weight.shape(), outer.weight.shape());

    let f = compose(|x: f64| x.sqrt(), |x: f64| x * 4.0);
    assert_eq!(f.forward(4.0), 4.0);
}

#[test]
fn chains_nest() {
    let inner = Chain((|x: i32| x + 1, |x: i32| x * 10));
    let outer = Chain((inner, |x: i32| x - 1, Chain((|x: i32| x * 2,))));
    assert_eq!(outer.forward(1), 38);

    let p = random_params(13, 67 + 10, 1.0);
    let flat_model = seed_from(&p);
    let nested = Chain((
        Chain((flat_model.0.0.clone(), flat_model.0.1.clone())),
        softmax,
    ));
    let x = Vector::<10, f64>::try_from_slice(&p[67..]).unwrap();
    assert_eq!(nested.forward(&x), flat_model.forward(&x));
    let (_, back) = pullback(|(m, x)| m.forward(x), (model(&nested), &x));
    let (Chain((Chain((g1, _)), Softmax)), dx) = back(Vector::<2, f64>::from_array([1.0, -1.0]));
    let (_, back) = pullback(|(m, x)| m.forward(x), (model(&flat_model), &x));
    let (Chain((h1, _, Softmax)), dx_flat) = back(Vector::<2, f64>::from_array([1.0, -1.0]));
    assert_eq!(g1.weight, h1.weight);
    assert_eq!(dx, dx_flat);
}

/// Collects the path of every tensor.
struct Names(Vec<String>);

impl Visitor for Names {
    type Access = Ref;
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, _: &Tensor<S, E, D>) {
        self.0.push(path.to_string());
    }
}

#[test]
fn chain_members_are_named_by_position() {
    let model = Chain((
        Dense::<10, 5>::new(sigmoid),
        Dense::<5, 2>::new(identity).bias(false),
        softmax,
    ));
    let mut names = Names(Vec::new());
    visit(&model, &mut names);
    assert_eq!(names.0, ["0.weight", "0.bias", "1.weight"]);
}

/// `p -= lr · g` at every tensor: what an optimiser does with a gradient of
/// the model's own type.
struct Descent(f64);

impl Visitor for Descent {
    type Access = (Mut, Ref);
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (p, g): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        p.axpy(E::from_f64(-self.0).unwrap(), g);
    }
}

#[test]
fn a_gradient_step_walks_model_and_gradient_together() {
    let p = random_params(14, SEED_PARAMS, 1.0);
    let mut model: Seed<f64> = seed_from(&p);
    let x = Batch::<10, f64>::from_slice((Const, 4), &random_params(15, 40, 1.0)).unwrap();
    let y = Batch::<2, f64>::from_fn((Const, 4), |[r, c]| (r == c % 2) as u8 as f64);
    let before = crossentropy(model.forward(&x), &y).item();
    for _ in 0..20 {
        let grad = gradient(|m| crossentropy(m.forward(&x), &y), &model);
        walk((&mut model, &grad), &mut Descent(0.5));
    }
    let after = crossentropy(model.forward(&x), &y).item();
    assert!(after < before * 0.9, "{before} -> {after}");
}

#[test]
fn a_closure_in_a_chain_trains_and_runs_plain() {
    // Flux: Chain(Dense(3 => 4, tanh), x -> 2x, Dense(4 => 1)).
    let p = random_params(16, 21, 0.8);
    let d1: Dense<3, 4, Tanh, f64> = layer_from(&p[..16], tanh);
    let d2: Dense<4, 1, Identity, f64> = layer_from(&p[16..], identity);
    let chain = Chain((d1.clone(), Lambda(|x| x * 2.0), d2.clone()));
    let x = Batch::<3, f64>::from_fn((Const, 5), |[i, j]| (i as f64 - j as f64) / 4.0);
    let y = Batch::<1, f64>::from_fn((Const, 5), |[_, j]| j as f64 / 5.0);

    // Plain: the closure runs on the plain values (through an idle hole).
    let plain = chain.forward(&x);
    let by_hand = d2.forward(d1.forward(&x) * 2.0);
    assert_eq!(plain, by_hand);

    // Traced: the gradient goes through the closure to the first layer.
    let g = gradient(|m| mse(m.forward(&x), &y), model(&chain));
    let loss = |w: &Matrix<4, 3, f64>| {
        let mut d = d1.clone();
        d.weight = w.clone();
        mse(d2.forward(d.forward(&x) * 2.0), &y).item()
    };
    let numeric: Vec<f64> = (0..12)
        .map(|i| {
            let (mut up, mut down) = (d1.weight.clone(), d1.weight.clone());
            up.as_mut_slice()[i] += 1e-6;
            down.as_mut_slice()[i] -= 1e-6;
            (loss(&up) - loss(&down)) / 2e-6
        })
        .collect();
    assert_close(
        g.0.0.weight.as_slice(),
        &numeric,
        1e-6,
        "through the closure",
    );
}

#[test]
fn a_chain_on_plain_data_returns_plain_values_and_nests_one_level() {
    let chain = Chain((
        Dense::<3, 4>::new(relu),
        Dense::<4, 2>::new(identity),
        softmax,
    ));
    let x = Vector::<3>::ones();
    // A plain chain returns a plain tensor...
    let y: Vector<2> = chain.forward(&x);
    assert!((y.sum() - 1.0).abs() < 1e-6);
    // ...and a traced one a value whose backward pass is one chain node.
    let (_, back) = pullback(
        |m| {
            let out = m.forward(&x);
            let name = core::any::type_name_of_val(out.back());
            assert!(
                name.starts_with("typeflux_ad::reverse::chain::ChainNode<"),
                "{name}"
            );
            out
        },
        model(&chain),
    );
    let g = back(Vector::<2>::ones());
    // Softmax's outputs sum to 1, so a cotangent of ones has no gradient.
    assert!(g.0.0.weight.iter().all(|w| w.abs() < 1e-6));
}

#[test]
fn activations_keep_every_member_s_output() {
    use typeflux_nn::activations;
    // Flux: activations(Chain(x -> x^2, x -> x+1), 5) == (25, 26).
    assert_eq!(activations(&Chain((|x| x * x, |x| x + 1)), 5), (25, 26));
    assert_eq!(activations(&Chain((|x: i32| x - 3,)), 10), (7,));

    let p = random_params(31, 21, 0.8);
    let d1: Dense<3, 4, Tanh, f64> = layer_from(&p[..16], tanh);
    let d2: Dense<4, 1, Identity, f64> = layer_from(&p[16..], identity);
    let chain = Chain((d1.clone(), d2.clone(), Lambda(|y| y * 2.0)));
    let x = Batch::<3, f64>::from_fn((Const, 5), |[i, j]| (i as f64 - j as f64) / 4.0);
    let (hidden, out, doubled) = activations(&chain, &x);
    assert_eq!(hidden, d1.forward(&x));
    assert_eq!(out, d2.forward(&hidden));
    assert_eq!(doubled, &out * 2.0);
    assert_eq!(doubled, chain.forward(&x));
}

#[test]
fn activations_of_sixteen_members() {
    use typeflux_nn::activations;
    let add = |k: i64| move |x: i64| x + k;
    let m = Chain((
        add(1),
        add(2),
        add(3),
        add(4),
        add(5),
        add(6),
        add(7),
        add(8),
        add(9),
        add(10),
        add(11),
        add(12),
        add(13),
        add(14),
        add(15),
        |x: i64| x * 2,
    ));
    let outputs = activations(&m, 0);
    assert_eq!(outputs.0, 1);
    assert_eq!(outputs.1, 3);
    assert_eq!(outputs.14, (1..=15).sum::<i64>());
    assert_eq!(outputs.15, m.forward(0));
}

/// A chain without parameters after the first member of another (Flux's
/// `Chain(Dense(3 => 4), Chain(tanh, σ), Dense(4 => 2))`) runs on a traced
/// input and passes its gradient on: to the layers before it, and to the
/// input of a model that holds no traced parameter at all.
#[test]
fn a_chain_without_parameters_inside_a_chain_passes_the_gradient_on() {
    let p = random_params(18, 26, 0.8);
    let d1: Dense<3, 4, Identity, f64> = layer_from(&p[..16], identity);
    let d2: Dense<4, 2, Identity, f64> = layer_from(&p[16..], identity);
    let nested = Chain((d1.clone(), Chain((tanh, sigmoid)), d2.clone()));
    let flat = Chain((d1.clone(), tanh, sigmoid, d2.clone()));
    let x = Batch::<3, f64>::from_fn((Const, 5), |[i, j]| (i as f64 - j as f64) / 4.0);
    let y = Batch::<2, f64>::from_fn((Const, 5), |[i, j]| ((i + j) % 2) as f64);

    // On plain data, still a plain value.
    let plain: Batch<2, f64> = nested.forward(&x);
    assert_eq!(plain, flat.forward(&x));

    let g = gradient(|m| mse(m.forward(&x), &y), model(&nested));
    let h = gradient(|m| mse(m.forward(&x), &y), model(&flat));
    assert_eq!(g.0.0.weight, h.0.0.weight);
    assert_eq!(g.0.2.weight, h.0.3.weight);
    assert!(g.0.0.weight.iter().any(|&w| w != 0.0));

    let gx = gradient(|x| mse(nested.forward(x), &y), &x);
    let loss = |x: &[f64]| {
        let x = Batch::<3, f64>::from_slice((Const, 5), x).unwrap();
        mse(flat.forward(&x), &y).item()
    };
    let numeric = finite_difference_gradient(x.as_slice(), 1e-6, loss);
    assert_close(gx.as_slice(), &numeric, 1e-6, "the input's gradient");
}

#[test]
fn a_nested_chain_without_parameters_passes_the_gradient_to_the_members_before_it() {
    let net = Chain((
        Dense::<2, 2, Identity, f64>::new(identity),
        Chain((tanh, Lambda(|x| x * 2.0))),
    ));
    let x = Batch::<2, f64>::from_fn((Const, 3), |[i, j]| (i + j) as f64 / 4.0);
    let y = Batch::<2, f64>::zeros_with((Const, 3));
    let g = gradient(|m| mse(m.forward(&x), &y), model(&net));
    let params: Vec<f64> = net.0.0.weight.to_vec();
    let numeric = finite_difference_gradient(&params, 1e-6, |w| {
        let mut n = net.clone();
        n.0.0.weight.as_mut_slice().copy_from_slice(w);
        mse(n.forward(&x), &y).item()
    });
    assert!(numeric.iter().any(|d| d.abs() > 1e-3));
    assert_close(
        g.0.0.weight.as_slice(),
        &numeric,
        1e-6,
        "before the nested chain",
    );
    // On plain data the nested chain's value is plain again at the top.
    let plain: Batch<2, f64> = net.forward(&x);
    assert_eq!(plain.shape(), (Const::<2>, 3));
}
