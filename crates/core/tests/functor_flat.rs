//! Walks over every tensor of a model whatever its shape: `fmap_elements`,
//! the flat views `named_tensors` and `destructure`, and the norm and its
//! clipping, against values computed by hand.

use typeflux_core::functor::{
    Functor, NamedTensor, clip_norm, destructure, fmap_elements, named_tensors, norm,
};
use typeflux_core::num_dual::Dual64;
use typeflux_core::{Batch, Const, Matrix, Scalar, Stack, Tensor, Vector};

/// Tensors of several shapes, element types and devices, an absent one, a
/// list, and a number that is not a tensor.
#[derive(Functor, Clone, Debug, PartialEq)]
struct Mixed {
    weight: Matrix<2, 3>,
    bias: Option<Vector<2>>,
    absent: Option<Vector<4>>,
    layers: Vec<Vector<1>>,
    wide: Vector<2, f64>,
    small: Matrix<1, 2, f32, Stack>,
    scale: f32,
}

fn mixed() -> Mixed {
    Mixed {
        weight: Matrix::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
        bias: Some(Vector::from_array([-1.0, 0.5])),
        absent: None,
        layers: vec![Vector::from_array([7.0]), Vector::from_array([-8.0])],
        wide: Vector::from_array([10.0, 20.0]),
        small: Matrix::from_array([[0.25, -0.75]]).to_device(&Stack),
        scale: 3.0,
    }
}

#[test]
fn fmap_elements_reaches_every_tensor_of_its_element_type() {
    let doubled = fmap_elements(|x: f32| 2.0 * x, mixed());
    let m = mixed();
    assert_eq!(doubled.weight, &m.weight * 2.0);
    assert_eq!(doubled.bias.unwrap().to_vec(), vec![-2.0, 1.0]);
    assert_eq!(doubled.absent, None);
    assert_eq!(doubled.layers[0][0], 14.0);
    assert_eq!(doubled.layers[1][0], -16.0);
    assert_eq!(doubled.small.to_vec(), vec![0.5, -1.5]);
    // Other element types, and numbers that are not tensors, stay.
    assert_eq!(doubled.wide, m.wide);
    assert_eq!(doubled.scale, 3.0);

    let wide = fmap_elements(|x: f64| x + 1.0, mixed());
    assert_eq!(wide.wide.to_vec(), vec![11.0, 21.0]);
    assert_eq!(wide.weight, m.weight);
}

#[test]
fn fmap_elements_maps_dual_numbers_and_batches() {
    let x = Vector::<2, Dual64>::from_array([Dual64::new(1.0, 1.0), Dual64::new(2.0, 0.0)]);
    let y = fmap_elements(|v: Dual64| v * v, x);
    assert_eq!((y[0].re, y[0].eps, y[1].re, y[1].eps), (1.0, 2.0, 4.0, 0.0));

    let b = Batch::<2>::from_fn((Const, 3), |[i, j]| (i + 2 * j) as f32);
    let c = fmap_elements(|v: f32| -v, b.clone());
    assert_eq!(c.shape(), (Const::<2>, 3));
    assert_eq!(c, -b);
}

#[test]
fn named_tensors_lists_names_shapes_and_elements_in_walk_order() {
    let list = named_tensors::<f32>(&mixed());
    let names: Vec<&str> = list.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["weight", "bias", "layers.0", "layers.1", "small"]);
    assert_eq!(
        list[0],
        NamedTensor {
            name: "weight".into(),
            shape: vec![2, 3],
            data: vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0], // column by column
        }
    );
    assert_eq!(list[1].shape, [2]);
    assert_eq!(list[4].shape, [1, 2]);

    let wide = named_tensors::<f64>(&mixed());
    assert_eq!(wide.len(), 1);
    assert_eq!(
        (wide[0].name.as_str(), wide[0].data.as_slice()),
        ("wide", &[10.0, 20.0][..])
    );

    let scalar = named_tensors::<f32>(&(Scalar::<f32>::ones(),));
    assert_eq!((scalar[0].name.as_str(), scalar[0].shape.len()), ("0", 0));
    let batch = named_tensors::<f32>(&Batch::<3>::zeros_with((Const, 7)));
    assert_eq!(batch[0].shape, [3, 7]);
}

#[test]
fn destructure_flattens_and_rebuilds() {
    let (flat, rebuild) = destructure::<f32, _>(&mixed());
    assert_eq!(
        flat,
        [
            1.0, 4.0, 2.0, 5.0, 3.0, 6.0, -1.0, 0.5, 7.0, -8.0, 0.25, -0.75
        ]
    );
    assert_eq!(rebuild(&flat), mixed());

    let numbers: Vec<f32> = (0..flat.len()).map(|i| i as f32).collect();
    let m = rebuild(&numbers);
    assert_eq!(m.weight.to_vec(), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert_eq!(m.bias.unwrap().to_vec(), [6.0, 7.0]);
    assert_eq!((m.layers[0][0], m.layers[1][0]), (8.0, 9.0));
    assert_eq!(m.small.to_vec(), [10.0, 11.0]);
    assert_eq!((m.wide, m.scale), (mixed().wide, 3.0));
}

#[test]
#[should_panic(expected = "destructure: the model holds 12 numbers, the slice 11")]
fn destructure_refuses_a_slice_of_another_length() {
    let (flat, rebuild) = destructure::<f32, _>(&mixed());
    let _ = rebuild(&flat[1..]);
}

#[test]
fn norm_is_the_root_of_the_sum_of_all_squares() {
    // f32: 1+4+9+16+25+36, 1+0.25, 49+64, 0.0625+0.5625; f64: 100+400.
    let squares = 91.0 + 1.25 + 113.0 + 0.625 + 500.0;
    assert!((norm(&mixed()) - f64::sqrt(squares)).abs() < 1e-9);
    assert_eq!(norm(&Vec::<Vector<2>>::new()), 0.0);
    assert_eq!(norm(&Vector::<2>::from_array([3.0, 4.0])), 5.0);

    // Dual numbers count their real part.
    let d = Vector::<2, Dual64>::from_array([Dual64::new(3.0, 100.0), Dual64::new(4.0, -7.0)]);
    assert_eq!(norm(&d), 5.0);
}

#[test]
fn clip_norm_scales_down_to_the_bound_and_only_above_it() {
    let mut m = mixed();
    let before = norm(&m);
    assert_eq!(clip_norm(&mut m, 1000.0), before);
    assert_eq!(m, mixed());

    assert_eq!(clip_norm(&mut m, 2.0), before);
    assert!((norm(&m) - 2.0).abs() < 1e-5);
    let k = 2.0 / before;
    assert!((f64::from(m.weight[[1, 2]]) - 6.0 * k).abs() < 1e-6);
    assert!((m.wide[1] - 20.0 * k).abs() < 1e-12);
    assert_eq!(m.scale, 3.0);

    let mut nan = Vector::<2>::from_array([f32::NAN, 1.0]);
    assert!(clip_norm(&mut nan, 1.0).is_nan());
    assert_eq!(nan[1], 1.0);
}

#[test]
fn a_gradient_shaped_like_the_model_has_the_same_names() {
    let model = (Matrix::<2, 2>::ones(), Vector::<2>::ones());
    let grad: (Tensor<(Const<2>, Const<2>)>, Vector<2>) = (Matrix::zeros(), Vector::zeros());
    let names = |list: Vec<NamedTensor<f32>>| list.into_iter().map(|t| t.name).collect::<Vec<_>>();
    assert_eq!(names(named_tensors(&model)), names(named_tensors(&grad)));
}
