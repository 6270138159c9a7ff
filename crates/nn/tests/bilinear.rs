//! `Bilinear`: values against the bilinear form written out, gradients
//! against central differences (f64), training, weight files and devices.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_nn::prelude::*;
use typeflux_nn::{Adam, Rule, io, train};

type B = Bilinear<2, 3, 2, 6, Tanh, f64>;

fn layer() -> B {
    let b: B = Bilinear::new(tanh);
    b.init(|_| {
        Matrix::from_fn((Const, Const), |[k, m]| {
            (((k * 7 + m * 3) % 5) as f64 - 2.0) / 3.0
        })
    })
    .bias(Vector::from_array([0.1, -0.2]))
}

fn batch<const N: usize>(seed: usize) -> Batch<N, f64> {
    Batch::from_fn((Const, 4), |[i, j]| {
        ((i * 3 + j * 2 + seed) as f64 * 0.6).sin()
    })
}

#[test]
fn the_output_is_the_bilinear_form_of_the_two_inputs() {
    let b = layer();
    let (x, z) = (batch::<2>(0), batch::<3>(1));
    let y = b.forward((&x, &z));
    for c in 0..4 {
        for k in 0..2 {
            let mut form = b.bias.as_ref().unwrap()[k];
            for i in 0..2 {
                for j in 0..3 {
                    form += x[[i, c]] * b.weight[[k, i + 2 * j]] * z[[j, c]];
                }
            }
            assert!((y[[k, c]] - form.tanh()).abs() < 1e-12, "[{k}, {c}]");
        }
    }
    let (xv, zv) = (x.column(1), z.column(1));
    let yv = b.forward((xv, zv));
    assert_eq!(yv.to_vec(), y.column(1).to_vec());
}

#[test]
fn gradients_match_central_differences() {
    let b = layer();
    let (x, z, t) = (batch::<2>(2), batch::<3>(3), batch::<2>(4));
    let (_, (g, gx, gz)) =
        value_and_gradient(|(m, x, z)| mse(m.forward((x, z)), &t), (model(&b), &x, &z));
    let loss = |m: &B| mse(m.forward((&x, &z)), &t).item();
    check(
        &b,
        |m| m.weight.as_mut_slice(),
        loss,
        g.weight.as_slice(),
        "weight",
    );
    check(
        &b,
        |m| m.bias.as_mut().unwrap().as_mut_slice(),
        loss,
        g.bias.as_ref().unwrap().as_slice(),
        "bias",
    );
    check(
        &x,
        |x| x.as_mut_slice(),
        |x| mse(b.forward((x, &z)), &t).item(),
        gx.as_slice(),
        "x",
    );
    check(
        &z,
        |z| z.as_mut_slice(),
        |z| mse(b.forward((&x, z)), &t).item(),
        gz.as_slice(),
        "z",
    );
}

#[test]
fn it_learns_a_bilinear_map_saves_and_moves() {
    let (x, z) = (batch::<2>(5), batch::<3>(6));
    let target = layer();
    let y = target.forward((&x, &z));
    let mut b: B = Bilinear::new(tanh);
    let mut opt = Adam::new(0.05).setup(&b);
    let before = mse(b.forward((&x, &z)), &y).item();
    for _ in 0..300 {
        train(&mut b, &mut opt, [((&x, &z), &y)], |m, xz, y| {
            mse(m.forward(xz), y)
        })
        .expect("a finite loss");
    }
    let after = mse(b.forward((&x, &z)), &y).item();
    assert!(after < before / 100.0, "{before} -> {after}");

    let bytes = io::to_bytes(&b).unwrap();
    let mut other: B = Bilinear::new(tanh);
    io::from_bytes(&mut other, &bytes).unwrap();
    assert_eq!(other.weight, b.weight);
    let small = b.to_device(&Stack);
    let (xv, zv) = (x.column(0), z.column(0));
    assert_eq!(
        small
            .forward((&xv.to_device(&Stack), &zv.to_device(&Stack)))
            .to_device(&Cpu),
        b.forward((&xv, &zv))
    );
    assert!(format!("{b:?}").starts_with("Bilinear { weight: "));
}
