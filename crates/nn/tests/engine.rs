//! The one engine: models, chains, closures and losses differentiated by
//! typeflux-ad's `gradient`, checked against finite differences.

use typeflux_ad::reverse::{gradient, model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;

type Net = Chain<(Dense<3, 4, Tanh, f64>, Dense<4, 2, Identity, f64>)>;

fn net() -> Net {
    let mut w1 = Matrix::<4, 3, f64>::zeros();
    let mut w2 = Matrix::<2, 4, f64>::zeros();
    for (i, w) in w1.iter_mut().enumerate() {
        *w = ((i * 7 % 11) as f64 - 5.0) / 10.0;
    }
    for (i, w) in w2.iter_mut().enumerate() {
        *w = ((i * 5 % 9) as f64 - 4.0) / 8.0;
    }
    Chain((
        Dense::new(tanh)
            .init(|_| w1.clone())
            .bias(Vector::from_array([0.1, -0.2, 0.3, 0.0])),
        Dense::new(identity)
            .init(|_| w2.clone())
            .bias(Vector::from_array([0.05, -0.05])),
    ))
}

fn data() -> (Batch<3, f64>, Batch<2, f64>) {
    let x = Batch::<3, f64>::from_fn((Const, 5), |[i, j]| ((i + 2 * j) as f64).sin());
    let y = Batch::<2, f64>::from_fn((Const, 5), |[i, j]| f64::from(u8::from(i == j % 2)));
    (x, y)
}

/// The central difference of `f` in every element of `t`.
fn numeric<S: Shape>(t: &Tensor<S, f64>, mut f: impl FnMut(&Tensor<S, f64>) -> f64) -> Vec<f64> {
    (0..t.len())
        .map(|i| {
            let h = 1e-6;
            let mut plus = t.clone();
            plus.as_mut_slice()[i] += h;
            let mut minus = t.clone();
            minus.as_mut_slice()[i] -= h;
            (f(&plus) - f(&minus)) / (2.0 * h)
        })
        .collect()
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() < 1e-6 * w.abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
}

#[test]
fn gradient_of_a_chain_through_logitcrossentropy() {
    let (x, y) = data();
    let chain = net();
    let g = gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&chain));
    let loss = |c: &Net| logitcrossentropy(c.forward(&x), &y).item();
    let w1 = numeric(&chain.0.0.weight, |w| {
        let mut c = chain.clone();
        c.0.0.weight = w.clone();
        loss(&c)
    });
    close(g.0.0.weight.as_slice(), &w1);
    let b2 = numeric(chain.0.1.bias.as_ref().unwrap(), |b| {
        let mut c = chain.clone();
        c.0.1.bias = Some(b.clone());
        loss(&c)
    });
    close(g.0.1.bias.as_ref().unwrap().as_slice(), &b2);
}

#[test]
fn gradient_of_model_and_input_together() {
    let (x, y) = data();
    let chain = net();
    let (l, (gm, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &y), (model(&chain), &x));
    assert_eq!(l, mse(chain.forward(&x), &y).item());
    let dx = numeric(&x, |x| mse(chain.forward(x), &y).item());
    close(gx.as_slice(), &dx);
    let w2 = numeric(&chain.0.1.weight, |w| {
        let mut c = chain.clone();
        c.0.1.weight = w.clone();
        mse(c.forward(&x), &y).item()
    });
    close(gm.0.1.weight.as_slice(), &w2);
}

#[test]
fn gradient_of_a_loss_with_a_weight_penalty() {
    let (x, y) = data();
    let chain = net();
    let g = gradient(
        |m| mse(m.forward(&x), &y) + m.0.0.weight.square().sum() * 1e-1,
        model(&chain),
    );
    let w1 = numeric(&chain.0.0.weight, |w| {
        let mut c = chain.clone();
        c.0.0.weight = w.clone();
        mse(c.forward(&x), &y).item() + w.square().sum() * 1e-1
    });
    close(g.0.0.weight.as_slice(), &w1);
}
