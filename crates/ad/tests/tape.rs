//! The reverse-mode scalar `Var`: every elementary function against forward
//! mode (num-dual, exact), closed forms, runtime control flow, and the rules
//! for nesting recordings.

use approx::assert_relative_eq;
use nalgebra::{SVector, Vector1, vector};
use typeflux_ad::tape::{self, Var};
use typeflux_ad::{DualNum, Real, derivative, forward, lift, mixed, second_derivative};

/// One generic function per elementary operation, with points inside its
/// domain; each is differentiated by the tape and by forward mode.
macro_rules! elementary {
    ($($name:ident($x:ident) = $body:expr, at $points:expr;)*) => {
        $(
            fn $name<T: Real>($x: T) -> T {
                $body
            }
        )*
        /// `(name, f64 version, tape derivative, forward derivative,
        /// tape second derivative, forward second derivative)` at each point.
        fn elementary_cases() -> Vec<(&'static str, f64, f64, f64, f64, f64)> {
            let mut cases = Vec::new();
            $(
                for x in $points {
                    let d_tape = tape::derivative($name, x);
                    let d_fwd = derivative($name, x);
                    let (_, _, h) = mixed::hessian(|v: Vector1<Var>| $name(v[0]), Vector1::new(x));
                    let (_, _, d2_fwd) = second_derivative($name, x);
                    cases.push((stringify!($name), x, d_tape, d_fwd, h[(0, 0)], d2_fwd));
                }
            )*
            cases
        }
    };
}

elementary! {
    neg(x) = -x, at [0.5, -2.0];
    add_const(x) = x + 3.0, at [0.5];
    sub_const(x) = x - 3.0, at [0.5];
    mul_const(x) = x * 3.0, at [0.5];
    div_const(x) = x / 3.0, at [0.5];
    const_div(x) = T::from(3.0) / x, at [0.5, -2.0];
    square(x) = x * x, at [0.5, -2.0];
    cube_by_products(x) = x * x * x, at [0.5, -2.0];
    quotient(x) = (x + 1.0) / (x * x + 2.0), at [0.5, -2.0];
    recip(x) = x.recip(), at [0.5, -2.0];
    inv(x) = num_traits::Inv::inv(x), at [0.5];
    powi(x) = x.powi(5), at [0.5, -2.0];
    powi_neg(x) = x.powi(-3), at [0.5, -2.0];
    powf(x) = x.powf(2.5), at [0.5, 3.0];
    powd(x) = x.powd(x), at [0.5, 3.0];
    sqrt(x) = x.sqrt(), at [0.5, 3.0];
    cbrt(x) = x.cbrt(), at [0.5, -3.0];
    exp(x) = x.exp(), at [0.5, -2.0];
    exp2(x) = x.exp2(), at [0.5, -2.0];
    exp_m1(x) = x.exp_m1(), at [1e-3, -2.0];
    ln(x) = x.ln(), at [0.5, 3.0];
    log(x) = x.log(7.0), at [0.5, 3.0];
    log2(x) = x.log2(), at [0.5, 3.0];
    log10(x) = x.log10(), at [0.5, 3.0];
    ln_1p(x) = x.ln_1p(), at [1e-3, 3.0];
    sin(x) = x.sin(), at [0.5, -2.0];
    cos(x) = x.cos(), at [0.5, -2.0];
    tan(x) = x.tan(), at [0.5, -1.0];
    sin_cos(x) = { let (s, c) = x.sin_cos(); s * c * c }, at [0.5, -2.0];
    asin(x) = x.asin(), at [0.5, -0.7];
    acos(x) = x.acos(), at [0.5, -0.7];
    atan(x) = x.atan(), at [0.5, -2.0];
    atan2_y(x) = x.atan2(T::from(-1.5)), at [0.5, -2.0];
    atan2_x(x) = T::from(-1.5).atan2(x), at [0.5, -2.0];
    sinh(x) = x.sinh(), at [0.5, -2.0];
    cosh(x) = x.cosh(), at [0.5, -2.0];
    tanh(x) = x.tanh(), at [0.5, -2.0];
    asinh(x) = x.asinh(), at [0.5, -2.0];
    acosh(x) = x.acosh(), at [1.5, 3.0];
    atanh(x) = x.atanh(), at [0.5, -0.7];
    sph_j0(x) = x.sph_j0(), at [0.5, 4.0, 0.0];
    sph_j1(x) = x.sph_j1(), at [0.5, 4.0, 0.0];
    sph_j2(x) = x.sph_j2(), at [0.5, 4.0, 0.0];
    mul_add(x) = x.mul_add(x, T::from(2.0)), at [0.5, -2.0];
    scale(x) = x.scale(&num_traits::FromPrimitive::from_f64(3.0).unwrap()), at [0.5];
    abs(x) = x.abs(), at [0.5, -2.0];
    abs_sub(x) = num_traits::Signed::abs_sub(&x, &T::from(1.0)), at [0.5, 2.0];
    signum(x) = x.signum() * x, at [0.5, -2.0];
    sum(x) = [x, x * 2.0, x.sin()].into_iter().sum(), at [0.5];
    product(x) = [x, x + 2.0, x.sin()].into_iter().product(), at [0.5];
    assign_ops(x) = { let mut y = x; y += x; y *= x; y -= 1.0; y /= x + 3.0; y }, at [0.5, -2.0];
}

#[test]
fn every_elementary_function_matches_forward_mode() {
    for (name, x, d_tape, d_fwd, d2_mixed, d2_fwd) in elementary_cases() {
        assert!(d_fwd.is_finite() && d2_fwd.is_finite(), "{name} at {x}");
        assert_relative_eq!(d_tape, d_fwd, epsilon = 1e-14, max_relative = 1e-13);
        assert_relative_eq!(d2_mixed, d2_fwd, epsilon = 1e-13, max_relative = 1e-12);
    }
}

#[test]
fn closed_forms() {
    // d/dx sin x = cos x, d/dx x⁵ = 5x⁴, d/dx j₀(x) = −j₁(x).
    assert_eq!(tape::derivative(sin, 0.3), 0.3f64.cos());
    assert_eq!(tape::derivative(powi, 2.0), 80.0);
    assert_relative_eq!(
        tape::derivative(sph_j0, 2.0),
        -2f64.sph_j1(),
        max_relative = 1e-15
    );
    // d/dx j₁(x) = j₀(x) − 2 j₁(x)/x
    let x = 1.7f64;
    assert_relative_eq!(
        tape::derivative(sph_j1, x),
        x.sph_j0() - 2.0 * x.sph_j1() / x,
        max_relative = 1e-14
    );
    // ∂/∂y atan2(y, x) = x / (x² + y²), ∂/∂x = −y / (x² + y²)
    let (v, g) = tape::gradient_array(|[y, x]| y.atan2(x), [1.0, -2.0]);
    assert_eq!(v, 1f64.atan2(-2.0));
    assert_relative_eq!(g[0], -2.0 / 5.0, max_relative = 1e-15);
    assert_relative_eq!(g[1], -1.0 / 5.0, max_relative = 1e-15);
}

#[test]
fn remainder() {
    // a % b = a − b·trunc(a/b); num-dual leaves `%` unimplemented.
    let (v, g) = tape::gradient_array(|[a, b]| a % b, [7.5, 2.0]);
    assert_eq!((v, g), (1.5, [1.0, -3.0]));
    let (v, g) = tape::gradient_array(|[a, b]| a % b, [-7.5, 2.0]);
    assert_eq!((v, g), (-1.5, [1.0, 3.0]));
    let (_, _, h) = mixed::hessian(|x| x[0] % x[1] * x[0], vector![7.5, 2.0]);
    assert_eq!(h, nalgebra::matrix![2.0, -3.0; -3.0, 0.0]);
}

#[test]
fn binary_operations_match_forward_mode() {
    fn f<T: Real>(a: T, b: T) -> T {
        a.atan2(b) + (a / b).sin() * a.powd(b) + (a - b).abs() * a.mul_add(b, a)
    }
    for [a, b] in [[1.3, 0.4], [0.2, 2.5], [2.0, -0.7]] {
        let (v, g) = tape::gradient_array(|[a, b]| f(a, b), [a, b]);
        let (fv, fg) = forward::forward_gradient(|x| f(x[0], x[1]), vector![a, b]);
        assert_eq!(v, fv);
        assert_relative_eq!(g[0], fg[0], max_relative = 1e-13);
        assert_relative_eq!(g[1], fg[1], max_relative = 1e-13);
    }
}

#[test]
fn gradient_of_slices_and_arrays_agree() {
    fn f<T: Real>(x: &[T]) -> T {
        x.windows(2).map(|w| (w[0] * w[1]).sin()).sum::<T>() * x[0].exp()
    }
    let x = [0.3, -1.2, 0.8, 2.0];
    let (v1, g1) = tape::gradient(f, &x);
    let (v2, g2) = tape::gradient_array(|x| f(&x), x);
    let (v3, g3) = forward::forward_gradient(|x: SVector<_, 4>| f(x.as_slice()), SVector::from(x));
    assert_eq!((v1, &g1[..]), (v2, &g2[..]));
    assert_eq!(v1, v3);
    for i in 0..4 {
        assert_relative_eq!(g1[i], g3[i], max_relative = 1e-14);
    }
}

#[test]
fn constants_and_unused_inputs() {
    // A result that does not depend on the variables has a zero gradient.
    assert_eq!(
        tape::gradient(|_| Var::constant(3.0), &[1.0, 2.0]),
        (3.0, vec![0.0, 0.0])
    );
    assert_eq!(
        tape::gradient(|x| x[1] * 2.0, &[1.0, 2.0, 3.0]),
        (4.0, vec![0.0, 2.0, 0.0])
    );
    assert_eq!(
        tape::gradient(|x: &[Var]| x[0] * 0.0, &[1.0]),
        (0.0, vec![0.0])
    );
    // No variables at all.
    assert_eq!(tape::gradient(|_| Var::constant(1.0), &[]), (1.0, vec![]));
    // Operations on constants record nothing and stay constants.
    let c = Var::constant(2.0).sin() * 3.0 + Var::from(1.0);
    assert!(c.is_constant());
    assert_eq!(c.value(), 2f64.sin() * 3.0 + 1.0);
}

/// Newton's iteration for the cube root: the number of steps depends on `a`.
fn cbrt_newton<T: Real>(a: T) -> T {
    let mut x = a;
    let mut steps = 0;
    while (x * x * x - a).abs() > 1e-15 * a.re().abs() && steps < 100 {
        x = x - (x * x * x - a) / (x * x * 3.0);
        steps += 1;
    }
    x
}

#[test]
fn loop_with_a_data_dependent_trip_count() {
    for a in [0.5, 2.0, 27.0, 1000.0] {
        let d = tape::derivative(cbrt_newton, a);
        let exact = a.powf(-2.0 / 3.0) / 3.0;
        assert_relative_eq!(d, exact, max_relative = 1e-12);
        assert_relative_eq!(d, derivative(cbrt_newton, a), max_relative = 1e-12);
    }
}

/// Doubles `x` until it exceeds 10: `f(x) = 2ⁿ x` where `n` depends on `x`.
fn double_until_ten<T: Real>(x: T) -> T {
    let mut y = x;
    while y < 10.0 {
        y *= 2.0;
    }
    y
}

#[test]
fn derivative_follows_the_iterations_taken() {
    assert_eq!(tape::derivative(double_until_ten, 3.0), 4.0); // 3 → 6 → 12
    assert_eq!(tape::derivative(double_until_ten, 1.0), 16.0); // 1 → … → 16
    assert_eq!(tape::derivative(double_until_ten, 11.0), 1.0);
}

fn piecewise<T: Real>(x: T) -> T {
    if x < 0.0 {
        x * x
    } else if x < 1.0 {
        x.sin()
    } else {
        x.ln() + 1.0f64.sin()
    }
}

#[test]
fn branch_on_a_value() {
    assert_eq!(tape::derivative(piecewise, -2.0), -4.0);
    assert_eq!(tape::derivative(piecewise, 0.5), 0.5f64.cos());
    assert_eq!(tape::derivative(piecewise, 4.0), 0.25);
    // Branches in a multivariate function: the max of two coordinates.
    let max = |x: &[Var]| if x[0] > x[1] { x[0] * 3.0 } else { x[1] * 5.0 };
    assert_eq!(tape::gradient(max, &[2.0, 1.0]).1, vec![3.0, 0.0]);
    assert_eq!(tape::gradient(max, &[1.0, 2.0]).1, vec![0.0, 5.0]);
}

#[test]
fn single_precision() {
    fn g<T: Real<f32>>(x: T) -> T {
        x.sin() * x.exp()
    }
    let d = tape::derivative(g, 0.5f32);
    assert_relative_eq!(d, derivative(g, 0.5f32), max_relative = 1e-6);
    let (v, gr) = tape::gradient(|x: &[Var<f32>]| x[0] * x[1], &[2.0f32, 3.0]);
    assert_eq!((v, gr), (6.0, vec![3.0, 2.0]));
}

#[test]
fn f32_and_f64_recordings_are_independent() {
    let d = tape::derivative(
        |x: Var<f64>| {
            let inner = tape::derivative(|y: Var<f32>| y * y, 3.0f32);
            x * f64::from(inner)
        },
        1.0f64,
    );
    assert_eq!(d, 6.0);
}

#[test]
fn nested_recording_of_an_independent_function() {
    // The inner gradient is a constant to the outer recording.
    let d = tape::derivative(
        |x| {
            let (_, g) = tape::gradient(|y| y[0] * y[1], &[2.0, 5.0]);
            x * x * g[0]
        },
        3.0,
    );
    assert_eq!(d, 30.0); // d/dx 5x²
    // And the outer recording goes on correctly after the inner one ended.
    let d = tape::derivative(
        |x| {
            let a = x.sin();
            let inner = tape::derivative(|y| y.exp(), 0.0);
            a * x + inner
        },
        1.0,
    );
    assert_relative_eq!(d, 1f64.cos() + 1f64.sin(), max_relative = 1e-15);
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn outer_variable_inside_a_nested_recording_panics() {
    let msg = panic_message(|| {
        tape::derivative(|x| tape::derivative(|y| x * y, 1.0) * x, 2.0);
    });
    assert!(msg.contains("enclosing recording"), "{msg}");
    // The tape is usable afterwards.
    assert_eq!(tape::derivative(|x| x * x, 3.0), 6.0);
}

#[test]
fn variable_used_after_its_recording_panics() {
    let mut leaked = None;
    tape::derivative(
        |x| {
            leaked = Some(x);
            x
        },
        1.0,
    );
    let leaked = leaked.unwrap();
    assert_eq!(leaked.value(), 1.0); // reading the value is fine
    let msg = panic_message(|| {
        tape::derivative(|y| y * leaked, 2.0);
    });
    assert!(msg.contains("after its recording ended"), "{msg}");
    let msg = panic_message(|| {
        let _ = leaked.sin();
    });
    assert!(msg.contains("after its recording ended"), "{msg}");
    // A linear function of it records nothing, but cannot be a result either.
    let msg = panic_message(|| {
        tape::derivative(|_| leaked * 2.0 + 1.0, 2.0);
    });
    assert!(msg.contains("after its recording ended"), "{msg}");
}

#[test]
fn variable_sent_to_another_thread_panics_there() {
    tape::derivative(
        |x| {
            let msg = std::thread::spawn(move || {
                panic_message(|| {
                    let _ = x.sin();
                })
            })
            .join()
            .unwrap();
            assert!(msg.contains("on another thread"), "{msg}");
            x
        },
        1.0,
    );
}

#[test]
fn panic_inside_the_function_closes_the_recording() {
    let result = std::panic::catch_unwind(|| {
        tape::derivative(
            |x| {
                let _ = x * x;
                panic!("user error")
            },
            1.0,
        )
    });
    assert!(result.is_err());
    assert_eq!(
        tape::gradient(|x| x[0] * x[1], &[2.0, 3.0]).1,
        vec![3.0, 2.0]
    );
}

#[test]
fn forward_mode_inside_a_recording() {
    // d/dx [x · d/dy (x y²) at y = x] = d/dx 2x³ = 6x²
    let d = tape::derivative(|x| x * derivative(|y| lift(x) * y * y, x), 2.0);
    assert_eq!(d, 24.0);
    // The derivative of a derivative, through a loop: d²/da² ∛a by reverse
    // over forward.
    let a: f64 = 8.0;
    let d2 = tape::derivative(|a| derivative(cbrt_newton, a), a);
    assert_relative_eq!(d2, -2.0 / 9.0 * a.powf(-5.0 / 3.0), max_relative = 1e-10);
}

#[test]
fn threads_record_independently() {
    let handles: Vec<_> = (0..4)
        .map(|k| {
            std::thread::spawn(move || {
                let x = k as f64 + 1.0;
                (0..200)
                    .map(|_| tape::derivative(|v| v.powi(3) * v.sin(), x))
                    .sum::<f64>()
                    / 200.0
            })
        })
        .collect();
    for (k, h) in handles.into_iter().enumerate() {
        let x = k as f64 + 1.0;
        let exact = 3.0 * x * x * x.sin() + x.powi(3) * x.cos();
        assert_relative_eq!(h.join().unwrap(), exact, max_relative = 1e-13);
    }
}

#[test]
fn formatting() {
    let c = Var::constant(1.5);
    assert_eq!(format!("{c}"), "1.5");
    assert_eq!(format!("{c:?}"), "Var::constant(1.5)");
    tape::derivative(
        |x| {
            assert_eq!(format!("{x}"), "2");
            assert!(format!("{x:?}").starts_with("Var { value: 2.0, node: "));
            x
        },
        2.0,
    );
    use num_traits::Num;
    assert_eq!(Var::<f64>::from_str_radix("2.5", 10).unwrap().value(), 2.5);
}
