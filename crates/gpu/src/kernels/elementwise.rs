//! Elementwise kernels: one thread per element, the grid striding over the
//! buffer. The table's operations come from [`value`] and
//! [`value_and_slope`], which evaluate core's table on registers.

use super::{Size, apply, grid_stride, product};
use crate::ptx::{Float, Fwd, Global, Kernel, Reg, Sym, U32, trace};
use typeflux_core::elementwise::{Elementwise, OpVisitor};
use typeflux_core::{BinaryOp, UnaryOp};

/// `op(x)`, from the operation's line of the table.
pub fn value<T: Float>(k: &mut Kernel, op: UnaryOp, x: Reg<T>) -> Reg<T> {
    struct Value<T>(Reg<T>);
    impl<T: Float> OpVisitor for Value<T> {
        type Out = Reg<T>;
        fn visit<F: Elementwise>(self) -> Reg<T> {
            F::apply(Sym::from(self.0)).reg()
        }
    }
    trace(k, || op.dispatch(Value(x)))
}

/// `op(x)` and `op'(x)`: the table's line on a dual number, both NaN where
/// `x` is, as the CPU's `value_and_slope`.
pub fn value_and_slope<T: Float>(k: &mut Kernel, op: UnaryOp, x: Reg<T>) -> (Reg<T>, Reg<T>) {
    struct Slope<T>(Reg<T>);
    impl<T: Float> OpVisitor for Slope<T> {
        type Out = (Reg<T>, Reg<T>);
        fn visit<F: Elementwise>(self) -> (Reg<T>, Reg<T>) {
            let d = F::apply(Fwd::variable(Sym::from(self.0)));
            (d.re.reg(), d.eps.reg())
        }
    }
    let (y, dy) = trace(k, || op.dispatch(Slope(x)));
    let nan = k.is_nan(x);
    (k.selp(nan, x, y), k.selp(nan, x, dy))
}

fn load<T: Float>(k: &mut Kernel, base: Reg<crate::ptx::U64>, i: Reg<U32>) -> Reg<T> {
    let at = k.global::<T>(base, i);
    k.ld::<T, Global>(at)
}

fn store<T: Float>(k: &mut Kernel, base: Reg<crate::ptx::U64>, i: Reg<U32>, v: Reg<T>) {
    let at = k.global::<T>(base, i);
    k.st::<T, Global>(at, v);
}

/// `(out, value, len)`.
pub fn fill<T: Float>(k: &mut Kernel, len: Size) {
    let out = k.param_ptr();
    let value = k.param::<T>();
    let n = len.load(k);
    grid_stride(k, n, |k, i| store(k, out, i, value));
}

/// `(x, y, len)` or, with the slope, `(x, y, dy, len)`.
pub fn unary<T: Float>(k: &mut Kernel, op: UnaryOp, slope: bool, len: Size) {
    let x = k.param_ptr();
    let y = k.param_ptr();
    let dy = slope.then(|| k.param_ptr());
    let n = len.load(k);
    grid_stride(k, n, |k, i| {
        let v = load::<T>(k, x, i);
        match dy {
            Some(dy) => {
                let (value, slope) = value_and_slope(k, op, v);
                store(k, y, i, value);
                store(k, dy, i, slope);
            }
            None => {
                let value = value(k, op, v);
                store(k, y, i, value);
            }
        }
    });
}

/// `(a, b, out, len)`.
pub fn binary<T: Float>(k: &mut Kernel, op: BinaryOp, len: Size) {
    let a = k.param_ptr();
    let b = k.param_ptr();
    let out = k.param_ptr();
    let n = len.load(k);
    grid_stride(k, n, |k, i| {
        let x = load::<T>(k, a, i);
        let y = load::<T>(k, b, i);
        let r = apply(k, op, x, y);
        store(k, out, i, r);
    });
}

/// `(a, out, s, len)`.
pub fn scalar<T: Float>(k: &mut Kernel, op: BinaryOp, scalar_first: bool, len: Size) {
    let a = k.param_ptr();
    let out = k.param_ptr();
    let s = k.param::<T>();
    let n = len.load(k);
    grid_stride(k, n, |k, i| {
        let x = load::<T>(k, a, i);
        let r = if scalar_first {
            apply(k, op, s, x)
        } else {
            apply(k, op, x, s)
        };
        store(k, out, i, r);
    });
}

/// `(y, x, alpha, len)`: `y += alpha · x`, the product rounded before the
/// sum, as on the CPU.
pub fn axpy<T: Float>(k: &mut Kernel, len: Size) {
    let y = k.param_ptr();
    let x = k.param_ptr();
    let alpha = k.param::<T>();
    let n = len.load(k);
    grid_stride(k, n, |k, i| {
        let xv = load::<T>(k, x, i);
        let yv = load::<T>(k, y, i);
        let scaled = k.mul(alpha, xv);
        let r = k.add(yv, scaled);
        store(k, y, i, r);
    });
}

/// `(m, v, out, rows, cols)`.
pub fn broadcast<T: Float>(k: &mut Kernel, op: BinaryOp, rows: Size, cols: Size) {
    let m = k.param_ptr();
    let v = k.param_ptr();
    let out = k.param_ptr();
    let rows = rows.load(k);
    let cols = cols.load(k);
    let n = product(k, rows, cols);
    grid_stride(k, n, |k, i| {
        let row = k.rem(i, rows);
        let x = load::<T>(k, m, i);
        let b = load::<T>(k, v, row);
        let r = apply(k, op, x, b);
        store(k, out, i, r);
    });
}
