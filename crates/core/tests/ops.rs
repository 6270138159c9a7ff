//! Arithmetic, broadcasting, reductions, transpose, reshape, concat and dual-number
//! elements, each checked against values worked out by hand.

use typeflux_core::num_dual::{Dual64, HyperDual64};
use typeflux_core::prelude::*;
use typeflux_core::{BinaryOp, UnaryOp};

fn m23() -> Matrix<2, 3> {
    Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
}

mod arithmetic {
    use super::*;

    #[test]
    fn elementwise_with_every_ownership() {
        let a = Tensor::from_array([1.0, 2.0, 3.0]);
        let b = Tensor::from_array([4.0, 5.0, 6.0]);
        assert_eq!((&a + &b).to_vec(), vec![5.0, 7.0, 9.0]);
        assert_eq!((a.clone() + &b).to_vec(), vec![5.0, 7.0, 9.0]);
        assert_eq!((&a + b.clone()).to_vec(), vec![5.0, 7.0, 9.0]);
        assert_eq!((a.clone() + b.clone()).to_vec(), vec![5.0, 7.0, 9.0]);
        assert_eq!((&a - &b).to_vec(), vec![-3.0, -3.0, -3.0]);
        assert_eq!((&a * &b).to_vec(), vec![4.0, 10.0, 18.0]);
        assert_eq!((&b / &a).to_vec(), vec![4.0, 2.5, 2.0]);
    }

    #[test]
    fn compound_assignment() {
        let mut a = Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]);
        let b = Tensor::from_array([[1.0, 1.0], [2.0, 2.0]]);
        a += &b;
        assert_eq!(a.to_vec(), vec![2.0, 5.0, 3.0, 6.0]);
        a -= b.clone();
        assert_eq!(a.to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
        a *= &b;
        assert_eq!(a.to_vec(), vec![1.0, 6.0, 2.0, 8.0]);
        a /= b;
        assert_eq!(a.to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    }

    #[test]
    fn scalar_on_either_side() {
        let a = Tensor::from_array([1.0, 2.0, 4.0]);
        assert_eq!((&a + 1.0).to_vec(), vec![2.0, 3.0, 5.0]);
        assert_eq!((a.clone() - 1.0).to_vec(), vec![0.0, 1.0, 3.0]);
        assert_eq!((&a * 3.0).to_vec(), vec![3.0, 6.0, 12.0]);
        assert_eq!((a.clone() / 2.0).to_vec(), vec![0.5, 1.0, 2.0]);
        assert_eq!(
            a.scalar_op_left(BinaryOp::Sub, 1.0).to_vec(),
            vec![0.0, -1.0, -3.0]
        );
        assert_eq!(
            a.scalar_op_left(BinaryOp::Div, 8.0).to_vec(),
            vec![8.0, 4.0, 2.0]
        );
        let mut b = a.clone();
        b *= 10.0;
        b -= 5.0;
        assert_eq!(b.to_vec(), vec![5.0, 15.0, 35.0]);
        b += 1.0;
        b /= 2.0;
        assert_eq!(b.to_vec(), vec![3.0, 8.0, 18.0]);
    }

    #[test]
    fn negation_and_unary_functions() {
        let x: Vector<3, f64> = Tensor::from_array([-1.0, 0.0, 4.0]);
        assert_eq!((-&x).to_vec(), vec![1.0, -0.0, -4.0]);
        assert_eq!((-x.clone()).to_vec(), vec![1.0, 0.0, -4.0]);
        assert_eq!(x.abs().to_vec(), vec![1.0, 0.0, 4.0]);
        assert_eq!(x.square().to_vec(), vec![1.0, 0.0, 16.0]);
        let y: Vector<3, f64> = Tensor::from_array([1.0, 4.0, 9.0]);
        assert_eq!(y.sqrt().to_vec(), vec![1.0, 2.0, 3.0]);
        for (got, want) in y.ln().exp().iter().zip([1.0, 4.0, 9.0]) {
            assert!((got - want).abs() < 1e-14, "exp(ln {want}) = {got}");
        }
        let z: Vector<2, f64> = Tensor::from_array([0.0, std::f64::consts::FRAC_PI_2]);
        assert_eq!(z.sin().to_vec(), vec![0.0, 1.0]);
        assert_eq!(z.cos().to_vec()[0], 1.0);
        assert!(z.cos().to_vec()[1].abs() < 1e-16);
        assert_eq!(z.tanh().to_vec()[0], 0.0);
        assert_eq!(x.unary(UnaryOp::Exp).to_vec()[1], 1.0);
    }

    #[test]
    fn map_zip_map_and_axpy() {
        let x = Tensor::from_array([1.0f32, 2.0, 3.0]);
        let y: Vector<3, f64> = x.map(|v| f64::from(v) * 0.5);
        assert_eq!(y.to_vec(), vec![0.5, 1.0, 1.5]);
        let mut z = x.clone();
        z.map_inplace(|v| v * v);
        assert_eq!(z.to_vec(), vec![1.0, 4.0, 9.0]);
        let w = x.zip_map(&y, |a, b| f64::from(a) - b);
        assert_eq!(w.to_vec(), vec![0.5, 1.0, 1.5]);
        z.axpy(-2.0, &x);
        assert_eq!(z.to_vec(), vec![-1.0, 0.0, 3.0]);
    }

    #[test]
    fn large_tensors_go_through_the_heap_alike() {
        let n = 1000;
        let a = Tensor::<(usize,), f64>::from_fn((n,), |[i, _]| i as f64);
        let b = Tensor::<(usize,), f64>::full_with((n,), 2.0);
        let c = &a * &b + 1.0;
        assert_eq!(c[999], 1999.0);
        assert_eq!(c.sum(), (0..n).map(|i| 2.0 * i as f64 + 1.0).sum::<f64>());
    }
}

mod broadcasting {
    use super::*;

    #[test]
    fn a_vector_is_applied_to_every_column() {
        let m = m23();
        let v = Tensor::from_array([10.0, 100.0]);
        assert_eq!(
            (&m + &v).to_vec(),
            vec![11.0, 104.0, 12.0, 105.0, 13.0, 106.0]
        );
        assert_eq!(
            (m.clone() - &v).to_vec(),
            vec![-9.0, -96.0, -8.0, -95.0, -7.0, -94.0]
        );
        assert_eq!(
            (&m * &v).to_vec(),
            vec![10.0, 400.0, 20.0, 500.0, 30.0, 600.0]
        );
        assert_eq!(
            m.broadcast(BinaryOp::Div, &Tensor::from_array([1.0, 4.0]))
                .to_vec(),
            vec![1.0, 1.0, 2.0, 1.25, 3.0, 1.5]
        );
    }

    #[test]
    fn over_a_runtime_batch() {
        let x = Batch::<2>::from_slice((Const, 2), &[1.0, 2.0, 3.0, 4.0]).unwrap();
        let b = Tensor::from_array([0.5, -0.5]);
        let y = x + &b;
        assert_eq!(y.shape(), (Const::<2>, 2));
        assert_eq!(y.to_vec(), vec![1.5, 1.5, 3.5, 3.5]);
    }

    #[test]
    fn in_place_equals_the_copying_form() {
        let m = m23();
        let v = Tensor::from_array([10.0, 100.0]);
        for op in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div] {
            let mut inplace = m.clone();
            inplace.broadcast_assign(op, &v);
            let expected: Vec<f32> = m
                .to_vec()
                .iter()
                .enumerate()
                .map(|(k, &x)| op.apply(x, v[k % 2]))
                .collect();
            assert_eq!(inplace.to_vec(), expected, "{op:?}");
        }
        let mut acc = m.clone();
        acc += &v;
        acc -= &v;
        acc *= &v;
        acc /= &v;
        assert_eq!(acc, m);
    }

    #[test]
    #[should_panic(expected = "+: lhs 3x2, rhs 2: shapes disagree")]
    fn in_place_with_a_vector_of_another_runtime_length_panics() {
        let mut m = Tensor::<(usize, usize), f64>::zeros_with((3, 2));
        m += &Tensor::<(usize,), f64>::zeros_with((2,));
    }
}

mod reductions {
    use super::*;

    #[test]
    fn sum_mean_max_of_everything() {
        let m = m23();
        assert_eq!(m.sum(), 21.0);
        assert_eq!(m.mean(), 3.5);
        assert_eq!(m.max(), 6.0);
        let v: Vector<3, f64> = Tensor::from_array([-5.0, -1.0, -3.0]);
        assert_eq!(v.max(), -1.0);
        assert_eq!(Scalar::scalar(2.0f32).sum(), 2.0);
    }

    #[test]
    fn sum_of_many_uses_every_element() {
        // 8 partial sums plus a remainder: 1 + 2 + ... + 1003.
        let v = Tensor::<(usize,), f64>::from_fn((1003,), |[i, _]| (i + 1) as f64);
        assert_eq!(v.sum(), 1003.0 * 1004.0 / 2.0);
        assert_eq!(v.max(), 1003.0);
    }

    #[test]
    fn along_axis_zero_reduces_each_column() {
        let m = m23();
        let s: Vector<3> = m.sum_along::<0>();
        assert_eq!(s.to_vec(), vec![5.0, 7.0, 9.0]);
        assert_eq!(m.mean_along::<0>().to_vec(), vec![2.5, 3.5, 4.5]);
        assert_eq!(m.max_along::<0>().to_vec(), vec![4.0, 5.0, 6.0]);
    }

    #[test]
    fn along_axis_one_reduces_each_row() {
        let m = m23();
        let s: Vector<2> = m.sum_along::<1>();
        assert_eq!(s.to_vec(), vec![6.0, 15.0]);
        assert_eq!(m.mean_along::<1>().to_vec(), vec![2.0, 5.0]);
        let n = Tensor::from_array([[1.0, 9.0, 3.0], [7.0, 5.0, 6.0]]);
        assert_eq!(n.max_along::<1>().to_vec(), vec![9.0, 7.0]);
        assert_eq!(n.max_along::<0>().to_vec(), vec![7.0, 9.0, 6.0]);
    }

    #[test]
    fn a_vector_reduces_to_a_scalar() {
        let v = Tensor::from_array([1.0, 5.0, 3.0]);
        let s: Scalar = v.sum_along::<0>();
        assert_eq!(s.to_vec(), vec![9.0]);
        assert_eq!(v.mean_along::<0>().to_vec(), vec![3.0]);
        assert_eq!(v.max_along::<0>().to_vec(), vec![5.0]);
    }

    #[test]
    fn along_a_runtime_axis_keeps_it_runtime() {
        let x = Batch::<2>::from_slice((Const, 3), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let per_sample = x.sum_along::<0>();
        assert_eq!(per_sample.shape(), (3,));
        assert_eq!(per_sample.to_vec(), vec![3.0, 7.0, 11.0]);
        let per_feature = x.mean_along::<1>();
        assert_eq!(per_feature.shape(), (Const::<2>,));
        assert_eq!(per_feature.to_vec(), vec![3.0, 4.0]);
    }

    #[test]
    fn sums_over_an_empty_batch_are_zero() {
        let x = Batch::<3>::zeros_with((Const, 0));
        assert_eq!(x.sum(), 0.0);
        assert_eq!(x.sum_along::<1>().to_vec(), vec![0.0; 3]);
        assert!(x.mean().is_nan());
    }
}

mod products {
    use super::*;

    #[test]
    fn matrix_times_matrix_and_vector() {
        let a = m23();
        let b = Tensor::from_array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]);
        let c: Matrix<2, 2> = a.matmul(&b);
        assert_eq!(c.to_vec(), vec![4.0, 10.0, 5.0, 11.0]);
        let v = Tensor::from_array([1.0, -1.0, 2.0]);
        assert_eq!(a.matmul(&v).to_vec(), vec![5.0, 11.0]);
    }

    #[test]
    fn transposed_operands() {
        let a = m23();
        let b = Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]);
        // aᵀ·b = [[1,4],[2,5],[3,6]]·[[1,2],[3,4]]
        let atb: Matrix<3, 2> = a.t_matmul(&b);
        assert_eq!(atb.to_vec(), vec![13.0, 17.0, 21.0, 18.0, 24.0, 30.0]);
        // a·aᵀ = [[14, 32], [32, 77]]
        let aat: Matrix<2, 2> = a.matmul_t(&a);
        assert_eq!(aat.to_vec(), vec![14.0, 32.0, 32.0, 77.0]);
    }

    #[test]
    fn outer_vecmat_dot() {
        let u = Tensor::from_array([1.0, 2.0]);
        let v = Tensor::from_array([3.0, 4.0, 5.0]);
        let o: Matrix<2, 3> = u.outer(&v);
        assert_eq!(o.to_vec(), vec![3.0, 6.0, 4.0, 8.0, 5.0, 10.0]);
        let r: Vector<3> = u.vecmat(&m23());
        assert_eq!(r.to_vec(), vec![9.0, 12.0, 15.0]);
        assert_eq!(v.dot(&v), 50.0);
    }

    #[test]
    fn a_runtime_batch_through_a_static_weight() {
        let w: Matrix<2, 3> = m23();
        let x = Batch::<3>::from_slice((Const, 2), &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
        let y = w.matmul(&x);
        assert_eq!(y.shape(), (Const::<2>, 2));
        assert_eq!(y.to_vec(), vec![1.0, 4.0, 3.0, 6.0]);
    }

    #[test]
    fn empty_inner_size_gives_zeros() {
        let a = Tensor::<(usize, usize)>::ones_with((3, 0));
        let b = Tensor::<(usize, usize)>::ones_with((0, 2));
        assert_eq!(a.matmul(&b).to_vec(), vec![0.0; 6]);
    }
}

mod layout {
    use super::*;

    #[test]
    fn transpose_swaps_rows_and_columns() {
        let t: Matrix<3, 2> = m23().transpose();
        assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(t[[2, 1]], 6.0);
        assert_eq!(m23().t().t(), m23());
        let x = Batch::<2>::from_slice((Const, 3), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let xt = x.t();
        assert_eq!(xt.shape(), (3, Const::<2>));
        assert_eq!(xt.to_vec(), vec![1.0, 3.0, 5.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn reshape_keeps_column_major_order() {
        let m = m23();
        let r: Matrix<3, 2> = m.clone().reshape();
        assert_eq!(r.to_vec(), m.to_vec());
        assert_eq!(r[[0, 1]], 5.0);
        let v: Vector<6> = m.clone().flatten();
        assert_eq!(v.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        let back: Matrix<2, 3> = v.reshape();
        assert_eq!(back, m);
        let s: Scalar = Vector::<1>::full(4.0).reshape();
        assert_eq!(s.to_vec(), vec![4.0]);
    }

    #[test]
    fn reshape_beyond_64_elements() {
        let m = Matrix::<28, 28>::from_fn(Default::default(), |[r, c]| (r + 28 * c) as f32);
        let v: Vector<784> = m.flatten();
        assert_eq!(v[783], 783.0);
        let w: Matrix<16, 49> = v.reshape();
        assert_eq!(w[[15, 48]], 783.0);
    }

    #[test]
    fn concat_stacks_features_per_sample() {
        let a = m23();
        let b = Tensor::from_array([[7.0, 8.0, 9.0]]);
        let c: Matrix<3, 3> = a.concat(&b);
        assert_eq!(
            c.to_vec(),
            vec![1.0, 4.0, 7.0, 2.0, 5.0, 8.0, 3.0, 6.0, 9.0]
        );
        let x = Batch::<1>::from_slice((Const, 2), &[1.0, 2.0]).unwrap();
        let y = Batch::<2>::from_slice((Const, 2), &[3.0, 4.0, 5.0, 6.0]).unwrap();
        let xy: Batch<3> = x.concat(&y);
        assert_eq!(xy.shape(), (Const::<3>, 2));
        assert_eq!(xy.to_vec(), vec![1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
    }

    #[test]
    fn concat_vectors() {
        let a = Tensor::from_array([1.0, 2.0]);
        let b = Tensor::from_array([3.0, 4.0, 5.0]);
        let c: Vector<5> = a.concat(&b);
        assert_eq!(c.to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    }
}

mod dual_numbers {
    use super::*;

    #[test]
    fn a_product_carries_the_derivative() {
        // y = W·x with x = (t, 2t): dy/dt = W·(1, 2).
        let w: Matrix<2, 2, f64> = Tensor::from_array([[1.0, 3.0], [2.0, -1.0]]);
        let w = w.map(Dual64::from_re);
        let t = 0.5;
        let x: Vector<2, Dual64> =
            Tensor::from_array([Dual64::new(t, 1.0), Dual64::new(2.0 * t, 2.0)]);
        let y = w.matmul(&x);
        assert_eq!(y[0].re, 3.5);
        assert_eq!(y[0].eps, 7.0);
        assert_eq!(y[1].re, 0.0);
        assert_eq!(y[1].eps, 0.0);
    }

    #[test]
    fn a_large_product_of_duals() {
        // Duals have no blocked kernel: every size runs the plain loop.
        let n = 40;
        let a = Tensor::<(usize, usize), Dual64>::from_fn((n, n), |[r, c]| {
            Dual64::new((r + c) as f64, if r == c { 1.0 } else { 0.0 })
        });
        let b = Tensor::<(usize, usize), Dual64>::from_fn((n, n), |[r, c]| {
            Dual64::from_re(if r == c { 2.0 } else { 0.0 })
        });
        let c = a.matmul(&b);
        assert_eq!(c[[3, 5]].re, 16.0);
        assert_eq!(c[[7, 7]].eps, 2.0);
        assert_eq!(c[[7, 8]].eps, 0.0);
    }

    #[test]
    fn elementwise_ops_and_reductions_differentiate() {
        // f(t) = Σ (t·v)² = t²·Σv², so f'(t) = 2t·Σv².
        let v: Vector<3, f64> = Tensor::from_array([1.0, 2.0, 3.0]);
        let t = Dual64::new(2.0, 1.0);
        let tv = v.map(Dual64::from_re) * t;
        let f = tv.square().sum();
        assert_eq!(f.re, 56.0);
        assert_eq!(f.eps, 56.0);
        let g = tv.exp().sum();
        let expected: f64 = [1.0f64, 2.0, 3.0].iter().map(|v| v * (2.0 * v).exp()).sum();
        assert!((g.eps - expected).abs() < 1e-9 * expected);
    }

    #[test]
    fn second_derivatives_through_a_tensor() {
        // f(x, y) = Σ over the matrix [[x, y], [x·y, x]] squared
        //         = 2x² + y² + x²y², ∂²f/∂x∂y = 4xy.
        let (x, y) = (
            HyperDual64::new(1.5, 1.0, 0.0, 0.0),
            HyperDual64::new(2.0, 0.0, 1.0, 0.0),
        );
        let m = Tensor::from_array([[x, y], [x * y, x]]);
        let f = m.square().sum();
        assert_eq!(f.re, 2.0 * 2.25 + 4.0 + 2.25 * 4.0);
        assert_eq!(f.eps1eps2, 4.0 * 1.5 * 2.0);
    }
}

/// Tensors large enough for the kernels to split their passes over threads
/// (and of a length that is no multiple of the pieces) give what a loop over
/// the elements gives.
mod large {
    use super::*;

    const N: usize = 300_007;

    fn values(seed: usize) -> Vector<N> {
        Vector::from_fn((Const,), |[i, _]| {
            ((i * 7919 + seed) % 1013) as f32 / 64.0 - 8.0
        })
    }

    #[test]
    fn elementwise_kernels_match_loops() {
        let (a, b) = (values(1), values(2));
        let pairs = |t: &Vector<N>, f: &dyn Fn(f32, f32) -> f32| {
            t.iter()
                .zip(a.iter().zip(b.iter()))
                .all(|(t, (&x, &y))| *t == f(x, y))
        };
        assert!(pairs(&(&a + &b), &|x, y| x + y));
        assert!(pairs(&(&a / &b), &|x, y| x / y));
        assert!(pairs(&(&a * 3.0), &|x, _| x * 3.0));
        assert!(pairs(&a.unary(UnaryOp::Exp), &|x, _| x.exp()));
        assert!(pairs(&-&a, &|x, _| -x));
        // In place, on a buffer of its own and on a shared one.
        let mut c = a.clone();
        c -= &b;
        assert!(pairs(&c, &|x, y| x - y));
        c.axpy(0.5, &b);
        assert!(pairs(&c, &|x, y| (x - y) + 0.5 * y));
        let mut d = a.clone();
        d.axpy(2.0, &b);
        assert!(pairs(&d, &|x, y| x + 2.0 * y));
        assert!(pairs(&a, &|x, _| x), "the shared original is untouched");
        let e = a.clone() * 2.0;
        assert!(pairs(&e, &|x, _| 2.0 * x));
    }
}

/// `w += α · a · bᵀ` against the triple loop in `f64`, for a product that runs
/// the plain loop and one that runs the blocked kernel (with the operand copy
/// on AVX-512), and with `w` shared by a clone, which must keep its values.
#[test]
fn add_matmul_t_matches_the_triple_loop_and_leaves_clones_alone() {
    fn check<const M: usize, const K: usize, const N: usize>(tol: f64) {
        let w = Matrix::<M, N>::from_fn((Const, Const), |[i, j]| {
            ((i * 5 + j * 3) % 11) as f32 / 11.0
        });
        let a = Matrix::<M, K>::from_fn((Const, Const), |[i, p]| {
            ((i + 2 * p) % 7) as f32 / 7.0 - 0.5
        });
        let b = Matrix::<N, K>::from_fn((Const, Const), |[j, p]| {
            ((3 * j + p) % 5) as f32 / 5.0 - 0.4
        });
        let alpha = -0.25f32;
        let original = w.clone();
        let mut updated = w.clone();
        updated.add_matmul_t(alpha, &a, &b);
        assert_eq!(original.to_vec(), w.to_vec(), "the clone is untouched");
        for i in 0..M {
            for j in 0..N {
                let dot: f64 = (0..K)
                    .map(|p| f64::from(a[[i, p]]) * f64::from(b[[j, p]]))
                    .sum();
                let expected = f64::from(w[[i, j]]) + f64::from(alpha) * dot;
                let got = f64::from(updated[[i, j]]);
                assert!(
                    (got - expected).abs() <= tol * (1.0 + expected.abs()),
                    "[{i}, {j}]: {got} against {expected}"
                );
            }
        }
    }
    check::<3, 4, 5>(1e-6);
    check::<300, 70, 261>(1e-5);
}
