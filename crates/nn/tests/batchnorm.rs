//! `BatchNorm`: the batch's statistics in train mode and the running ones
//! in test mode, against hand computation; gradients against central
//! differences (f64); the running statistics as state that is recorded in
//! training, kept by the update, saved and loaded, and never trained.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{descend, gradient, model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::{AdamW, Descent, Rule, State, io, train};

type Norm = BatchNorm<3, Tanh, f64>;

fn norm() -> Norm {
    let mut n: Norm = BatchNorm::new(tanh);
    n.scale = Vector::from_array([0.5, -1.5, 2.0]);
    n.bias = Vector::from_array([0.1, 0.0, -0.3]);
    n.running_mean = State(Vector::from_array([0.2, -0.1, 0.4]));
    n.running_var = State(Vector::from_array([1.5, 0.5, 2.0]));
    n
}

fn batch<const N: usize>(seed: usize) -> Batch<N, f64> {
    Batch::from_fn((Const, 6), |[i, j]| {
        ((i * 5 + j * 3 + seed) as f64 * 0.8).sin() * 2.0 + i as f64
    })
}

/// Each feature's mean and (uncorrected) variance over the batch.
fn stats<const N: usize>(x: &Batch<N, f64>) -> Vec<(f64, f64)> {
    let n = x.shape().1 as f64;
    (0..N)
        .map(|i| {
            let row: Vec<f64> = (0..x.shape().1).map(|j| x[[i, j]]).collect();
            let mean = row.iter().sum::<f64>() / n;
            (
                mean,
                row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n,
            )
        })
        .collect()
}

/// The mean squared error of a model on `x` against `y`, as a number.
fn mse_of<'a, M, const I: usize, const O: usize>(
    x: &'a Batch<I, f64>,
    y: &'a Batch<O, f64>,
) -> impl Fn(&M) -> f64 + Copy + 'a
where
    M: Layer<&'a Batch<I, f64>, Output = Batch<O, f64>>,
{
    move |m| mse(m.forward(x), y).item()
}

#[test]
fn train_mode_normalises_by_the_batch_and_test_mode_by_the_running_statistics() {
    let mut n = norm();
    let x = batch::<3>(0);
    trainmode(&mut n);
    let y = n.forward(&x);
    for (i, (mean, var)) in stats(&x).into_iter().enumerate() {
        for j in 0..6 {
            let want = (n.scale[i] * (x[[i, j]] - mean) / (var + 1e-5).sqrt() + n.bias[i]).tanh();
            assert!((y[[i, j]] - want).abs() < 1e-12, "train [{i}, {j}]");
        }
    }
    for mode in [Mode::Test, Mode::Auto] {
        n.mode = mode;
        let y = n.forward(&x);
        for i in 0..3 {
            let (mean, var) = (n.running_mean.0[i], n.running_var.0[i]);
            for j in 0..6 {
                let want =
                    (n.scale[i] * (x[[i, j]] - mean) / (var + 1e-5).sqrt() + n.bias[i]).tanh();
                assert!((y[[i, j]] - want).abs() < 1e-12, "{mode:?} [{i}, {j}]");
            }
        }
    }
}

#[test]
fn gradients_in_train_mode_match_central_differences() {
    let n = norm();
    let (x, t) = (batch::<3>(1), batch::<3>(2) * 0.3);
    let mut trained = n.clone();
    trainmode(&mut trained);
    let loss = mse_of(&x, &t);
    // Auto mode trains inside the gradient; the reference runs in train mode.
    let (_, (g, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &t), (model(&n), &x));
    check(
        &trained,
        |m| m.scale.as_mut_slice(),
        loss,
        g.scale.as_slice(),
        "scale",
    );
    check(
        &trained,
        |m| m.bias.as_mut_slice(),
        loss,
        g.bias.as_slice(),
        "bias",
    );
    check(
        &x,
        |x| x.as_mut_slice(),
        |x| mse(trained.forward(x), &t).item(),
        gx.as_slice(),
        "input",
    );

    // After a dense layer in a chain: the normalisation's input is a hole.
    let mut net = Chain((Dense::<2, 3, Identity, f64>::new(identity), n.clone()));
    let x2 = batch::<2>(3);
    let g = gradient(|m| mse(m.forward(&x2), &t), model(&net));
    trainmode(&mut net);
    let loss = mse_of(&x2, &t);
    check(
        &net,
        |m| m.0.0.weight.as_mut_slice(),
        loss,
        g.0.0.weight.as_slice(),
        "dense before it",
    );
    check(
        &net,
        |m| m.0.1.scale.as_mut_slice(),
        loss,
        g.0.1.scale.as_slice(),
        "scale in a chain",
    );
}

#[test]
fn gradients_in_test_mode_match_central_differences() {
    let mut n = norm();
    testmode(&mut n);
    let (x, t) = (batch::<3>(4), batch::<3>(5) * 0.3);
    let loss = mse_of(&x, &t);
    let (_, (g, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &t), (model(&n), &x));
    check(
        &n,
        |m| m.scale.as_mut_slice(),
        loss,
        g.scale.as_slice(),
        "scale",
    );
    check(
        &n,
        |m| m.bias.as_mut_slice(),
        loss,
        g.bias.as_slice(),
        "bias",
    );
    check(
        &x,
        |x| x.as_mut_slice(),
        |x| mse(n.forward(x), &t).item(),
        gx.as_slice(),
        "input",
    );
    assert_eq!(
        g.running_mean, n.running_mean,
        "nothing recorded in test mode"
    );
}

#[test]
fn a_traced_forward_pass_records_the_statistics_and_the_update_keeps_them() {
    let n = norm();
    let (x, t) = (batch::<3>(6), batch::<3>(7));
    let g = gradient(|m| mse(m.forward(&x), &t), model(&n));
    assert_eq!(
        n.running_mean,
        norm().running_mean,
        "the model itself is not changed"
    );
    let want: Vec<(f64, f64)> = stats(&x)
        .into_iter()
        .enumerate()
        .map(|(i, (mean, var))| {
            (
                0.9 * n.running_mean.0[i] + 0.1 * mean,
                0.9 * n.running_var.0[i] + 0.1 * var * 6.0 / 5.0,
            )
        })
        .collect();
    for (i, (mean, var)) in want.iter().enumerate() {
        assert!((g.running_mean.0[i] - mean).abs() < 1e-12, "mean {i}");
        assert!((g.running_var.0[i] - var).abs() < 1e-12, "var {i}");
    }

    // `train` takes them into the model; a learning rate of 0 leaves the rest.
    let mut m = n.clone();
    let mut opt = Descent::new(0.0).setup(&m);
    train(&mut m, &mut opt, [(&x, &t)], |m, x, y| mse(m.forward(x), y)).expect("a finite loss");
    assert_eq!(m.running_mean, g.running_mean);
    assert_eq!(m.running_var, g.running_var);
    assert_eq!(m.scale, n.scale);

    // Used twice in one loss, the layer moves twice.
    let g2 = gradient(
        |m| mse(m.forward(&x), &t) + mse(m.forward(&x), &t),
        model(&n),
    );
    let twice = 0.9 * want[0].0 + 0.1 * stats(&x)[0].0;
    assert!((g2.running_mean.0[0] - twice).abs() < 1e-12);
}

#[test]
fn optimisers_never_train_the_running_statistics() {
    let mut n = norm();
    testmode(&mut n); // no recording: only an optimiser could change them
    let (x, t) = (batch::<3>(8), batch::<3>(9));
    let mut opt = AdamW::new(0.1, (0.9, 0.999), 0.5).setup(&n);
    for _ in 0..20 {
        train(&mut n, &mut opt, [(&x, &t)], |m, x, y| mse(m.forward(x), y)).expect("a finite loss");
    }
    assert_eq!(n.running_mean, norm().running_mean);
    assert_eq!(n.running_var, norm().running_var);
    assert_ne!(n.scale, norm().scale, "the parameters did train");
}

#[test]
fn a_model_with_batchnorm_learns_and_its_statistics_follow_the_data() {
    let mut net = Chain((
        Dense::<2, 4, Identity, f64>::new(identity),
        BatchNorm::<4, Identity, f64>::new(relu),
        Dense::<4, 1, Identity, f64>::new(identity),
    ));
    let x = batch::<2>(10);
    let y = Batch::<1, f64>::from_fn((Const, 6), |[_, j]| (x[[0, j]] - x[[1, j]]).tanh());
    let mut opt = typeflux_nn::Adam::new(0.02).setup(&net);
    let mut first = None;
    for _ in 0..300 {
        let l = train(&mut net, &mut opt, [(&x, &y)], |m, x, y| {
            mse(m.forward(x), y)
        })
        .expect("a finite loss");
        first.get_or_insert(l);
    }
    let mut trained = net.clone();
    trainmode(&mut trained);
    let after = mse(trained.forward(&x), &y).item();
    assert!(after < first.unwrap() / 10.0, "{first:?} -> {after}");
    // After many steps on one batch the running mean is that batch's.
    let hidden = net.0.0.forward(&x);
    for (i, (mean, _)) in stats(&hidden).into_iter().enumerate() {
        assert!(
            (net.0.1.running_mean.0[i] - mean).abs() < 1e-2,
            "feature {i}"
        );
    }
}

#[test]
fn running_statistics_are_saved_and_loaded_with_the_weights() {
    let n = norm();
    let bytes = io::to_bytes(&n).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    for name in ["scale", "bias", "running_mean", "running_var"] {
        assert!(
            text.contains(&format!("\"{name}\"")),
            "{name} in the header"
        );
    }
    let mut other: Norm = BatchNorm::new(tanh);
    io::from_bytes(&mut other, &bytes).unwrap();
    assert_eq!(other, n);

    // A file without them is another model's.
    let dense = Dense::<3, 3, Identity, f64>::new(identity);
    let err = io::from_bytes(&mut other, &io::to_bytes(&dense).unwrap()).unwrap_err();
    assert!(
        err.to_string().starts_with("tensor `scale`: missing"),
        "{err}"
    );
}

#[test]
fn the_layer_moves_to_the_stack_and_prints_its_parts() {
    let n = norm();
    let small = n.to_device(&Stack);
    let x = batch::<3>(11);
    assert_eq!(
        small.forward(&x.to_device(&Stack)).to_device(&Cpu),
        n.forward(&x)
    );
    let shown = format!("{:?}", BatchNorm::<2>::new(identity));
    assert!(shown.starts_with("BatchNorm { scale: "), "{shown}");
    assert!(
        shown.contains("running_var: State(Tensor<2>[1.0, 1.0])"),
        "{shown}"
    );
    assert!(
        shown.ends_with("mode: Auto, activation: Identity, eps: 1e-5, momentum: 0.1 }"),
        "{shown}"
    );
}

#[test]
fn a_step_of_descent_trains_the_parameters_of_a_model_with_batchnorm() {
    let mut n = norm();
    let (x, t) = (batch::<3>(12), batch::<3>(13));
    let g = gradient(|m| mse(m.forward(&x), &t), model(&n));
    descend(&mut n, 0.1, |m| mse(m.forward(&x), &t));
    for i in 0..3 {
        assert!((n.scale[i] - (norm().scale[i] - 0.1 * g.scale[i])).abs() < 1e-12);
    }
    assert_eq!(
        n.running_mean,
        norm().running_mean,
        "descend keeps no statistics"
    );
}
