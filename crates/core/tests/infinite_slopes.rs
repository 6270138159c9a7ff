//! Activations at ±∞ and their slopes there: the limits, not NaN, on the
//! CPU device's table (which derives slopes with dual numbers).

use typeflux_core::{Cpu, Device, Kernels, UnaryOp};

fn value_and_slope(op: UnaryOp, x: f64) -> (f64, f64) {
    let a = Cpu.upload::<(usize,), f64>(&[x]);
    let (v, s) = Cpu.unary_slope::<(usize,)>(op, &a);
    (
        Cpu.download::<(usize,), f64>(&v)[0],
        Cpu.download::<(usize,), f64>(&s)[0],
    )
}

#[test]
fn saturating_activations_reach_their_limits_with_zero_slope() {
    let cases = [
        (UnaryOp::Tanh, f64::INFINITY, 1.0, 0.0),
        (UnaryOp::Tanh, f64::NEG_INFINITY, -1.0, 0.0),
        (UnaryOp::Sigmoid, f64::INFINITY, 1.0, 0.0),
        (UnaryOp::Sigmoid, f64::NEG_INFINITY, 0.0, 0.0),
        (
            UnaryOp::Atan,
            f64::INFINITY,
            core::f64::consts::FRAC_PI_2,
            0.0,
        ),
        (UnaryOp::Relu, f64::NEG_INFINITY, 0.0, 0.0),
        (UnaryOp::Exp, f64::NEG_INFINITY, 0.0, 0.0),
    ];
    for (op, x, value, slope) in cases {
        let (v, s) = value_and_slope(op, x);
        assert_eq!((v, s), (value, slope), "{}({x})", op.name());
    }
}
