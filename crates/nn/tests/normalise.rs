//! `Scale` and `LayerNorm`: values against hand computation, gradients
//! against central differences (f64), training, weight files and devices.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{gradient, model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::{Adam, Rule, io, train};

fn batch<const N: usize>(seed: usize) -> Batch<N, f64> {
    Batch::from_fn((Const, 5), |[i, j]| {
        ((i * 3 + j * 2 + seed) as f64 * 0.7).sin() * 2.0
    })
}

/// The mean squared error of a model on `x` against `y`, as a number.
fn mse_of<'a, M, X, const O: usize>(
    x: &'a X,
    y: &'a Batch<O, f64>,
) -> impl Fn(&M) -> f64 + Copy + 'a
where
    M: Layer<&'a X, Output = Batch<O, f64>>,
{
    move |m| mse(m.forward(x), y).item()
}

fn scale3() -> Scale<3, Tanh, f64> {
    Scale::new(tanh)
        .init(|_| Vector::from_array([0.5, -1.5, 2.0]))
        .bias(Vector::from_array([0.1, 0.0, -0.3]))
}

#[test]
fn scale_multiplies_and_shifts_each_feature() {
    let s = scale3();
    let x = batch::<3>(0);
    let y = s.forward(&x);
    for j in 0..5 {
        for i in 0..3 {
            let want = (s.scale[i] * x[[i, j]] + s.bias.as_ref().unwrap()[i]).tanh();
            assert!((y[[i, j]] - want).abs() < 1e-15);
        }
    }
    let v = Vector::<3, f64>::from_array([1.0, 2.0, 3.0]);
    let plain: Scale<3, Identity, f64> = Scale::new(identity)
        .bias(false)
        .init(|_| Vector::from_array([2.0, 3.0, 4.0]));
    assert_eq!(plain.forward(v).to_vec(), vec![2.0, 6.0, 12.0]);
    assert!(plain.bias.is_none());
}

#[test]
fn scale_gradients_match_central_differences() {
    let s = scale3();
    let (x, t) = (batch::<3>(1), batch::<3>(2));
    let loss = mse_of(&x, &t);
    let (_, (g, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &t), (model(&s), &x));
    check(
        &s,
        |m| m.scale.as_mut_slice(),
        loss,
        g.scale.as_slice(),
        "scale",
    );
    check(
        &s,
        |m| m.bias.as_mut().unwrap().as_mut_slice(),
        loss,
        g.bias.as_ref().unwrap().as_slice(),
        "bias",
    );
    check(
        &x,
        |x| x.as_mut_slice(),
        |x| mse(s.forward(x), &t).item(),
        gx.as_slice(),
        "input",
    );

    // Without a bias, in a chain after a dense layer.
    let net = Chain((
        Dense::<2, 3, Identity, f64>::new(tanh),
        scale3().bias(false),
    ));
    let x = batch::<2>(3);
    let g = gradient(|m| mse(m.forward(&x), &t), model(&net));
    assert!(g.0.1.bias.is_none());
    let loss = mse_of(&x, &t);
    check(
        &net,
        |m| m.0.1.scale.as_mut_slice(),
        loss,
        g.0.1.scale.as_slice(),
        "scale in a chain",
    );
    check(
        &net,
        |m| m.0.0.weight.as_mut_slice(),
        loss,
        g.0.0.weight.as_slice(),
        "dense before it",
    );
}

#[test]
fn scale_learns_an_affine_map() {
    let x = batch::<2>(4);
    let y = Batch::<2, f64>::from_fn((Const, 5), |[i, j]| x[[i, j]] * (i as f64 + 2.0) - 1.0);
    let mut s: Scale<2, Identity, f64> = Scale::new(identity);
    let mut opt = Adam::new(0.05).setup(&s);
    for _ in 0..500 {
        train(&mut s, &mut opt, [(&x, &y)], |m, x, y| mse(m.forward(x), y)).expect("a finite loss");
    }
    assert!(
        (s.scale[0] - 2.0).abs() < 1e-2 && (s.scale[1] - 3.0).abs() < 1e-2,
        "{:?}",
        s.scale
    );
    assert!(
        (s.bias.as_ref().unwrap()[1] + 1.0).abs() < 1e-2,
        "{:?}",
        s.bias
    );
}

#[test]
fn layernorm_brings_each_sample_to_mean_zero_and_variance_one() {
    let norm: LayerNorm<4, Scale<4, Identity, f64>> = LayerNorm::new(identity);
    let x = batch::<4>(5);
    let y = norm.forward(&x);
    for j in 0..5 {
        let col: Vec<f64> = (0..4).map(|i| x[[i, j]]).collect();
        let mean = col.iter().sum::<f64>() / 4.0;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
        for i in 0..4 {
            let want = (col[i] - mean) / (var + 1e-5).sqrt();
            assert!((y[[i, j]] - want).abs() < 1e-12, "{} vs {want}", y[[i, j]]);
        }
    }
    // A vector is one sample.
    let v = x.column(2);
    let yv = norm.forward(&v);
    assert_eq!(yv.shape(), (Const::<4>,));
    for i in 0..4 {
        assert!((yv[i] - y[[i, 2]]).abs() < 1e-12);
    }
    // Scale and shift after normalising.
    let shifted = LayerNorm::<4, _>::from_diag(
        Scale::<4, Identity, f64>::new(identity)
            .init(|_| Vector::full(2.0))
            .bias(Vector::full(1.0)),
    );
    let z = shifted.forward(&x);
    for (z, y) in z.iter().zip(y.iter()) {
        assert!((z - (2.0 * y + 1.0)).abs() < 1e-12);
    }
}

#[test]
fn layernorm_gradients_match_central_differences() {
    let mut norm: LayerNorm<3, Scale<3, Tanh, f64>> = LayerNorm::new(tanh);
    norm.diag = scale3();
    let (x, t) = (batch::<3>(6), batch::<3>(7));
    let loss = mse_of(&x, &t);
    let (_, (g, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &t), (model(&norm), &x));
    check(
        &norm,
        |m| m.diag.scale.as_mut_slice(),
        loss,
        g.diag.scale.as_slice(),
        "scale",
    );
    check(
        &norm,
        |m| m.diag.bias.as_mut().unwrap().as_mut_slice(),
        loss,
        g.diag.bias.as_ref().unwrap().as_slice(),
        "bias",
    );
    check(
        &x,
        |x| x.as_mut_slice(),
        |x| mse(norm.forward(x), &t).item(),
        gx.as_slice(),
        "input",
    );

    // A vector input, no affine part.
    let plain = LayerNorm::<3, _>::from_diag(identity);
    let v = x.column(1);
    let w = Vector::<3, f64>::from_array([0.3, -0.1, 0.2]);
    let gv = gradient(|v| (plain.forward(v) * &w).sum(), &v);
    check(
        &v,
        |v| v.as_mut_slice(),
        |v| (plain.forward(v) * &w).sum(),
        gv.as_slice(),
        "vector input",
    );

    // After a dense layer in a chain: the normalisation's input is a hole.
    let net = Chain((Dense::<2, 3, Identity, f64>::new(identity), norm.clone()));
    let x2 = batch::<2>(8);
    let loss = mse_of(&x2, &t);
    let g = gradient(|m| mse(m.forward(&x2), &t), model(&net));
    check(
        &net,
        |m| m.0.0.weight.as_mut_slice(),
        loss,
        g.0.0.weight.as_slice(),
        "dense before it",
    );
    check(
        &net,
        |m| m.0.1.diag.scale.as_mut_slice(),
        loss,
        g.0.1.diag.scale.as_slice(),
        "scale in a chain",
    );
}

#[test]
fn a_model_with_layernorm_trains_saves_and_moves() {
    let mut net = Chain((
        Dense::<2, 4, Identity, f64>::new(identity),
        LayerNorm::<4, Scale<4, Identity, f64>>::new(tanh),
        Dense::<4, 1, Identity, f64>::new(identity),
    ));
    let x = batch::<2>(9);
    let y = Batch::<1, f64>::from_fn((Const, 5), |[_, j]| (x[[0, j]] - x[[1, j]]).tanh());
    let mut opt = Adam::new(0.02).setup(&net);
    let before = mse(net.forward(&x), &y).item();
    for _ in 0..200 {
        train(&mut net, &mut opt, [(&x, &y)], |m, x, y| {
            mse(m.forward(x), y)
        })
        .expect("a finite loss");
    }
    let after = mse(net.forward(&x), &y).item();
    assert!(after < before / 10.0, "{before} -> {after}");

    let bytes = io::to_bytes(&net).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("1.diag.scale") && text.contains("1.diag.bias"));
    let small = net.to_device(&Stack);
    let v = x.column(0);
    assert_eq!(
        small.forward(&v.to_device(&Stack)).to_device(&Cpu),
        net.forward(&v)
    );
    let shown = format!("{:?}", LayerNorm::<2, Scale<2>>::new(identity));
    assert!(
        shown.starts_with("LayerNorm { diag: Scale { scale: "),
        "{shown}"
    );
    assert!(
        shown.ends_with("activation: Identity }, eps: 1e-5 }"),
        "{shown}"
    );
}
