//! Reverse mode over tensors on the `Stack` device: the same gradients as on
//! the `Cpu`, and as the closed form.

use typeflux_ad::reverse::{gradient, value_and_gradient};
use typeflux_core::prelude::*;

#[test]
fn a_two_layer_network_differentiates_on_the_stack() {
    let w1 =
        Matrix::<4, 3, f64>::from_fn(Default::default(), |[r, c]| 0.3 * r as f64 - 0.2 * c as f64);
    let b1 = Vector::<4, f64>::from_array([0.1, -0.2, 0.3, 0.0]);
    let w2 = Matrix::<2, 4, f64>::from_fn(Default::default(), |[r, c]| {
        0.1 + 0.4 * r as f64 - 0.3 * c as f64
    });
    let x = Vector::<3, f64>::from_array([1.0, -2.0, 0.5]);
    let (loss, (dw1, db1, dw2)) = value_and_gradient(
        |(w1, b1, w2)| {
            let h = (w1.matmul(&x) + b1).tanh();
            w2.matmul(h).square().sum()
        },
        (&w1, &b1, &w2),
    );

    let xs = x.to_device(&Stack);
    let (loss_s, (dw1_s, db1_s, dw2_s)) = value_and_gradient(
        |(w1, b1, w2)| {
            let h = (w1.matmul(&xs) + b1).tanh();
            w2.matmul(h).square().sum()
        },
        (
            &w1.to_device(&Stack),
            &b1.to_device(&Stack),
            &w2.to_device(&Stack),
        ),
    );
    assert_eq!(loss_s, loss);
    assert_eq!(dw1_s.to_vec(), dw1.to_vec());
    assert_eq!(db1_s.to_vec(), db1.to_vec());
    assert_eq!(dw2_s.to_vec(), dw2.to_vec());

    // The closed form: with z = W₁x + b₁, h = tanh z, y = W₂h,
    // ∂L/∂b₁ = (1 - h²) ⊙ W₂ᵀ(2y).
    let h = (w1.matmul(&x) + &b1).tanh();
    let y = w2.matmul(&h);
    let dh = w2.t_matmul(&(y * 2.0).into_batch());
    let expected: Vec<f64> = (0..4).map(|i| (1.0 - h[i] * h[i]) * dh[[i, 0]]).collect();
    for (a, e) in db1_s.to_vec().iter().zip(&expected) {
        assert!((a - e).abs() < 1e-12, "{a} vs {e}");
    }

    // A plain function of one Stack vector.
    let v = Vector::<5, f64>::from_array([1.0, 2.0, -1.0, 0.5, 3.0]).to_device(&Stack);
    let g = gradient(|v| (v.clone() * v.exp()).sum(), &v);
    for (g, v) in g.iter().zip(v.iter()) {
        assert!((g - (1.0 + v) * v.exp()).abs() < 1e-12);
    }
}
