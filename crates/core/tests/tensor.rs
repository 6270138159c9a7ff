//! Constructors, indexing, iteration, printing and the errors and panics of data
//! that does not fit its shape.

use std::panic::{AssertUnwindSafe, catch_unwind};
use typeflux_core::prelude::*;

/// The message a closure panics with; fails the test if it does not panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|s| s.to_string())
            .expect("panic payload is a string"),
    }
}

mod constructors {
    use super::*;

    #[test]
    fn zeros_ones_full_scalar() {
        assert_eq!(Matrix::<2, 3>::zeros().to_vec(), vec![0.0; 6]);
        assert_eq!(Vector::<4, f64>::ones().to_vec(), vec![1.0; 4]);
        assert_eq!(Matrix::<3, 1>::full(2.5).to_vec(), vec![2.5; 3]);
        let s = Scalar::scalar(7.0f32);
        assert_eq!(s.to_vec(), vec![7.0]);
        assert_eq!(s.shape(), ());
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn runtime_dims_take_their_size_from_the_shape() {
        let b = Batch::<3>::zeros_with((Const, 5));
        assert_eq!(b.shape(), (Const::<3>, 5));
        assert_eq!(b.len(), 15);
        let o = Tensor::<(usize, usize), f64>::ones_with((2, 4));
        assert_eq!(o.shape(), (2, 4));
        assert_eq!(o.to_vec(), vec![1.0; 8]);
        let f = Tensor::<(usize,)>::full_with((3,), -1.0);
        assert_eq!(f.to_vec(), vec![-1.0; 3]);
    }

    #[test]
    fn an_empty_batch_is_empty() {
        let b = Batch::<4>::zeros_with((Const, 0));
        assert!(b.is_empty());
        assert_eq!(b.len(), 0);
        assert!(!Vector::<1>::zeros().is_empty());
    }

    #[test]
    fn from_array_reads_rows_and_stores_columns() {
        let m = Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_eq!(m.shape(), (Const::<2>, Const::<3>));
        assert_eq!(m.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(m[[0, 2]], 3.0);
        assert_eq!(m[[1, 0]], 4.0);
        let v: Vector<3, f64> = Tensor::from_array([1.0, 2.0, 3.0]);
        assert_eq!(v.as_slice(), &[1.0, 2.0, 3.0]);
    }

    #[test]
    fn from_arrays_via_into() {
        let v: Vector<2> = [3.0, 4.0].into();
        assert_eq!(v.to_vec(), vec![3.0, 4.0]);
        let m: Matrix<1, 2> = [[3.0, 4.0]].into();
        assert_eq!(m.to_vec(), vec![3.0, 4.0]);
    }

    #[test]
    fn from_slice_and_from_vec_are_column_major() {
        let x = Batch::<2>::from_slice((Const, 3), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        assert_eq!(x[[0, 0]], 1.0);
        assert_eq!(x[[1, 0]], 2.0);
        assert_eq!(x[[0, 2]], 5.0);
        let y =
            Tensor::<(usize, usize)>::from_vec((3, 2), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        assert_eq!(y[[2, 0]], 3.0);
        assert_eq!(y[[0, 1]], 4.0);
        let z = Matrix::<2, 2>::try_from_slice(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(z[[0, 1]], 3.0);
    }

    #[test]
    fn from_fn_gets_row_and_column() {
        let m = Tensor::<(usize, usize), f64>::from_fn((2, 3), |[r, c]| (10 * r + c) as f64);
        assert_eq!(m.to_vec(), vec![0.0, 10.0, 1.0, 11.0, 2.0, 12.0]);
        let v = Vector::<3>::from_fn((Const,), |[i, j]| {
            assert_eq!(j, 0);
            i as f32
        });
        assert_eq!(v.to_vec(), vec![0.0, 1.0, 2.0]);
        let s = Scalar::<f64>::from_fn((), |ij| {
            assert_eq!(ij, [0, 0]);
            9.0
        });
        assert_eq!(s.to_vec(), vec![9.0]);
    }

    #[test]
    fn full_like_and_zeros_like_keep_the_runtime_shape() {
        let x = Batch::<2>::ones_with((Const, 7));
        let z = x.zeros_like();
        assert_eq!(z.shape(), (Const::<2>, 7));
        assert_eq!(z.to_vec(), vec![0.0; 14]);
        assert_eq!(x.full_like(3.0).sum(), 42.0);
    }

    #[test]
    fn to_device_on_the_cpu_is_a_copy() {
        let x = Tensor::from_array([1.0, 2.0]);
        let y = x.to_device(&Cpu);
        assert_eq!(x, y);
        assert_eq!(y.device(), &Cpu);
    }

    #[test]
    fn try_with_shape_changes_runtime_dims_only_when_the_count_fits() {
        let x = Tensor::<(usize, usize)>::from_fn((2, 6), |[r, c]| (r + 2 * c) as f32);
        let y = x.clone().try_with_shape((3, 4)).unwrap();
        assert_eq!(y.shape(), (3, 4));
        assert_eq!(y.to_vec(), x.to_vec());
    }

    #[test]
    fn into_batch_forgets_the_static_column_count() {
        let m = Matrix::<2, 3>::from_fn(Default::default(), |[r, c]| (r * 3 + c) as f32);
        let b: Batch<2> = m.clone().into_batch();
        assert_eq!(b.shape(), (Const::<2>, 3));
        assert_eq!(b.to_vec(), m.to_vec());
        let v: Batch<3> = Tensor::from_array([1.0, 2.0, 3.0]).into_batch();
        assert_eq!(v.shape(), (Const::<3>, 1));
    }
}

mod indexing {
    use super::*;

    #[test]
    fn matrix_index_is_row_then_column() {
        let mut m = Matrix::<2, 3, f64>::zeros();
        m[[1, 2]] = 5.0;
        assert_eq!(m.to_vec(), vec![0.0, 0.0, 0.0, 0.0, 0.0, 5.0]);
        m[[0, 1]] += 1.0;
        assert_eq!(m[[0, 1]], 1.0);
        assert_eq!(m.as_slice()[2], 1.0);
    }

    #[test]
    fn vector_index() {
        let mut v = Tensor::from_array([1.0, 2.0, 3.0]);
        v[1] = 20.0;
        assert_eq!(v[0] + v[1] + v[2], 24.0);
    }

    #[test]
    fn get_is_none_outside() {
        let m = Tensor::from_array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_eq!(m.get([2, 1]), Some(&6.0));
        assert_eq!(m.get([3, 0]), None);
        assert_eq!(m.get([0, 2]), None);
        let v = Tensor::from_array([7.0, 8.0]);
        assert_eq!(v.get([1, 0]), Some(&8.0));
        assert_eq!(v.get([1, 1]), None);
    }

    #[test]
    fn out_of_bounds_index_names_index_and_shape() {
        let m = Batch::<2>::zeros_with((Const, 3));
        assert_eq!(
            panic_message(|| {
                let _ = m[[2, 0]];
            }),
            "index [2, 0] out of bounds for shape 2x3"
        );
        // Row 0 of column 3 would be inside the buffer's length, were the
        // column not checked.
        let mut m = Matrix::<4, 3>::zeros();
        assert_eq!(
            panic_message(|| m[[0, 3]] = 1.0),
            "index [0, 3] out of bounds for shape 4x3"
        );
    }

    #[test]
    fn column_out_of_bounds_names_shape() {
        let m = Tensor::<(usize, usize)>::zeros_with((2, 3));
        assert_eq!(
            panic_message(|| {
                let _ = m.column(3);
            }),
            "column 3 out of bounds for shape 2x3"
        );
    }

    #[test]
    fn vector_index_out_of_bounds_panics() {
        let v = Vector::<3>::zeros();
        let msg = panic_message(|| {
            let _ = v[3];
        });
        assert!(msg.contains("out of bounds"), "{msg}");
    }
}

mod iteration {
    use super::*;

    #[test]
    fn iter_is_column_major() {
        let m = Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]);
        let seen: Vec<f32> = m.iter().copied().collect();
        assert_eq!(seen, vec![1.0, 3.0, 2.0, 4.0]);
        let by_ref: Vec<f32> = (&m).into_iter().copied().collect();
        assert_eq!(by_ref, seen);
    }

    #[test]
    fn iter_mut_and_as_mut_slice_write_through() {
        let mut v = Vector::<4>::zeros();
        for (i, x) in v.iter_mut().enumerate() {
            *x = i as f32;
        }
        v.as_mut_slice()[0] = 10.0;
        assert_eq!(v.to_vec(), vec![10.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn columns_are_samples() {
        let x = Batch::<2>::from_slice((Const, 3), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let cols: Vec<&[f32]> = x.columns().collect();
        assert_eq!(cols, vec![&[1.0, 2.0][..], &[3.0, 4.0], &[5.0, 6.0]]);
        let c1: Vector<2> = x.column(1);
        assert_eq!(c1.to_vec(), vec![3.0, 4.0]);
    }

    #[test]
    fn columns_of_an_empty_batch() {
        let x = Batch::<2>::zeros_with((Const, 0));
        assert_eq!(x.columns().count(), 0);
    }
}

mod printing {
    use super::*;

    #[test]
    fn display_vector_and_matrix() {
        assert_eq!(Tensor::from_array([1.0, 2.5]).to_string(), "[1, 2.5]");
        assert_eq!(
            Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]).to_string(),
            "[1 2;\n 3 4]"
        );
        assert_eq!(Scalar::scalar(3.0f64).to_string(), "3");
    }

    #[test]
    fn debug_names_the_shape() {
        let m = Tensor::from_array([[1.0, 2.0, 3.0]]);
        assert_eq!(format!("{m:?}"), "Tensor<1x3>[1.0, 2.0, 3.0]");
        let b = Batch::<2>::zeros_with((Const, 0));
        assert_eq!(format!("{b:?}"), "Tensor<2x0>[]");
    }
}

mod errors {
    use super::*;

    #[test]
    fn from_slice_names_expected_and_found_counts() {
        let err = Batch::<2>::from_slice((Const, 3), &[1.0; 5]).unwrap_err();
        assert_eq!(err.op, "from_slice");
        assert_eq!(err.expected, "6 elements for shape 2x3");
        assert_eq!(err.found, "5 elements");
        assert_eq!(
            err.to_string(),
            "from_slice: expected 6 elements for shape 2x3, found 5 elements"
        );
    }

    #[test]
    fn try_from_slice_checks_a_static_shape_at_run_time() {
        let err = Vector::<4>::try_from_slice(&[1.0; 3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "try_from_slice: expected 4 elements for shape 4, found 3 elements"
        );
    }

    #[test]
    fn from_vec_rejects_a_wrong_length() {
        let err = Tensor::<(usize, usize)>::from_vec((3, 3), vec![0.0; 10]).unwrap_err();
        assert_eq!(err.op, "from_vec");
        assert_eq!(err.expected, "9 elements for shape 3x3");
        assert_eq!(err.found, "10 elements");
    }

    #[test]
    fn try_with_shape_names_the_new_shape() {
        let x = Tensor::<(usize, usize)>::zeros_with((2, 4));
        let err = x.try_with_shape((3, 3)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "try_with_shape: expected 9 elements for shape 3x3, found 8 elements"
        );
    }

    #[test]
    fn shape_error_is_a_std_error() {
        let err: Box<dyn std::error::Error> =
            Box::new(Vector::<2>::try_from_slice(&[]).unwrap_err());
        assert!(err.to_string().contains("found 0 elements"));
    }

    #[test]
    fn elementwise_mismatch_names_both_shapes() {
        let a = Batch::<2>::zeros_with((Const, 3));
        let b = Batch::<2>::zeros_with((Const, 4));
        assert_eq!(
            panic_message(|| {
                let _ = &a + &b;
            }),
            "+: lhs 2x3, rhs 2x4: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let _ = a.clone() - b.clone();
            }),
            "-: lhs 2x3, rhs 2x4: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let _ = &b * &a;
            }),
            "*: lhs 2x4, rhs 2x3: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let mut c = a.clone();
                c /= &b;
            }),
            "/: lhs 2x3, rhs 2x4: shapes disagree"
        );
    }

    #[test]
    fn vector_mismatch_names_both_lengths() {
        let a = Tensor::<(usize,)>::zeros_with((5,));
        let b = Tensor::<(usize,)>::zeros_with((6,));
        assert_eq!(
            panic_message(|| {
                let _ = a.dot(&b);
            }),
            "dot: lhs 5, rhs 6: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let mut c = a.clone();
                c.axpy(2.0, &b);
            }),
            "axpy: lhs 5, rhs 6: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let _ = a.zip_map(&b, |x, y| x + y);
            }),
            "zip_map: lhs 5, rhs 6: shapes disagree"
        );
    }

    #[test]
    fn matmul_mismatch_names_both_shapes() {
        let a = Tensor::<(usize, usize)>::zeros_with((2, 3));
        let b = Tensor::<(usize, usize)>::zeros_with((4, 5));
        let v = Tensor::<(usize,)>::zeros_with((4,));
        assert_eq!(
            panic_message(|| {
                let _ = a.matmul(&b);
            }),
            "matmul: lhs 2x3, rhs 4x5: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let _ = a.matmul(&v);
            }),
            "matmul: lhs 2x3, rhs 4: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let _ = a.t_matmul(&b);
            }),
            "matmul: lhs 2x3, rhs 4x5: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let _ = a.matmul_t(&b);
            }),
            "matmul: lhs 2x3, rhs 4x5: shapes disagree"
        );
        assert_eq!(
            panic_message(|| {
                let _ = v.vecmat(&a);
            }),
            "matmul: lhs 4, rhs 2x3: shapes disagree"
        );
    }

    #[test]
    fn broadcast_mismatch_names_matrix_and_vector() {
        let m = Tensor::<(usize, usize)>::zeros_with((3, 2));
        let v = Tensor::<(usize,)>::zeros_with((4,));
        assert_eq!(
            panic_message(|| {
                let _ = &m + &v;
            }),
            "+: lhs 3x2, rhs 4: shapes disagree"
        );
    }

    #[test]
    fn concat_mismatch_names_both_shapes() {
        let a = Batch::<2>::zeros_with((Const, 3));
        let b = Batch::<1>::zeros_with((Const, 4));
        assert_eq!(
            panic_message(|| {
                let _: Batch<3> = a.concat(&b);
            }),
            "concat: lhs 2x3, rhs 1x4: shapes disagree"
        );
    }

    #[test]
    fn max_of_nothing_names_the_shape() {
        let b = Batch::<2>::zeros_with((Const, 0));
        assert_eq!(
            panic_message(|| {
                let _ = b.max();
            }),
            "max: tensor of shape 2x0 is empty"
        );
        assert_eq!(
            panic_message(|| {
                let _ = b.max_along::<1>();
            }),
            "max_axis: shape 2x0 has no columns"
        );
        let r = Tensor::<(usize, Const<3>)>::zeros_with((0, Const));
        assert_eq!(
            panic_message(|| {
                let _ = r.max_along::<0>();
            }),
            "max_axis: shape 0x3 has no rows"
        );
    }
}
