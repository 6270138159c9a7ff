//! The `Stack` device: every tensor operation gives the `Cpu`'s result, its
//! static tensors are exactly their elements in size, and a run-time axis
//! falls back to the `Cpu`'s buffer.

use core::mem::size_of;
use rand::SeedableRng;
use rand::rngs::StdRng;
use typeflux_core::UnaryOp;
use typeflux_core::cpu::{ArrayBuffer, CpuBuffer, HostBuffer};
use typeflux_core::prelude::*;

fn on_stack<S: Shape, E: Element>(t: &Tensor<S, E>) -> Tensor<S, E, Stack> {
    t.to_device(&Stack)
}

/// The same shape and the same elements, bit for bit: both devices run the
/// same kernels.
#[track_caller]
fn same<S: Shape>(stack: &Tensor<S, f32, Stack>, cpu: &Tensor<S, f32>) {
    assert_eq!(stack.shape(), cpu.shape());
    assert_eq!(stack.as_slice(), cpu.as_slice(), "Stack against Cpu");
}

#[test]
fn static_tensors_are_exactly_their_elements() {
    assert_eq!(size_of::<Scalar<f32, Stack>>(), 4);
    assert_eq!(size_of::<Vector<10, f32, Stack>>(), 40);
    assert_eq!(size_of::<Matrix<5, 10, f32, Stack>>(), 200);
    assert_eq!(size_of::<Matrix<3, 2, f64, Stack>>(), 48);
    // A batch keeps the Cpu's buffer, and its run-time size.
    assert_eq!(
        size_of::<Batch<10, f32, Stack>>(),
        size_of::<CpuBuffer<f32>>() + size_of::<usize>()
    );
    let on_cpu = size_of::<Vector<10, f32>>();
    assert!(on_cpu > 200, "the Cpu keeps 64 f32 inline: {on_cpu} bytes");
}

#[test]
fn elementwise_operations_and_reductions_match_the_cpu() {
    let mut rng = StdRng::seed_from_u64(7);
    let a = Matrix::<3, 4>::randn(&mut rng);
    let b = Matrix::<3, 4>::rand(&mut rng) + 0.5;
    let (sa, sb) = (on_stack(&a), on_stack(&b));

    same(&(&sa + &sb), &(&a + &b));
    same(&(&sa - &sb), &(&a - &b));
    same(&(&sa * &sb), &(&a * &b));
    same(&(&sa / &sb), &(&a / &b));
    same(&(sa.clone() * 3.0), &(a.clone() * 3.0));
    same(&(sa.clone() - 1.5), &(a.clone() - 1.5));
    same(&-sa.clone(), &-a.clone());
    same(&sa.exp(), &a.exp());
    same(&sb.ln(), &b.ln());
    same(&sb.sqrt(), &b.sqrt());
    same(&sa.tanh(), &a.tanh());
    same(&sa.abs(), &a.abs());
    same(&sa.square(), &a.square());

    let (mut sc, mut c) = (sa.clone(), a.clone());
    sc += &sb;
    c += &b;
    sc *= 0.25;
    c *= 0.25;
    sc.axpy(-2.0, &sb);
    c.axpy(-2.0, &b);
    same(&sc, &c);

    assert_eq!(sa.sum(), a.sum());
    assert_eq!(sa.sum_of(UnaryOp::Square), a.sum_of(UnaryOp::Square));
    assert_eq!(sa.mean(), a.mean());
    assert_eq!(sa.max(), a.max());
    same(&sa.sum_along::<0>(), &a.sum_along::<0>());
    same(&sa.sum_along::<1>(), &a.sum_along::<1>());
    same(&sa.max_along::<0>(), &a.max_along::<0>());
    same(&sa.max_along::<1>(), &a.max_along::<1>());
    same(&sa.map(|x| x * x + 1.0), &a.map(|x| x * x + 1.0));
    same(&sa.zip_map(&sb, f32::max), &a.zip_map(&b, f32::max));
}

#[test]
fn products_shapes_and_broadcasts_match_the_cpu() {
    let mut rng = StdRng::seed_from_u64(8);
    let w = Matrix::<5, 10>::randn(&mut rng);
    let m = Matrix::<10, 3>::randn(&mut rng);
    let x = Vector::<10>::randn(&mut rng);
    let y = Vector::<5>::randn(&mut rng);
    let (sw, sm, sx, sy) = (on_stack(&w), on_stack(&m), on_stack(&x), on_stack(&y));

    same(&sw.matmul(&sx), &w.matmul(&x));
    same(&sw.matmul(&sm), &w.matmul(&m));
    same(
        &sw.t_matmul(&on_stack(&y.clone().into_batch())),
        &w.t_matmul(&y.clone().into_batch()),
    );
    same(&sw.matmul_t(&sw), &w.matmul_t(&w));
    same(&sy.outer(&sx), &y.outer(&x));
    same(&sy.vecmat(&sw), &y.vecmat(&w));
    assert_eq!(sx.dot(&sx), x.dot(&x));
    same(&sw.transpose(), &w.transpose());

    // Reshapes copy into the other shape's array; the elements stay in order.
    let flat: Vector<50, f32, Stack> = sw.clone().flatten();
    same(&flat, &w.clone().flatten());
    let back: Matrix<10, 5, f32, Stack> = flat.reshape();
    same(&back, &w.clone().flatten::<50>().reshape());
    let joined: Vector<15, f32, Stack> = sx.concat(&sy);
    same(&joined, &x.concat(&y));
    let rows: Matrix<15, 3, f32, Stack> = sm.concat(&on_stack(&Matrix::<5, 3>::ones()));
    same(&rows, &m.concat(&Matrix::<5, 3>::ones()));

    // A bias broadcast over columns, static and run-time.
    same(&(&sw.t() + &sx), &(&w.t() + &x));
    let batch = Batch::<10>::randn_with((Const, 7), &mut rng);
    let sbatch = on_stack(&batch);
    same(&(&sbatch + &sx), &(&batch + &x));
    same(&sw.matmul(&sbatch), &w.matmul(&batch));
    same(&sbatch.sum_along::<1>(), &batch.sum_along::<1>());
    same(&sx.clone().into_batch(), &x.clone().into_batch());
    same(&sm.clone().into_batch(), &m.clone().into_batch());
    same(&sbatch.column(3), &batch.column(3));
}

#[test]
fn element_access_and_conversions() {
    let m = Matrix::<2, 3>::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let mut s = m.to_device(&Stack);
    assert_eq!(s[[1, 2]], 6.0);
    s[[0, 1]] = -2.0;
    assert_eq!(s.get([0, 1]), Some(&-2.0));
    assert_eq!(s.get([2, 0]), None);
    assert_eq!(s.columns().nth(1), Some(&[-2.0, 5.0][..]));
    assert_eq!(s.to_vec(), vec![1.0, 4.0, -2.0, 5.0, 3.0, 6.0]);
    assert_eq!(s.to_device(&Cpu).to_vec(), s.to_vec());
    assert_eq!(format!("{s}"), "[1 -2 3;\n 4 5 6]");
    let t = Scalar::<f64>::scalar(2.5).to_device(&Stack);
    assert_eq!(t.item(), 2.5);
    assert_eq!(
        Tensor::full_on((Const::<3>,), 1.5f32, &Stack).to_vec(),
        vec![1.5; 3]
    );
}

#[test]
fn constructors_build_on_the_stack_when_the_type_says_so() {
    assert_eq!(Vector::<3, f32, Stack>::zeros().to_vec(), vec![0.0; 3]);
    assert_eq!(Matrix::<2, 2, f64, Stack>::full(1.5).to_vec(), vec![1.5; 4]);
    let from_fn =
        Matrix::<2, 3, f32, Stack>::from_fn(Default::default(), |[r, c]| (r * 10 + c) as f32);
    same(
        &from_fn,
        &Matrix::from_fn(Default::default(), |[r, c]| (r * 10 + c) as f32),
    );
    let seeded = |seed| StdRng::seed_from_u64(seed);
    same(
        &Matrix::<4, 3, f32, Stack>::randn(&mut seeded(3)),
        &Matrix::randn(&mut seeded(3)),
    );
    same(
        &Matrix::<4, 3, f32, Stack>::glorot_uniform(&mut seeded(4)),
        &Matrix::glorot_uniform(&mut seeded(4)),
    );
    let err = Vector::<3, f32, Stack>::try_from_slice(&[1.0; 2]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "try_from_slice: expected 3 elements for shape 3, found 2 elements"
    );
    // A batch on the Stack keeps its run-time size.
    let batch = Batch::<2, f32, Stack>::ones_with((Const, 5));
    assert_eq!((batch.shape(), batch.sum()), ((Const, 5), 10.0));
    assert!(Batch::<2, f32, Stack>::from_vec((Const, 2), vec![0.0; 3]).is_err());
}

#[test]
fn containers_move_with_their_tensors() {
    let layers = vec![Vector::<2>::ones(), Vector::<2>::zeros()];
    let moved: Vec<Vector<2, f32, Stack>> = layers.to_device(&Stack);
    assert_eq!(moved[0].to_vec(), vec![1.0, 1.0]);
    let array: [Vector<2, f32, Stack>; 2] =
        [Vector::<2>::ones(), Vector::<2>::zeros()].to_device(&Stack);
    assert_eq!(array[1].to_vec(), vec![0.0, 0.0]);
    let boxed: Box<Vector<2, f32, Stack>> = Box::new(Vector::<2>::ones()).to_device(&Stack);
    type Nested = (Option<Vector<2, f32, Stack>>, Vec<Scalar<f32, Stack>>);
    let nested: Nested = (Some(Vector::<2>::ones()), vec![Scalar::scalar(3.0)]).to_device(&Stack);
    assert_eq!((boxed.sum(), nested.1[0].item()), (2.0, 3.0));
}

#[test]
fn array_buffers_check_their_length() {
    let b = ArrayBuffer::<f32, 2, 2>::from_exact_iter((0..4).map(|i| i as f32));
    assert_eq!(&b[..], &[0.0, 1.0, 2.0, 3.0]);
    assert_eq!(b.into_columns(), [[0.0, 1.0], [2.0, 3.0]]);
    assert!(!b.is_shared());
    let wrong = std::panic::catch_unwind(|| ArrayBuffer::<f32, 2, 2>::from_slice(&[1.0; 3]));
    let message = wrong.unwrap_err();
    let message = message.downcast_ref::<String>().unwrap();
    assert_eq!(message, "a buffer of 2x2 elements cannot hold 3");
}
