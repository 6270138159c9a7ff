//! Softmax, logsoftmax, their pullbacks and the logit cross-entropy: a
//! thread per column, each pass over the column in the CPU's order of
//! operations, so one kernel does what the CPU's loop does (a column is a
//! sample's classes: few rows, many columns).

use super::{Size, grid_stride};
use crate::ptx::{Cmp, Float, Global, Kernel, Operand, Reg, U32, U64, math};

fn load<T: Float>(k: &mut Kernel, base: Reg<U64>, idx: Reg<U32>) -> Reg<T> {
    let at = k.global::<T>(base, idx);
    k.ld::<T, Global>(at)
}

fn store<T: Float>(k: &mut Kernel, base: Reg<U64>, idx: Reg<U32>, v: Reg<T>) {
    let at = k.global::<T>(base, idx);
    k.st::<T, Global>(at, v);
}

/// `for r in 0..rows { body(index of (r, column)) }`.
fn each_row(
    k: &mut Kernel,
    from: u32,
    rows: Operand<U32>,
    first: Reg<U32>,
    body: impl FnOnce(&mut Kernel, Reg<U32>),
) {
    k.range(from, rows, 1u32, |k, r| {
        let idx = k.add(first, r);
        body(k, idx);
    });
}

/// The largest element of the column starting at `first`.
fn column_max<T: Float>(
    k: &mut Kernel,
    x: Reg<U64>,
    rows: Operand<U32>,
    first: Reg<U32>,
) -> Reg<T> {
    let max = load::<T>(k, x, first);
    each_row(k, 1, rows, first, |k, idx| {
        let v = load::<T>(k, x, idx);
        let larger = k.setp(Cmp::Gt, v, max);
        let m = k.selp(larger, v, max);
        k.assign(max, m);
    });
    max
}

/// `Σ e^(x - max)` over the column.
fn exp_sum<T: Float>(
    k: &mut Kernel,
    x: Reg<U64>,
    rows: Operand<U32>,
    first: Reg<U32>,
    max: Reg<T>,
) -> Reg<T> {
    let sum = k.mov(T::lit(0.0));
    each_row(k, 0, rows, first, |k, idx| {
        let v = load::<T>(k, x, idx);
        let d = k.sub(v, max);
        let e = math::exp(k, d);
        let s = k.add(sum, e);
        k.assign(sum, s);
    });
    sum
}

/// The loop over columns, with each column's first index and number, for a kernel whose
/// size parameters are `rows` and `cols`.
fn columns(
    k: &mut Kernel,
    rows: Size,
    cols: Size,
    body: impl FnOnce(&mut Kernel, Operand<U32>, Reg<U32>, Reg<U32>),
) {
    let rows = rows.load(k);
    let cols = cols.load(k);
    grid_stride(k, cols, |k, c| {
        let first = k.mul(c, rows);
        body(k, rows, first, c);
    });
}

/// `(x, y, rows, cols)`.
pub fn softmax<T: Float>(k: &mut Kernel, log: bool, rows: Size, cols: Size) {
    let x = k.param_ptr();
    let y = k.param_ptr();
    columns(k, rows, cols, |k, rows, first, _| {
        let max = column_max::<T>(k, x, rows, first);
        if log {
            let sum = exp_sum(k, x, rows, first, max);
            let shift = math::ln(k, sum);
            each_row(k, 0, rows, first, |k, idx| {
                let v = load::<T>(k, x, idx);
                let d = k.sub(v, max);
                let r = k.sub(d, shift);
                store(k, y, idx, r);
            });
        } else {
            let sum = k.mov(T::lit(0.0));
            each_row(k, 0, rows, first, |k, idx| {
                let v = load::<T>(k, x, idx);
                let d = k.sub(v, max);
                let e = math::exp(k, d);
                store(k, y, idx, e);
                let s = k.add(sum, e);
                k.assign(sum, s);
            });
            let inv = k.rcp(sum);
            each_row(k, 0, rows, first, |k, idx| {
                let e = load::<T>(k, y, idx);
                let r = k.mul(e, inv);
                store(k, y, idx, r);
            });
        }
    });
}

/// `(y, dy, dx, rows, cols)`: `dy - e^y · Σ dy` after logsoftmax,
/// `y ⊙ (dy - Σ dy ⊙ y)` after softmax.
pub fn pullback<T: Float>(k: &mut Kernel, log: bool, rows: Size, cols: Size) {
    let y = k.param_ptr();
    let dy = k.param_ptr();
    let dx = k.param_ptr();
    columns(k, rows, cols, |k, rows, first, _| {
        let total = k.mov(T::lit(0.0));
        each_row(k, 0, rows, first, |k, idx| {
            let d = load::<T>(k, dy, idx);
            let t = if log {
                k.add(total, d)
            } else {
                let yv = load::<T>(k, y, idx);
                let p = k.mul(d, yv);
                k.add(total, p)
            };
            k.assign(total, t);
        });
        each_row(k, 0, rows, first, |k, idx| {
            let d = load::<T>(k, dy, idx);
            let yv = load::<T>(k, y, idx);
            let r = if log {
                let e = math::exp(k, yv);
                let p = k.mul(e, total);
                k.sub(d, p)
            } else {
                let diff = k.sub(d, total);
                k.mul(yv, diff)
            };
            store(k, dx, idx, r);
        });
    });
}

/// `(x, y, grad, losses, scale, rows, cols)`: per column
/// `ls = x - max - ln Σ e^(x - max)`, the loss `-Σ y · ls` over the targets
/// that are not 0, and the gradient `scale · (e^ls · Σ y - y)`.
pub fn cross_entropy<T: Float>(k: &mut Kernel, rows: Size, cols: Size) {
    let x = k.param_ptr();
    let target = k.param_ptr();
    let grad = k.param_ptr();
    let losses = k.param_ptr();
    let scale = k.param::<T>();
    columns(k, rows, cols, |k, rows, first, c| {
        let max = column_max::<T>(k, x, rows, first);
        let sum = exp_sum(k, x, rows, first, max);
        let shift = math::ln(k, sum);
        let mass = k.mov(T::lit(0.0));
        each_row(k, 0, rows, first, |k, idx| {
            let t = load::<T>(k, target, idx);
            let m = k.add(mass, t);
            k.assign(mass, m);
        });
        let loss = k.mov(T::lit(0.0));
        each_row(k, 0, rows, first, |k, idx| {
            let v = load::<T>(k, x, idx);
            let t = load::<T>(k, target, idx);
            let d = k.sub(v, max);
            let ls = k.sub(d, shift);
            // A zero target adds nothing (a NaN one does, as on the CPU).
            let zero = k.setp(Cmp::Eq, t, T::lit(0.0));
            let skip = k.label();
            k.bra_if(zero, skip);
            let p = k.mul(t, ls);
            let l = k.sub(loss, p);
            k.assign(loss, l);
            k.place(skip);
            let e = math::exp(k, ls);
            let g = k.mul(e, mass);
            let g = k.sub(g, t);
            let g = k.mul(g, scale);
            store(k, grad, idx, g);
        });
        store(k, losses, c, loss);
    });
}
