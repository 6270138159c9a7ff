//! NaN in, NaN out; finite in, finite out where the mathematics is finite.
//!
//! Every activation (each line of core's table as a layer, `identity`,
//! `softmax`, `logsoftmax`), each of them in a `Dense` layer, and every loss,
//! in `f32` and `f64`:
//!
//! - a NaN in the input, the weights, the target or the incoming cotangent
//!   comes out as NaN in the value and in the reverse-mode gradient where it
//!   touches them, and nowhere else (property tests at random points);
//! - inputs far out (to the largest finite number) give finite values and
//!   gradients wherever the function and its derivative are finite there:
//!   the tails of `sigmoid`, `tanh`, `gelu`, `softplus`, ..., softmax of
//!   logits of ±1e308, `logitcrossentropy` of logits of ±2e38 in `f32` and
//!   ±1e308 in `f64`.

use proptest::prelude::*;
use typeflux_ad::reverse::{gradient, model, value_and_gradient};
use typeflux_core::prelude::*;
use typeflux_core::{Element, UnaryOp};
use typeflux_nn::prelude::*;

/// The element types checked, with their largest finite values.
trait Float: Element + Into<f64> {
    const MAX: f64;

    fn of(x: f64) -> Self;
}

impl Float for f32 {
    const MAX: f64 = f32::MAX as f64;

    fn of(x: f64) -> f32 {
        x as f32
    }
}

impl Float for f64 {
    const MAX: f64 = f64::MAX;

    fn of(x: f64) -> f64 {
        x
    }
}

type Features<E> = Batch<3, E>;

fn is_nan<E: Float>(x: E) -> bool {
    x.into().is_nan()
}

fn is_finite<E: Float>(x: E) -> bool {
    x.into().is_finite()
}

/// Whether `op`'s value and derivative are finite at `x`, for an element
/// type whose largest finite number is `max`. Exhaustive, so that a new
/// operation must say.
fn finite_at(op: UnaryOp, x: f64, max: f64) -> bool {
    match op {
        UnaryOp::Neg
        | UnaryOp::Abs
        | UnaryOp::Sign
        | UnaryOp::Tanh
        | UnaryOp::Sin
        | UnaryOp::Cos
        | UnaryOp::Atan
        | UnaryOp::Sigmoid
        | UnaryOp::Relu
        | UnaryOp::LeakyRelu
        | UnaryOp::Elu
        | UnaryOp::Gelu
        | UnaryOp::Swish
        | UnaryOp::Softplus => true,
        UnaryOp::Sqrt | UnaryOp::Ln => x > 0.0,
        // (1/x)' = -1/x².
        UnaryOp::Recip => x.abs() > 2.0 / max.sqrt(),
        UnaryOp::Exp => x < max.ln() - 1.0,
        UnaryOp::Square => x.abs() < max.sqrt() / 2.0,
    }
}

/// Inputs far out for an element type whose largest finite number is
/// `max`, among them those where typeflux once gave NaN: `gelu`'s
/// derivative from 2e19 in `f32`, logits of ±2e38 in `f32` and ±1e308 in
/// `f64`.
fn far_out(max: f64) -> Vec<f64> {
    [1e4, 2e19, 1e30, 2e38, 1e150, 1e308, max]
        .into_iter()
        .filter(|&m| m <= max)
        .flat_map(|m| [-m, m])
        .collect()
}

/// How far a NaN spreads through an activation.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// To its own element: the table's `op`.
    Elementwise(UnaryOp),
    /// To its column: a softmax.
    Columns,
    /// To its own element, and not into the gradient, whose derivative is
    /// 1 wherever the input is: the identity.
    Identity,
}

impl Kind {
    /// Whether the activation is finite, with its derivative, at `x`.
    fn finite_at<E: Float>(self, x: f64) -> bool {
        match self {
            Kind::Elementwise(op) => finite_at(op, x, E::MAX),
            Kind::Columns | Kind::Identity => true,
        }
    }
}

/// An activation as the checks run it, in `f64` or `f32`.
trait Probe<E: Float> {
    /// The activation as a layer, on a plain batch.
    fn value(&self, x: &Features<E>) -> Features<E>;

    /// The gradient of `Σ dy ⊙ act(x)` in `x`, with the activation as a
    /// layer on a traced batch.
    fn gradient(&self, x: &Features<E>, dy: &Features<E>) -> Features<E>;

    /// `act(W·x + b)` by a `Dense` layer with this activation, and the
    /// gradients of `Σ dy ⊙ act(W·x + b)` in `W` and in `x`.
    fn dense(
        &self,
        w: &Matrix<3, 3, E>,
        x: &Features<E>,
        dy: &Features<E>,
    ) -> (Features<E>, Matrix<3, 3, E>, Features<E>);
}

macro_rules! probes {
    ($($Type:ty),*) => {$(
        impl<E: Float> Probe<E> for $Type {
            fn value(&self, x: &Features<E>) -> Features<E> {
                self.forward(x)
            }

            fn gradient(&self, x: &Features<E>, dy: &Features<E>) -> Features<E> {
                gradient(|x| (self.forward(x) * dy).sum(), x)
            }

            fn dense(
                &self,
                w: &Matrix<3, 3, E>,
                x: &Features<E>,
                dy: &Features<E>,
            ) -> (Features<E>, Matrix<3, 3, E>, Features<E>) {
                let b = Vector::<3, E>::from_array([E::of(0.1), E::of(-0.2), E::of(0.3)]);
                let layer = Dense::from_parts(w.clone(), b, *self);
                let (g, gx) = gradient(|(m, x)| (m.forward(x) * dy).sum(), (model(&layer), x));
                (layer.forward(x), g.weight, gx)
            }
        }
    )*};
}

macro_rules! table_probes {
    ($($(#[$doc:meta])* $Op:ident $name:ident $T:ident |$x:ident| $value:expr;)*) => {
        probes!($(typeflux_core::elementwise::$Op),*);

        /// Every activation with its name: each line of core's table,
        /// `identity`, `softmax` and `logsoftmax`.
        fn activations<E: Float>() -> Vec<(&'static str, Kind, Box<dyn Probe<E>>)> {
            vec![
                $((
                    stringify!($name),
                    Kind::Elementwise(UnaryOp::$Op),
                    Box::new(typeflux_core::elementwise::$Op),
                ),)*
                ("identity", Kind::Identity, Box::new(identity)),
                ("softmax", Kind::Columns, Box::new(softmax)),
                ("logsoftmax", Kind::Columns, Box::new(logsoftmax)),
            ]
        }
    };
}

typeflux_core::unary_ops!(table_probes);
probes!(Identity, Softmax, LogSoftmax);

/// A loss as the checks run it: its value on plain tensors, and its value
/// and gradient in the prediction by reverse mode.
type LossProbe<E> = (
    &'static str,
    fn(&Features<E>, &Features<E>) -> E,
    fn(&Features<E>, &Features<E>) -> (E, Features<E>),
);

macro_rules! loss_probes {
    ($($name:literal: |$p:ident, $y:ident| $loss:expr;)*) => {
        vec![$((
            $name,
            (|$p: &Features<E>, $y: &Features<E>| $loss.item()) as fn(&Features<E>, &Features<E>) -> E,
            (|p: &Features<E>, $y: &Features<E>| value_and_gradient(|$p| $loss, p))
                as fn(&Features<E>, &Features<E>) -> (E, Features<E>),
        ),)*]
    };
}

/// Every loss, as its function with Flux's defaults and as its struct with
/// other settings.
fn losses<E: Float>() -> Vec<LossProbe<E>> {
    loss_probes! {
        "mse": |p, y| mse(p, y);
        "Mse, summed": |p, y| Mse::new().agg(Aggregate::Sum).loss(p, y);
        "mae": |p, y| mae(p, y);
        "Mae, summed": |p, y| Mae::new().agg(Aggregate::Sum).loss(p, y);
        "huber_loss": |p, y| huber_loss(p, y);
        "HuberLoss, δ = 0.3": |p, y| HuberLoss::new().delta(0.3).loss(p, y);
        "crossentropy": |p, y| crossentropy(p, y);
        "CrossEntropy, summed": |p, y| CrossEntropy::new().agg(Aggregate::Sum).loss(p, y);
        "binarycrossentropy": |p, y| binarycrossentropy(p, y);
        "BinaryCrossEntropy, summed": |p, y| BinaryCrossEntropy::new().agg(Aggregate::Sum).loss(p, y);
        "logitbinarycrossentropy": |p, y| logitbinarycrossentropy(p, y);
        "LogitBinaryCrossEntropy, summed": |p, y| LogitBinaryCrossEntropy::new().agg(Aggregate::Sum).loss(p, y);
        "logitcrossentropy": |p, y| logitcrossentropy(p, y);
        "LogitCrossEntropy, summed": |p, y| LogitCrossEntropy::new().agg(Aggregate::Sum).loss(p, y);
    }
}

/// Whether a loss's gradient couples the elements of a column (the
/// softmax in `logitcrossentropy`) or keeps each to itself.
fn couples_columns(name: &str) -> bool {
    name.to_lowercase().starts_with("logitcrossentropy")
}

/// A `3 × cols` batch from column-major values.
fn batch<E: Float>(cols: usize, values: &[f64]) -> Features<E> {
    Features::from_fn((Const, cols), |[r, c]| E::of(values[r + 3 * c]))
}

/// `t` with element `k` set to NaN.
fn with_nan<S: Shape, E: Float>(t: &Tensor<S, E>, k: usize) -> Tensor<S, E> {
    let mut t = t.clone();
    t.as_mut_slice()[k] = E::of(f64::NAN);
    t
}

/// `a` and `b` hold the same numbers, NaN counting as equal to NaN.
fn same<E: Float>(a: E, b: E) -> bool {
    a == b || (is_nan(a) && is_nan(b))
}

/// Element by element: NaN where `reached` says, and `clean`'s value (the
/// result without the NaN) elsewhere.
fn check_reach<S: Shape, E: Float>(
    what: &str,
    actual: &Tensor<S, E>,
    clean: &Tensor<S, E>,
    reached: impl Fn(usize) -> bool,
) -> Result<(), TestCaseError> {
    for (i, (&a, &c)) in actual.iter().zip(clean.iter()).enumerate() {
        if reached(i) {
            prop_assert!(is_nan(a), "{}: element {} is {:?}, not NaN", what, i, a);
        } else {
            prop_assert!(
                same(a, c),
                "{}: element {} is {:?}, {:?} without the NaN",
                what,
                i,
                a,
                c
            );
        }
    }
    Ok(())
}

/// A random point: `cols` columns of 3 features of magnitude 0.5 to 4, a
/// cotangent, a 3 × 3 weight, probabilities and targets for the losses,
/// and the element made NaN (`k` in a batch, `wk` in the weight).
#[derive(Clone, Debug)]
struct Case {
    cols: usize,
    x: Vec<f64>,
    dy: Vec<f64>,
    w: [f64; 9],
    p: Vec<f64>,
    y: Vec<f64>,
    k: usize,
    wk: usize,
}

fn cases() -> impl Strategy<Value = Case> {
    (1usize..4)
        .prop_flat_map(|cols| {
            let n = 3 * cols;
            (
                Just(cols),
                prop::collection::vec((0.5..4.0f64, any::<bool>()), n),
                prop::collection::vec(-2.0..2.0f64, n),
                prop::array::uniform9(-1.0..1.0f64),
                prop::collection::vec(0.05..0.95f64, n),
                prop::collection::vec(0.0..1.0f64, n),
                0..n,
                0usize..9,
            )
        })
        .prop_map(|(cols, x, dy, w, p, y, k, wk)| Case {
            cols,
            x: x.into_iter()
                .map(|(m, negative)| if negative { -m } else { m })
                .collect(),
            dy,
            w,
            p,
            y,
            k,
            wk,
        })
}

fn activations_propagate_nan<E: Float>(case: &Case) -> Result<(), TestCaseError> {
    let k = case.k;
    let dy = batch::<E>(case.cols, &case.dy);
    let w = Matrix::<3, 3, E>::from_fn((Const, Const), |[r, c]| E::of(case.w[r + 3 * c]));
    for (name, kind, act) in activations::<E>() {
        // Inputs where the activation is finite (positive ones for `ln`).
        let xs: Vec<f64> = case
            .x
            .iter()
            .map(|&x| if kind.finite_at::<E>(x) { x } else { x.abs() })
            .collect();
        let x = batch::<E>(case.cols, &xs);
        let element = |i: usize| i == k;
        let column = |i: usize| i / 3 == k / 3;
        let none = |_: usize| false;

        let clean = act.value(&x);
        let value = act.value(&with_nan(&x, k));
        let clean_grad = act.gradient(&x, &dy);
        let grad = act.gradient(&with_nan(&x, k), &dy);
        let dy_grad = act.gradient(&x, &with_nan(&dy, k));
        let what = |s: &str| format!("{name}: {s}");
        match kind {
            Kind::Elementwise(_) => {
                check_reach(&what("value at a NaN input"), &value, &clean, element)?;
                check_reach(
                    &what("gradient at a NaN input"),
                    &grad,
                    &clean_grad,
                    element,
                )?;
                check_reach(
                    &what("gradient of a NaN cotangent"),
                    &dy_grad,
                    &clean_grad,
                    element,
                )?;
            }
            Kind::Columns => {
                check_reach(&what("value at a NaN input"), &value, &clean, column)?;
                check_reach(&what("gradient at a NaN input"), &grad, &clean_grad, column)?;
                check_reach(
                    &what("gradient of a NaN cotangent"),
                    &dy_grad,
                    &clean_grad,
                    column,
                )?;
            }
            Kind::Identity => {
                check_reach(&what("value at a NaN input"), &value, &clean, element)?;
                // The identity's gradient does not depend on its input.
                check_reach(&what("gradient at a NaN input"), &grad, &clean_grad, none)?;
                check_reach(
                    &what("gradient of a NaN cotangent"),
                    &dy_grad,
                    &clean_grad,
                    element,
                )?;
            }
        }

        // In a Dense layer, a NaN input reaches its column of the output and
        // the weights that multiply it. A NaN weight reaches its row of the
        // output (all of it through a softmax) and the input gradient of
        // the feature it multiplies (all of it where the activation's
        // derivative, NaN on that row, enters every feature's gradient).
        let (clean, _, clean_x) = act.dense(&w, &x, &dy);
        let (value, grad_w, _) = act.dense(&w, &with_nan(&x, k), &dy);
        check_reach(
            &what("Dense's value at a NaN input"),
            &value,
            &clean,
            column,
        )?;
        let feature = k % 3;
        prop_assert!(
            (0..3).all(|r| is_nan(grad_w[[r, feature]])),
            "{}: Dense's weight gradient {:?} at a NaN input {}",
            name,
            grad_w,
            k
        );
        let (row, input) = (case.wk % 3, case.wk / 3);
        let (value, _, grad_x) = act.dense(&with_nan(&w, case.wk), &x, &dy);
        let through_softmax = matches!(kind, Kind::Columns);
        check_reach(
            &what("Dense's value at a NaN weight"),
            &value,
            &clean,
            |i| through_softmax || i % 3 == row,
        )?;
        let linear = matches!(kind, Kind::Identity);
        check_reach(
            &what("Dense's input gradient at a NaN weight"),
            &grad_x,
            &clean_x,
            |i| !linear || i % 3 == input,
        )?;
    }
    Ok(())
}

fn losses_propagate_nan<E: Float>(case: &Case) -> Result<(), TestCaseError> {
    let k = case.k;
    let (p, y) = (
        batch::<E>(case.cols, &case.p),
        batch::<E>(case.cols, &case.y),
    );
    for (name, value, value_and_grad) in losses::<E>() {
        let reached = |i: usize| {
            if couples_columns(name) {
                i / 3 == k / 3
            } else {
                i == k
            }
        };
        let (clean, clean_grad) = value_and_grad(&p, &y);
        prop_assert!(is_finite(clean), "{}: {:?} without a NaN", name, clean);
        prop_assert!(
            same(value(&p, &y), clean),
            "{}: plain and traced values",
            name
        );
        for (what, p, y) in [
            ("prediction", with_nan(&p, k), y.clone()),
            ("target", p.clone(), with_nan(&y, k)),
        ] {
            prop_assert!(is_nan(value(&p, &y)), "{}: value at a NaN {}", name, what);
            let (l, grad) = value_and_grad(&p, &y);
            prop_assert!(is_nan(l), "{}: traced value at a NaN {}", name, what);
            check_reach(
                &format!("{name}: gradient at a NaN {what}"),
                &grad,
                &clean_grad,
                reached,
            )?;
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn activations_propagate_nan_f64(case in cases()) {
        activations_propagate_nan::<f64>(&case)?;
    }

    #[test]
    fn activations_propagate_nan_f32(case in cases()) {
        activations_propagate_nan::<f32>(&case)?;
    }

    #[test]
    fn losses_propagate_nan_f64(case in cases()) {
        losses_propagate_nan::<f64>(&case)?;
    }

    #[test]
    fn losses_propagate_nan_f32(case in cases()) {
        losses_propagate_nan::<f32>(&case)?;
    }
}

/// Every activation of the table, at every input far out where it is
/// finite, has a finite value and gradient.
fn table_activations_far_out<E: Float>() {
    for (name, kind, act) in activations::<E>() {
        let Kind::Elementwise(op) = kind else {
            continue;
        };
        let mut xs: Vec<f64> = far_out(E::MAX)
            .into_iter()
            .filter(|&x| finite_at(op, x, E::MAX))
            .collect();
        xs.resize(xs.len().div_ceil(3) * 3, 1.0);
        let x = batch::<E>(xs.len() / 3, &xs);
        let value = act.value(&x);
        let grad = act.gradient(&x, &Features::ones_with(x.shape()));
        for (i, &x) in xs.iter().enumerate() {
            assert!(
                is_finite(value.as_slice()[i]),
                "{name}({x}) = {:?}",
                value.as_slice()[i]
            );
            assert!(
                is_finite(grad.as_slice()[i]),
                "{name}'({x}) = {:?}",
                grad.as_slice()[i]
            );
        }
    }
}

#[test]
fn table_activations_far_out_f64() {
    table_activations_far_out::<f64>();
}

#[test]
fn table_activations_far_out_f32() {
    table_activations_far_out::<f32>();
}

/// The positive inputs of [`far_out`].
fn magnitudes<E: Float>() -> Vec<f64> {
    far_out(E::MAX).into_iter().filter(|&m| m > 0.0).collect()
}

/// Softmax and its logarithm of the logits `[m, -m, 0]`: `[1, 0, 0]` and
/// `[0, -2m, -m]` (`-2m` overflows to -∞ past half the largest number, as
/// the exact value does), with finite gradients.
fn softmax_far_out<E: Float>() {
    for m in magnitudes::<E>() {
        let x = batch::<E>(1, &[m, -m, 0.0]);
        let dy = batch::<E>(1, &[1.0, -2.0, 0.5]);
        let (big, zero) = (E::of(m), E::of(0.0));
        assert_eq!(
            softmax.forward(&x).to_vec(),
            vec![E::of(1.0), zero, zero],
            "softmax at {m}"
        );
        assert_eq!(
            logsoftmax.forward(&x).to_vec(),
            vec![zero, -big - big, -big],
            "logsoftmax at {m}"
        );
        for (name, grad) in [
            (
                "softmax",
                gradient(|x| (softmax.forward(x) * &dy).sum(), &x),
            ),
            (
                "logsoftmax",
                gradient(|x| (logsoftmax.forward(x) * &dy).sum(), &x),
            ),
        ] {
            assert!(
                grad.iter().all(|&g| is_finite(g)),
                "{name}' at {m}: {grad:?}"
            );
        }
    }
}

#[test]
fn softmax_far_out_f64() {
    softmax_far_out::<f64>();
}

#[test]
fn softmax_far_out_f32() {
    softmax_far_out::<f32>();
}

/// `logitcrossentropy` of the logits `[m, -m, 0]` against each one-hot
/// target `t`: `m - xₜ` (infinite only where that overflows, at target
/// `-m` past half the largest number), and the gradient
/// `softmax - t = [1, 0, 0] - t`, exactly.
fn logitcrossentropy_far_out<E: Float>() {
    for m in magnitudes::<E>() {
        let x = batch::<E>(1, &[m, -m, 0.0]);
        for t in 0..3 {
            let y = batch::<E>(1, &[0, 1, 2].map(|r| f64::from(u8::from(r == t))));
            let (l, g) = value_and_gradient(|x| logitcrossentropy(x, &y), &x);
            let expected = E::of(m) - x.as_slice()[t];
            assert_eq!(l, expected, "logitcrossentropy at ±{m}, target {t}");
            let softmax_minus_target = [1.0, 0.0, 0.0].map(E::of);
            let expected: Vec<E> = (0..3)
                .map(|r| softmax_minus_target[r] - y.as_slice()[r])
                .collect();
            assert_eq!(g.to_vec(), expected, "gradient at ±{m}, target {t}");
        }
    }
}

#[test]
fn logitcrossentropy_far_out_f64() {
    logitcrossentropy_far_out::<f64>();
}

#[test]
fn logitcrossentropy_far_out_f32() {
    logitcrossentropy_far_out::<f32>();
}

/// The other losses far out: `logitbinarycrossentropy` at scores `±m`,
/// `mae` and `huber_loss` at predictions `±m`, `mse` where `m²` is finite,
/// and the probability losses at probabilities 0 and 1, all with finite
/// values and gradients.
fn losses_far_out<E: Float>() {
    let check = |name: &str, p: &[f64], y: &[f64], (l, g): (E, Features<E>)| {
        assert!(is_finite(l), "{name}({p:?}, {y:?}) = {l:?}");
        assert!(
            g.iter().all(|&g| is_finite(g)),
            "{name}'({p:?}, {y:?}) = {g:?}"
        );
    };
    for m in magnitudes::<E>() {
        for s in [m, -m] {
            for t in [0.0, 1.0] {
                let (ps, ys) = ([s, 0.0, 0.0], [t, 0.0, 1.0]);
                let (p, y) = (batch::<E>(1, &ps), batch::<E>(1, &ys));
                let lbce = value_and_gradient(|p| logitbinarycrossentropy(p, &y), &p);
                check("logitbinarycrossentropy", &ps, &ys, lbce);
                check("mae", &ps, &ys, value_and_gradient(|p| mae(p, &y), &p));
                check(
                    "huber_loss",
                    &ps,
                    &ys,
                    value_and_gradient(|p| huber_loss(p, &y), &p),
                );
                if m < E::MAX.sqrt() / 2.0 {
                    check("mse", &ps, &ys, value_and_gradient(|p| mse(p, &y), &p));
                }
            }
        }
    }
    for q in [0.0, 1.0] {
        for t in [0.0, 1.0] {
            let (ps, ys) = ([q, 1.0 - q, 0.0], [t, 1.0 - t, 0.0]);
            let (p, y) = (batch::<E>(1, &ps), batch::<E>(1, &ys));
            check(
                "crossentropy",
                &ps,
                &ys,
                value_and_gradient(|p| crossentropy(p, &y), &p),
            );
            let bce = value_and_gradient(|p| binarycrossentropy(p, &y), &p);
            check("binarycrossentropy", &ps, &ys, bce);
        }
    }
}

#[test]
fn losses_far_out_f64() {
    losses_far_out::<f64>();
}

#[test]
fn losses_far_out_f32() {
    losses_far_out::<f32>();
}
