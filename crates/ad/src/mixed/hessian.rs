//! Whole Hessians, and their diagonals, by forward over reverse in all `N`
//! directions at once.

use super::sweep::{SecondOrder, second_order};
use crate::forward::{ValueGradientDiagHessian, ValueGradientHessian};
use crate::tape::{Recording, TapeFloat, Var};
use nalgebra::{SMatrix, SVector};

/// The value, gradient and Hessian of a function of `N` variables, by
/// forward over reverse.
///
/// `f` runs once on [`Var`]s (so it may branch and loop on values), then
/// sweeps over the recording (forward for the tangents, reverse for the
/// adjoints and their tangents) give all `N²` second derivatives. Called and
/// answering like [`forward_hessian`](crate::forward_hessian), which is
/// forward over forward: a generic function switches between them by the
/// module path. On Rosenbrock's function this one is already several times
/// faster at `N = 10` and the gap grows with `N` (docs/PERFORMANCE.md); it
/// grows most for sparse Hessians.
///
/// ```
/// use nalgebra::{SVector, matrix, vector};
/// use typeflux_ad::{Real, forward_hessian, mixed};
///
/// fn rosenbrock<T: Real, const N: usize>(x: SVector<T, N>) -> T {
///     (0..N - 1)
///         .map(|i| (x[i + 1] - x[i] * x[i]).powi(2) * 100.0 + (-x[i] + 1.0).powi(2))
///         .sum()
/// }
/// let (v, g, h) = mixed::hessian(rosenbrock, vector![1.0, 1.0]);
/// assert_eq!((v, g), (0.0, vector![0.0, 0.0]));
/// assert_eq!(h, matrix![802.0, -400.0; -400.0, 200.0]);
/// assert_eq!(h, forward_hessian(rosenbrock, vector![1.0, 1.0]).2);
/// ```
pub fn hessian<F: TapeFloat, const N: usize>(
    f: impl FnOnce(SVector<Var<F>, N>) -> Var<F>,
    x: SVector<F, N>,
) -> ValueGradientHessian<F, N> {
    let (value, sweep) = record_and_sweep(f, x);
    let mut grad = SVector::zeros();
    let mut hess = SMatrix::<F, N, N>::zeros();
    if let Some(sweep) = sweep {
        for i in 0..N {
            grad[i] = sweep.adjoint[i];
            // H is symmetric: the adjoint tangent of input i is row i, and
            // column i is contiguous in nalgebra's column-major storage.
            let (band, row) = sweep.adjoint_tangent.get(i);
            let column = &mut hess.as_mut_slice()[i * N..][band.range()];
            column.copy_from_slice(row);
        }
    }
    (value, grad, hess)
}

/// The value, gradient and diagonal of the Hessian, by forward over reverse.
///
/// The same sweeps as [`hessian`], without storing the `N × N` matrix; the
/// diagonal alone is what Laplacians and diagonal preconditioners need.
///
/// ```
/// use nalgebra::vector;
/// use typeflux_ad::{DualNum, mixed};
///
/// let (v, g, d) = mixed::diaghessian(|x| x[0] * x[0] * x[1] + x[1].exp(), vector![3.0, 0.0]);
/// assert_eq!((v, g), (1.0, vector![0.0, 10.0]));
/// assert_eq!(d, vector![0.0, 1.0]); // [2y, eʸ]
/// ```
pub fn diaghessian<F: TapeFloat, const N: usize>(
    f: impl FnOnce(SVector<Var<F>, N>) -> Var<F>,
    x: SVector<F, N>,
) -> ValueGradientDiagHessian<F, N> {
    let (value, sweep) = record_and_sweep(f, x);
    let (mut grad, mut diag) = (SVector::zeros(), SVector::zeros());
    if let Some(sweep) = sweep {
        for i in 0..N {
            grad[i] = sweep.adjoint[i];
            let (band, row) = sweep.adjoint_tangent.get(i);
            if band.range().contains(&i) {
                diag[i] = row[i - band.lo as usize];
            }
        }
    }
    (value, grad, diag)
}

/// Records `f` at `x` and runs the second-order sweep: `f(x)`, and the
/// sweep unless `f` is constant.
fn record_and_sweep<F: TapeFloat, const N: usize>(
    f: impl FnOnce(SVector<Var<F>, N>) -> Var<F>,
    x: SVector<F, N>,
) -> (F, Option<SecondOrder<F>>) {
    let recording = Recording::start();
    let y = f(SVector::from(recording.inputs(x.into())));
    let sweep = recording.with_graph(y, |graph, out| out.map(|out| second_order(&graph, out, N)));
    (y.value(), sweep)
}
