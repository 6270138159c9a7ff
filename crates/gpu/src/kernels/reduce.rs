//! Reductions: of all elements (a partial result per block, then the
//! partials in one block), and along either axis of a matrix.
//!
//! Maxima follow the CPU's rule: the largest element, or NaN where any
//! element is NaN (Julia's `maximum`). Each thread takes its first element
//! as it is and a later one if it is larger or NaN, and a tree step keeps
//! its left operand unless the right one is larger or NaN; once NaN, a
//! running maximum stays NaN, as no element is larger than it.

use super::{BLOCK, Size, grid_stride};
use crate::kernels::elementwise::value;
use crate::ptx::{Cmp, Float, Global, Kernel, Operand, Reg, Special, U32};
use typeflux_core::UnaryOp;

/// What a reduction computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// `Σ x`
    Sum,
    /// `max x`
    Max,
    /// `Σ op(x)`, in one pass.
    SumOf(UnaryOp),
}

impl Reduction {
    /// Its name in a kernel's.
    pub fn name(self) -> String {
        match self {
            Reduction::Sum => "sum".into(),
            Reduction::Max => "max".into(),
            Reduction::SumOf(op) => format!("sum_{}", op.name()),
        }
    }

    /// How partial results combine: sums add, maxima compare.
    pub fn combine(self) -> Reduction {
        match self {
            Reduction::Max => Reduction::Max,
            _ => Reduction::Sum,
        }
    }
}

/// `acc ⊕ v` where `v` is not the first element (`first` says when it is).
fn step<T: Float>(
    k: &mut Kernel,
    reduction: Reduction,
    acc: Reg<T>,
    v: Reg<T>,
    first: Option<crate::ptx::Reg<crate::ptx::Pred>>,
) -> Reg<T> {
    match reduction {
        Reduction::Max => {
            let larger = k.setp(Cmp::Gt, v, acc);
            let nan = k.is_nan(v);
            let larger = k.or_pred(larger, nan);
            let take = match first {
                Some(first) => k.or_pred(larger, first),
                None => larger,
            };
            k.selp(take, v, acc)
        }
        _ => k.add(acc, v),
    }
}

fn identity<T: Float>(reduction: Reduction) -> Operand<T> {
    match reduction {
        Reduction::Max => T::lit(f64::NEG_INFINITY),
        _ => T::lit(0.0),
    }
}

/// `(x, partials, len)`: block `b` writes the reduction of the elements it
/// strides over to `partials[b]`. Blocks of [`BLOCK`] threads.
pub fn all<T: Float>(k: &mut Kernel, reduction: Reduction, len: Size) {
    k.max_threads(BLOCK);
    let x = k.param_ptr();
    let partials = k.param_ptr();
    let n = len.load(k);
    let shared = k.shared::<T>(BLOCK);
    let acc = k.mov(identity::<T>(reduction));
    grid_stride(k, n, |k, i| {
        let at = k.global::<T>(x, i);
        let v = k.ld::<T, Global>(at);
        let v = match reduction {
            Reduction::SumOf(op) => value(k, op, v),
            _ => v,
        };
        let first = k.setp(Cmp::Eq, i, 0u32);
        let next = step(k, reduction, acc, v, Some(first));
        k.assign(acc, next);
    });
    let tid = k.special(Special::TidX);
    let mine = k.at(shared, tid);
    k.st::<T, _>(mine, acc);
    k.bar_sync();
    let mut half = BLOCK / 2;
    while half > 0 {
        let active = k.setp(Cmp::Lt, tid, half);
        k.when(active, |k| {
            let left = k.ld::<T, _>(mine);
            let other = k.add(tid, half);
            let at = k.at(shared, other);
            let right = k.ld::<T, _>(at);
            let r = step(k, reduction.combine(), left, right, None);
            k.st::<T, _>(mine, r);
        });
        k.bar_sync();
        half /= 2;
    }
    let leader = k.setp(Cmp::Eq, tid, 0u32);
    k.when(leader, |k| {
        let total = k.ld::<T, _>(mine);
        let block = k.special(Special::CtaidX);
        let at = k.global::<T>(partials, block);
        k.st::<T, Global>(at, total);
    });
}

/// `(x, out, rows, cols)`: along axis 0 one result per column (a thread
/// per column), along axis 1 one per row (a thread per row, reading
/// columns in order). Either way in the CPU's order of operations.
pub fn axis<T: Float>(k: &mut Kernel, reduction: Reduction, axis: u8, rows: Size, cols: Size) {
    let x = k.param_ptr();
    let out = k.param_ptr();
    let rows = rows.load(k);
    let cols = cols.load(k);
    // Along axis 0: outputs are columns, each `rows` long at stride 1.
    let (outputs, length, stride_in, stride_out): (
        Operand<U32>,
        Operand<U32>,
        Operand<U32>,
        Operand<U32>,
    ) = if axis == 0 {
        (cols, rows, 1u32.into(), rows)
    } else {
        (rows, cols, rows, 1u32.into())
    };
    grid_stride(k, outputs, |k, o| {
        let base = k.mul(o, stride_out);
        let acc = k.mov(identity::<T>(reduction));
        if reduction == Reduction::Max {
            let at = k.global::<T>(x, base);
            let first = k.ld::<T, Global>(at);
            k.assign(acc, first);
        }
        let start = if reduction == Reduction::Max { 1u32 } else { 0 };
        k.range(start, length, 1u32, |k, e| {
            let idx = k.fma(e, stride_in, base);
            let at = k.global::<T>(x, idx);
            let v = k.ld::<T, Global>(at);
            let next = step(k, reduction, acc, v, None);
            k.assign(acc, next);
        });
        let at = k.global::<T>(out, o);
        k.st::<T, Global>(at, acc);
    });
}
