//! Feeds any bytes to the weight-file loader: it must return an error or
//! load them, never panic, and a failed load must leave the model exactly
//! as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use typeflux_core::prelude::*;
use typeflux_nn::io;
use typeflux_nn::prelude::*;

type Model = Chain<(Dense<3, 2, Relu>, Dense<2, 1, Identity>)>;

/// A small model with distinct values, the second layer without a bias.
fn model() -> Model {
    let mut first: Dense<3, 2, Relu> = Dense::new(relu);
    first.weight = Matrix::from_fn((Const, Const), |[i, j]| (10 * i + j) as f32);
    first.bias = Some(Vector::from_array([0.5, -0.5]));
    let mut second: Dense<2, 1, Identity> = Dense::new(identity).bias(false);
    second.weight = Matrix::from_array([[7.0, 8.0]]);
    Chain((first, second))
}

/// Every element's bits, so that a NaN compares equal to itself.
fn bits(m: &Model) -> Vec<u32> {
    let Chain((a, b)) = m;
    let mut all = a.weight.to_vec();
    all.extend(a.bias.as_ref().map(Tensor::to_vec).unwrap_or_default());
    all.extend(b.weight.to_vec());
    all.into_iter().map(f32::to_bits).collect()
}

fuzz_target!(|bytes: &[u8]| {
    let mut m = model();
    let before = bits(&m);
    if io::from_bytes(&mut m, bytes).is_err() {
        assert_eq!(bits(&m), before, "a failed load changed the model");
    }
});
