//! Forward mode inside reverse mode: a network cast to a jet element
//! computes `u`, `u'` and `u''` with respect to its input exactly, and the
//! parameters of a loss holding them get their gradient from `gradient`.
//! Checked against finite differences and against derivatives written out
//! by hand.

use typeflux_ad::reverse::{gradient, model};
use typeflux_core::Jet;
use typeflux_core::num_dual::{Dual2_64, Dual3_64, Dual64, HyperDual64};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;

type Net = Chain<(
    Dense<1, 5, Tanh, f64>,
    Dense<5, 4, Sigmoid, f64>,
    Dense<4, 1, Identity, f64>,
)>;

fn filled<const R: usize, const C: usize>(seed: usize) -> Matrix<R, C, f64> {
    Matrix::from_fn((Const, Const), |[i, j]| {
        (((i * 7 + j * 3 + seed) % 11) as f64 - 5.0) / 6.0
    })
}

fn net() -> Net {
    Chain((
        Dense::from_parts(filled(1), filled::<5, 1>(2).reshape(), tanh),
        Dense::from_parts(filled(3), filled::<4, 1>(4).reshape(), sigmoid),
        Dense::from_parts(filled(5), Vector::from_array([0.2]), identity),
    ))
}

fn points() -> Batch<1, f64> {
    Batch::from_fn((Const, 7), |[_, j]| j as f64 / 6.0)
}

/// The network's value at `x` as a function of a float.
fn u(net: &Net, x: f64) -> f64 {
    net.forward(Vector::<1, f64>::from_array([x])).to_vec()[0]
}

#[test]
fn a_cast_network_gives_its_derivatives_in_the_input() {
    let net = net();
    let x = points();
    let dual = x.map(|x| Dual2_64::from_re(x).derivative());
    let out = net.cast::<Dual2_64>().forward(&dual);
    let h = 1e-4;
    for (j, &xj) in x.iter().enumerate() {
        let (u0, up, um) = (u(&net, xj), u(&net, xj + h), u(&net, xj - h));
        assert!((out.part(0)[[0, j]] - u0).abs() < 1e-14);
        let d1 = (up - um) / (2.0 * h);
        assert!((out.part(1)[[0, j]] - d1).abs() < 1e-7, "u' at {xj}");
        let d2 = (up - 2.0 * u0 + um) / (h * h);
        assert!((out.part(2)[[0, j]] - d2).abs() < 1e-5, "u'' at {xj}");
    }
}

/// `Σ_j (u''(x_j) + u(x_j))²`, the kind of residual a physics-informed loss
/// holds, computed with plain jets for finite differences.
fn residual(net: &Net, x: &Batch<1, Dual2_64>) -> f64 {
    let out = net.cast::<Dual2_64>().forward(x);
    (&out.part(2) + &out.part(0)).square().sum()
}

#[test]
fn the_gradient_of_a_loss_on_second_derivatives_matches_finite_differences() {
    let net = net();
    let x = points().map(|x| Dual2_64::from_re(x).derivative());
    let g = gradient(
        |m| {
            let out = m.cast::<Dual2_64>().forward(&x);
            // The value and the second derivative both read from one output.
            let both = out.clone().part(2) + out.part(0);
            both.sum_squares()
        },
        model(&net),
    );
    let h = 1e-6;
    let check = |got: &[f64], perturbed: &dyn Fn(usize, f64) -> Net| {
        for (i, &gi) in got.iter().enumerate() {
            let want =
                (residual(&perturbed(i, h), &x) - residual(&perturbed(i, -h), &x)) / (2.0 * h);
            assert!(
                (gi - want).abs() < 1e-6 * want.abs().max(1.0),
                "{i}: {gi} vs {want}"
            );
        }
    };
    check(g.0.0.weight.as_slice(), &|i, h| {
        let mut n = net.clone();
        n.0.0.weight.as_mut_slice()[i] += h;
        n
    });
    check(g.0.1.bias.as_ref().unwrap().as_slice(), &|i, h| {
        let mut n = net.clone();
        n.0.1.bias.as_mut().unwrap().as_mut_slice()[i] += h;
        n
    });
    check(g.0.2.weight.as_slice(), &|i, h| {
        let mut n = net.clone();
        n.0.2.weight.as_mut_slice()[i] += h;
        n
    });
}

/// For `u(x) = w·f(x)` with `f` fixed, `∂/∂w Σ part_k(u)` is `Σ f⁽ᵏ⁾(x)`:
/// each jet's pairing, checked on every part through the same rules.
fn parts_of<J: Jet<Base = f64>>(seed: impl Fn(f64) -> J, derivs: impl Fn(f64, usize) -> f64) {
    let x: Vector<3, f64> = Tensor::from_array([0.3, -0.8, 1.4]);
    let f = x.map(|x| seed(x).sin() * seed(x).exp());
    let w: Vector<3, f64> = Tensor::from_array([1.0, 1.0, 1.0]);
    for k in 0..J::PARTS {
        let g = gradient(|w| (w.cast::<J>() * &f).part(k).sum(), &w);
        for (i, &xi) in x.iter().enumerate() {
            let want = derivs(xi, k);
            assert!(
                (g[i] - want).abs() < 1e-12,
                "part {k} at {xi}: {} vs {want}",
                g[i]
            );
        }
    }
}

#[test]
fn every_jet_pairs_its_parts_with_their_cotangents() {
    // d^k/dx^k (sin x · eˣ) = 2^(k/2) eˣ sin(x + kπ/4).
    let deriv = |x: f64, k: usize| {
        let k = k as f64;
        2f64.powf(k / 2.0) * x.exp() * (x + k * std::f64::consts::FRAC_PI_4).sin()
    };
    parts_of(|x| Dual64::from_re(x).derivative(), deriv);
    parts_of(|x| Dual2_64::from_re(x).derivative(), deriv);
    parts_of(|x| Dual3_64::from_re(x).derivative(), deriv);
    // A hyper-dual seeded in both directions: parts 1 and 2 are first
    // derivatives, part 3 the second.
    parts_of(
        |x| HyperDual64::from_re(x).derivative1().derivative2(),
        |x, k| deriv(x, [0, 1, 1, 2][k]),
    );
}

#[test]
fn a_cast_leaves_the_model_and_its_gradient_of_f64() {
    let net = net();
    let x = points().map(|x| Dual2_64::from_re(x).derivative());
    let g: Net = gradient(
        |m| m.cast::<Dual2_64>().forward(&x).part(1).sum(),
        model(&net),
    );
    // Σ u'(x_j) is linear in the last layer's bias: its gradient is zero.
    assert_eq!(g.0.2.bias.unwrap().to_vec()[0], 0.0);
}
