//! Rank-3 and rank-4 tensors (images and batches of images, Flux's `WHCN`
//! layout): shapes, elementwise operations and reductions over them, and
//! the flatten whose feature count the type checker computes.

use typeflux_core::init::fans;
use typeflux_core::prelude::*;

type Images<const W: usize, const H: usize, const C: usize> =
    Tensor<(Const<W>, Const<H>, Const<C>, usize)>;

#[test]
fn an_image_batch_has_four_axes_and_is_a_matrix_to_the_kernels() {
    let s = (Const::<5>, Const::<4>, Const::<3>, 2);
    assert_eq!(<(Const<5>, Const<4>, Const<3>, usize) as Shape>::RANK, 4);
    assert_eq!(s.axes(), [5, 4, 3, 2]);
    assert_eq!(s.dims(), [60, 2]);
    assert_eq!(s.num_elements(), 120);
    assert_eq!(s.describe().to_string(), "5x4x3x2");
    assert_eq!((Const::<5>, Const::<4>, 3).describe().to_string(), "5x4x3");
    assert_eq!((Const::<2>, Const::<3>).describe().to_string(), "2x3");
    assert_eq!(
        (Const::<64>, Const::<64>, Const::<64>, 1usize << 47).checked_num_elements(),
        None
    );
    assert_eq!(
        <(Const<5>, Const<4>, Const<3>, Const<2>) as ConstShape>::NUM_ELEMENTS,
        120
    );
}

#[test]
fn elementwise_operations_and_reductions_run_on_image_batches() {
    let x = Images::<3, 2, 2>::from_fn((Const, Const, Const, 2), |[i, j]| (i + 12 * j) as f32);
    let y = &x + &x;
    assert_eq!(
        y.to_vec(),
        (0..24).map(|v| 2.0 * v as f32).collect::<Vec<_>>()
    );
    assert_eq!(x.sum(), (0..24).sum::<i32>() as f32);
    assert_eq!((&x * 0.5).to_vec()[23], 11.5);
    assert_eq!((-&x).relu().sum(), 0.0);
    let shifted = x.clone() - 10.0;
    assert_eq!(shifted.abs().to_vec()[0], 10.0);
}

#[test]
#[should_panic(expected = "+: lhs 3x2x2x2, rhs 3x2x2x3: shapes disagree")]
fn batches_of_different_sizes_do_not_add() {
    let a = Images::<3, 2, 2>::zeros_with((Const, Const, Const, 2));
    let b = Images::<3, 2, 2>::zeros_with((Const, Const, Const, 3));
    let _ = a + b;
}

#[test]
fn flatten_features_proves_the_count_and_keeps_the_batch() {
    let x = Images::<4, 3, 2>::from_fn((Const, Const, Const, 5), |[i, j]| (i * 10 + j) as f32);
    let flat: Batch<24> = x.clone().flatten_features();
    assert_eq!(flat.shape(), (Const::<24>, 5));
    assert_eq!(flat.to_vec(), x.to_vec());
    let back: Images<4, 3, 2> = flat.unflatten();
    assert_eq!(back, x);
}

#[test]
fn static_images_reshape_and_flatten_into_vectors() {
    let image = Tensor::<(Const<2>, Const<3>, Const<2>)>::from_fn(Default::default(), |[i, j]| {
        (i + 6 * j) as f32
    });
    let v: Vector<12> = image.clone().flatten();
    assert_eq!(v.to_vec(), image.to_vec());
    let m: Matrix<6, 2> = image.reshape();
    assert_eq!(m[[5, 1]], 11.0);
    let batch = Tensor::<(Const<2>, Const<2>, Const<1>, Const<3>)>::ones();
    let v: Vector<12> = batch.flatten();
    assert_eq!(v.sum(), 12.0);
}

#[test]
fn convolution_weights_have_flux_fans() {
    // Flux's nfan for a (3, 3, 2, 8) kernel: (3·3·2, 3·3·8).
    assert_eq!(
        fans(&(Const::<3>, Const::<3>, Const::<2>, Const::<8>)),
        (18, 72)
    );
    assert_eq!(fans(&(Const::<5>, Const::<2>, Const::<4>)), (10, 20));
    assert_eq!(fans(&(Const::<4>, Const::<3>)), (3, 4));
}

#[test]
fn a_flattened_size_may_reach_the_table_s_end() {
    // 32 · 8 · 8 = 2048, the largest size ToConst names.
    let x = Images::<8, 8, 32>::ones_with((Const, Const, Const, 2));
    let flat: Batch<2048> = x.flatten_features();
    assert_eq!(flat.sum(), 4096.0);
}
