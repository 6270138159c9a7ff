//! Whole models converted between `f32` and `f64` (Flux's `f32(m)`,
//! `f64(m)`): the types change with the numbers, and the converted model
//! computes what the original does, to the precision of the narrower type.

use typeflux_core::functor::{Functor, named_tensors};
use typeflux_core::prelude::*;
use typeflux_core::{Host, to_f32, to_f64};
use typeflux_nn::prelude::*;
use typeflux_nn::{BatchNorm, Chain, Dropout};

/// The first test's model in double precision.
type Wide = Chain<(
    Dense<3, 4, Tanh, f64>,
    Relu,
    Dense<4, 2, Identity, f64>,
    Softmax,
)>;

/// The third test's model in double precision.
type WideNorms = Chain<(
    Dense<3, 4, Identity, f64>,
    BatchNorm<4, Relu, f64>,
    LayerNorm<4, Scale<4, Identity, f64>>,
    Dropout,
)>;

#[test]
fn a_chain_of_dense_layers_changes_type_and_keeps_its_function() {
    typeflux_nn::init::seed(7);
    let m32 = Chain((
        Dense::<3, 4>::new(tanh),
        relu,
        Dense::<4, 2>::new(identity),
        softmax,
    ));
    // The type names f64: this line does not compile if the conversion
    // leaves any element type behind.
    let m64: Wide = to_f64(&m32);
    for (a, b) in named_tensors::<f32>(&m32)
        .iter()
        .zip(named_tensors::<f64>(&m64))
    {
        assert_eq!(a.name, b.name);
        assert_eq!(a.shape, b.shape);
        let widened: Vec<f64> = a.data.iter().map(|&x| f64::from(x)).collect();
        assert_eq!(widened, b.data, "{}", a.name);
    }
    let x32 = Batch::<3>::from_fn((Const, 5), |[i, j]| (i as f32 - j as f32) / 4.0);
    let x64 = to_f64(&x32);
    let y32 = m32.forward(&x32);
    let y64 = m64.forward(&x64);
    for (a, b) in y32.iter().zip(y64.iter()) {
        assert!((f64::from(*a) - b).abs() < 1e-6, "{a} vs {b}");
    }
    // And back: f32 → f64 → f32 is exact.
    let back: Chain<(Dense<3, 4, Tanh>, Relu, Dense<4, 2>, Softmax)> = to_f32(&m64);
    assert_eq!(back.0.0.weight, m32.0.0.weight);
    assert_eq!(back.0.2.bias, m32.0.2.bias);
}

#[test]
fn narrowing_rounds_to_the_nearest_f32() {
    let w = Matrix::<1, 2, f64>::from_array([[0.1, 1.0 + 1e-12]]);
    let d = Dense::<2, 1, Identity, f64>::from_parts(w, None, identity);
    let narrow: Dense<2, 1> = to_f32(&d);
    assert_eq!(narrow.weight.to_vec(), [0.1f32, 1.0]);
    assert!(narrow.bias.is_none());
}

#[test]
fn normalisation_layers_and_their_state_convert_too() {
    let m = Chain((
        Dense::<3, 4>::new(identity),
        BatchNorm::<4>::new(relu),
        LayerNorm::<4>::new(identity),
        Dropout::new(0.5),
    ));
    let wide: WideNorms = to_f64(&m);
    assert_eq!(wide.0.1.running_var.0.to_vec(), [1.0; 4]);
    assert_eq!(wide.0.3.p, 0.5);
}

/// The seed's `Affine`, generic over its element type: the derive writes
/// the conversion.
#[derive(Clone, Functor)]
struct Affine<E: Element = f32, D: Host = Cpu> {
    w: Matrix<2, 3, E, D>,
    b: Vector<2, E, D>,
}

#[test]
fn a_derived_struct_converts_its_element_parameter() {
    let a = Affine::<f32> {
        w: Matrix::from_array([[1.5, 2.0, -0.25], [0.5, 0.125, 3.0]]),
        b: Vector::from_array([0.75, -1.0]),
    };
    let wide: Affine<f64> = to_f64(&a);
    assert_eq!(wide.w[[0, 2]], -0.25);
    assert_eq!(wide.b.to_vec(), [0.75, -1.0]);
}
