//! Reverse mode through a recorded graph, for scalar code with runtime control
//! flow.
//!
//! The functions here call the function being differentiated with [`Var`]s:
//! real numbers that record each operation on a tape as it runs. Loops whose
//! trip count depends on the values, branches on values and early returns
//! need no special treatment; the tape holds the path that was taken. A
//! backward sweep over the tape then gives the whole gradient for the price
//! of a few evaluations, however many inputs there are.
//!
//! `Var` implements num-dual's [`DualNum`](num_dual::DualNum), so it is a
//! typeflux [`Real`](typeflux_core::Real): the function is written once,
//! generic over `T: Real`, and the same code runs with `f64`, with dual
//! numbers ([`crate::forward`]) and with `Var`.
//!
//! ```
//! use typeflux_ad::{DualNum, Real, derivative, tape};
//!
//! // Newton's iteration for √a: the number of steps depends on the value.
//! fn sqrt_newton<T: Real>(a: T) -> T {
//!     let mut x = a;
//!     while (x * x - a).abs() > 1e-14 * a.re() {
//!         x = (x + a / x) * 0.5;
//!     }
//!     x
//! }
//! let d = tape::derivative(sqrt_newton, 2.0); // 1 / (2√2)
//! assert!((d - 0.5 / 2f64.sqrt()).abs() < 1e-12);
//! assert!((d - derivative(sqrt_newton, 2.0)).abs() < 1e-15); // forward mode agrees
//!
//! let (y, g) = tape::gradient(|x| x[0] * x[1].sin() + x[2], &[2.0, 0.0, 5.0]);
//! assert_eq!((y, g), (5.0, vec![0.0, 2.0, 1.0]));
//! ```
//!
//! # The recorded graph
//!
//! The graph stays inside this module. Each thread has one tape per float type
//! (`f64`, `f32`): a buffer of nodes (parents, first and second local
//! partials) that is allocated once and reused by every later recording, so a
//! recording allocates nothing once the buffer has grown to its size. A
//! recording lasts exactly as long as the call to [`gradient`] (or
//! [`derivative`], ...) that opened it; its nodes are dropped when the call
//! returns, also when the function panics. Users only ever hold `Var`
//! handles and get plain numbers back. [`crate::mixed`] runs its
//! forward-over-reverse sweeps over the same recording.
//!
//! Operations on constants record nothing, and adding a constant zero (the
//! start of a sum) is free.
//!
//! # Nesting and its rules
//!
//! * A tape function may be called inside the function that another one is
//!   differentiating. The inner recording is independent: its result is a
//!   plain number, a constant to the outer one.
//! * A `Var` belongs to the recording that created it. Combining it with
//!   the variables of a nested recording, or returning it from one, panics
//!   with a message, and so does using it after its recording has ended or
//!   on another thread: the inner gradient would silently miss the outer
//!   dependence (the perturbation confusion that forward mode rules out by
//!   types). The check is made where a node is recorded and where a result
//!   is read, so a linear operation on such a `Var` (which records nothing)
//!   passes until its result meets either.
//! * For derivatives of derivatives, nest forward mode: forward mode inside a
//!   tape function (`Dual<Var>`) differentiates through the tape, and
//!   [`crate::mixed`] gives Hessians and Hessian-vector products by forward
//!   over reverse.
//!
//! ```
//! use typeflux_ad::{derivative, lift, tape};
//!
//! // d/dx [x · d/dy (x y²) at y = x] = d/dx 2x³ = 6x²: forward inside reverse.
//! let d = tape::derivative(|x| x * derivative(|y| lift(x) * y * y, x), 2.0);
//! assert_eq!(d, 24.0);
//! ```
//!
//! ```should_panic
//! use typeflux_ad::tape;
//!
//! // The inner recording would take the captured outer `x` as a constant.
//! let _ = tape::derivative(|x| tape::derivative(|y| x * y, 1.0) * x, 2.0);
//! ```
//!
//! A tape function takes plain floats, so it cannot be called on dual
//! numbers; differentiate a tape gradient with [`crate::mixed`] instead:
//!
//! ```compile_fail,E0308
//! use typeflux_ad::{derivative, tape};
//!
//! let d2 = derivative(|x| tape::derivative(|y| y * y, x), 1.0);
//! ```

mod real;
mod recording;
mod var;

pub use recording::TapeFloat;
pub(crate) use recording::{ABSENT, Graph, Output, Recording};
pub use var::Var;

/// The derivative `f'(x)` of a function of one variable, in reverse mode.
///
/// ```
/// use typeflux_ad::{Real, tape};
///
/// // A branch on the value: the derivative is that of the branch taken.
/// fn relu<T: Real>(x: T) -> T {
///     if x > 0.0 { x } else { x * 0.0 }
/// }
/// assert_eq!(tape::derivative(relu, 3.0), 1.0);
/// assert_eq!(tape::derivative(relu, -3.0), 0.0);
/// ```
#[inline]
pub fn derivative<F: TapeFloat>(f: impl FnOnce(Var<F>) -> Var<F>, x: F) -> F {
    value_and_derivative(f, x).1
}

/// The value and derivative `(f(x), f'(x))` of a function of one variable, in
/// reverse mode.
///
/// ```
/// use typeflux_ad::tape;
///
/// let (y, dy) = tape::value_and_derivative(|x| x * x * x, 2.0);
/// assert_eq!((y, dy), (8.0, 12.0));
/// ```
#[inline]
pub fn value_and_derivative<F: TapeFloat>(f: impl FnOnce(Var<F>) -> Var<F>, x: F) -> (F, F) {
    let (y, [dy]) = gradient_array(|[x]| f(x), [x]);
    (y, dy)
}

/// The value and gradient of a function of a slice of variables, in reverse
/// mode: one evaluation, recorded, and one backward sweep.
///
/// ```
/// use typeflux_ad::{Real, tape};
///
/// fn sum_of_squares<T: Real>(x: &[T]) -> T {
///     x.iter().map(|&xi| xi * xi).sum()
/// }
/// let (y, g) = tape::gradient(sum_of_squares, &[1.0, 2.0, 3.0]);
/// assert_eq!(y, 14.0);
/// assert_eq!(g, vec![2.0, 4.0, 6.0]);
/// ```
pub fn gradient<F: TapeFloat>(f: impl FnOnce(&[Var<F>]) -> Var<F>, x: &[F]) -> (F, Vec<F>) {
    let recording = Recording::start();
    let vars = recording.input_slice(x);
    let y = f(&vars);
    let mut grad = vec![F::zero(); x.len()];
    recording.gradient(y, &mut grad);
    (y.value(), grad)
}

/// The value and gradient of a function of `N` variables given as an array,
/// in reverse mode.
///
/// ```
/// use nalgebra::SVector;
/// use typeflux_ad::{Real, tape};
///
/// fn rosenbrock<T: Real, const N: usize>(x: SVector<T, N>) -> T {
///     (0..N - 1)
///         .map(|i| (x[i + 1] - x[i] * x[i]).powi(2) * 100.0 + (-x[i] + 1.0).powi(2))
///         .sum()
/// }
/// let (y, g) = tape::gradient_array(|x| rosenbrock(SVector::from(x)), [1.0, 1.0, 1.0]);
/// assert_eq!((y, g), (0.0, [0.0; 3])); // the minimum
/// let (_, g) = tape::gradient_array(|x| rosenbrock(SVector::from(x)), [0.0, 0.0]);
/// assert_eq!(g, [-2.0, 0.0]);
/// ```
pub fn gradient_array<F: TapeFloat, const N: usize>(
    f: impl FnOnce([Var<F>; N]) -> Var<F>,
    x: [F; N],
) -> (F, [F; N]) {
    let recording = Recording::start();
    let y = f(recording.inputs(x));
    let mut grad = [F::zero(); N];
    recording.gradient(y, &mut grad);
    (y.value(), grad)
}
