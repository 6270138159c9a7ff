//! The CPU backend: buffers are inline for small tensors, heap otherwise.

use crate::cpu::{CpuBuffer, parallel};
use crate::device::{BinaryOp, Device, UnaryOp};
use crate::element::Element;

/// The CPU. Tensors with few elements (64 `f32`, 32 `f64`) are stored inline,
/// on the stack, and never allocate; larger ones are a heap buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cpu;

/// Collects an exact-size iterator into a buffer.
#[inline(always)]
pub(crate) fn collect<E: Element, I: ExactSizeIterator<Item = E>>(iter: I) -> CpuBuffer<E> {
    CpuBuffer::from_exact_iter(iter)
}

/// `Σ f(x)`, with 32 partial sums: the compiler keeps them in several
/// vector registers, so additions overlap instead of each waiting on the
/// one before (with 8, one register of `f32`, a long sum ran at a third of
/// the memory bandwidth).
#[inline(always)]
fn sum_map<E: Element>(a: &[E], f: impl Fn(E) -> E) -> E {
    let mut acc = [E::zero(); 32];
    let chunks = a.chunks_exact(32);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (s, &x) in acc.iter_mut().zip(chunk) {
            *s += f(x);
        }
    }
    let mut total = rest.iter().fold(E::zero(), |s, &x| s + f(x));
    for s in acc {
        total += s;
    }
    total
}

impl Device for Cpu {
    type Buffer<E: Element> = CpuBuffer<E>;

    #[inline]
    fn full<E: Element>(&self, len: usize, value: E) -> CpuBuffer<E> {
        CpuBuffer::from_elem(value, len)
    }

    #[inline]
    fn upload<E: Element>(&self, host: &[E]) -> CpuBuffer<E> {
        CpuBuffer::from_slice(host)
    }

    #[inline]
    fn download<E: Element>(&self, buf: &CpuBuffer<E>) -> Vec<E> {
        buf.to_vec()
    }

    /// An inline buffer is copied; a heap block is shared until written.
    #[inline]
    fn copy<E: Element>(&self, buf: &CpuBuffer<E>) -> CpuBuffer<E> {
        buf.clone()
    }

    #[inline]
    fn read<E: Element>(&self, buf: &CpuBuffer<E>, index: usize) -> E {
        buf[index]
    }

    #[inline]
    fn binary<E: Element>(&self, op: BinaryOp, a: &CpuBuffer<E>, b: &CpuBuffer<E>) -> CpuBuffer<E> {
        debug_assert_eq!(a.len(), b.len());
        match op {
            BinaryOp::Add => parallel::zip(a, b, |x, y| x + y),
            BinaryOp::Sub => parallel::zip(a, b, |x, y| x - y),
            BinaryOp::Mul => parallel::zip(a, b, |x, y| x * y),
            BinaryOp::Div => parallel::zip(a, b, |x, y| x / y),
        }
    }

    #[inline]
    fn binary_assign<E: Element>(&self, op: BinaryOp, a: &mut CpuBuffer<E>, b: &CpuBuffer<E>) {
        debug_assert_eq!(a.len(), b.len());
        if a.is_shared() {
            // One pass into a fresh buffer, not a copy and then a pass.
            *a = self.binary(op, a, b);
            return;
        }
        match op {
            BinaryOp::Add => parallel::update_zip(a, b, |x, y| *x += y),
            BinaryOp::Sub => parallel::update_zip(a, b, |x, y| *x -= y),
            BinaryOp::Mul => parallel::update_zip(a, b, |x, y| *x *= y),
            BinaryOp::Div => parallel::update_zip(a, b, |x, y| *x /= y),
        }
    }

    #[inline]
    fn scalar<E: Element>(
        &self,
        op: BinaryOp,
        a: &CpuBuffer<E>,
        s: E,
        scalar_first: bool,
    ) -> CpuBuffer<E> {
        match (op, scalar_first) {
            (BinaryOp::Add, _) => parallel::map(a, |x| x + s),
            (BinaryOp::Mul, _) => parallel::map(a, |x| x * s),
            (BinaryOp::Sub, false) => parallel::map(a, |x| x - s),
            (BinaryOp::Sub, true) => parallel::map(a, |x| s - x),
            (BinaryOp::Div, false) => parallel::map(a, |x| x / s),
            (BinaryOp::Div, true) => parallel::map(a, |x| s / x),
        }
    }

    #[inline]
    fn scalar_assign<E: Element>(&self, op: BinaryOp, a: &mut CpuBuffer<E>, s: E) {
        if a.is_shared() {
            *a = self.scalar(op, a, s, false);
            return;
        }
        match op {
            BinaryOp::Add => parallel::update(a, |x| *x += s),
            BinaryOp::Sub => parallel::update(a, |x| *x -= s),
            BinaryOp::Mul => parallel::update(a, |x| *x *= s),
            BinaryOp::Div => parallel::update(a, |x| *x /= s),
        }
    }

    #[inline]
    fn unary<E: Element>(&self, op: UnaryOp, a: &CpuBuffer<E>) -> CpuBuffer<E> {
        match op {
            UnaryOp::Neg => parallel::map(a, |x| -x),
            UnaryOp::Square => parallel::map(a, |x| x * x),
            _ => parallel::map(a, |x| op.apply(x)),
        }
    }

    #[inline]
    fn axpy<E: Element>(&self, y: &mut CpuBuffer<E>, alpha: E, x: &CpuBuffer<E>) {
        debug_assert_eq!(y.len(), x.len());
        if y.is_shared() {
            *y = parallel::zip(y, x, |y, x| y + alpha * x);
            return;
        }
        parallel::update_zip(y, x, |y, x| *y += alpha * x);
    }

    #[inline]
    fn broadcast<E: Element>(
        &self,
        op: BinaryOp,
        m: &CpuBuffer<E>,
        rows: usize,
        v: &CpuBuffer<E>,
    ) -> CpuBuffer<E> {
        let mut out = m.clone();
        self.broadcast_assign::<E>(op, &mut out, rows, v);
        out
    }

    #[inline]
    fn broadcast_assign<E: Element>(
        &self,
        op: BinaryOp,
        m: &mut CpuBuffer<E>,
        rows: usize,
        v: &CpuBuffer<E>,
    ) {
        debug_assert_eq!(v.len(), rows);
        if rows > 0 && m.is_shared() {
            // One pass into a fresh buffer (also what `broadcast` does, as its
            // clone of a heap buffer is shared).
            let mut out = Vec::with_capacity(m.len());
            for col in m.chunks_exact(rows) {
                out.extend(col.iter().zip(v.iter()).map(|(&x, &b)| op.apply(x, b)));
            }
            *m = CpuBuffer::from_vec(out);
        } else if rows > 0 {
            for col in m.chunks_exact_mut(rows) {
                col.iter_mut()
                    .zip(v.iter())
                    .for_each(|(x, &b)| *x = op.apply(*x, b));
            }
        }
    }

    #[inline(always)]
    fn matmul<E: Element>(
        &self,
        m: usize,
        k: usize,
        n: usize,
        a: &CpuBuffer<E>,
        a_transposed: bool,
        b: &CpuBuffer<E>,
        b_transposed: bool,
    ) -> CpuBuffer<E> {
        let a_strides = if a_transposed { [k, 1] } else { [1, m] };
        let b_strides = if b_transposed { [n, 1] } else { [1, k] };
        E::gemm_new(m, k, n, a, a_strides, b, b_strides)
    }

    #[inline]
    fn transpose<E: Element>(&self, a: &CpuBuffer<E>, rows: usize, cols: usize) -> CpuBuffer<E> {
        collect((0..rows * cols).map(|idx| {
            let (r, c) = (idx % cols, idx / cols);
            a[c + r * rows]
        }))
    }

    #[inline]
    fn sum<E: Element>(&self, a: &CpuBuffer<E>) -> E {
        sum_map(a, |x| x)
    }

    #[inline]
    fn sum_of<E: Element>(&self, op: UnaryOp, a: &CpuBuffer<E>) -> E {
        match op {
            UnaryOp::Square => sum_map(a, |x| x * x),
            UnaryOp::Abs => sum_map(a, |x| x.abs()),
            _ => sum_map(a, |x| op.apply(x)),
        }
    }

    #[inline]
    fn max<E: Element>(&self, a: &CpuBuffer<E>) -> Option<E> {
        let (&first, rest) = a.split_first()?;
        Some(rest.iter().fold(first, |m, &x| if x > m { x } else { m }))
    }

    #[inline]
    fn sum_axis<E: Element>(
        &self,
        a: &CpuBuffer<E>,
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> CpuBuffer<E> {
        if axis == 0 {
            collect((0..cols).map(|c| {
                a[c * rows..(c + 1) * rows]
                    .iter()
                    .fold(E::zero(), |s, &x| s + x)
            }))
        } else {
            let mut out = self.full(rows, E::zero());
            for c in 0..cols {
                let col = &a[c * rows..(c + 1) * rows];
                out.iter_mut().zip(col).for_each(|(s, &x)| *s += x);
            }
            out
        }
    }

    #[inline]
    fn max_axis<E: Element>(
        &self,
        a: &CpuBuffer<E>,
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> CpuBuffer<E> {
        let bigger = |m: E, x: E| if x > m { x } else { m };
        if axis == 0 {
            collect((0..cols).map(|c| {
                let col = &a[c * rows..(c + 1) * rows];
                col[1..].iter().fold(col[0], |m, &x| bigger(m, x))
            }))
        } else {
            let mut out: CpuBuffer<E> = a[..rows].iter().copied().collect();
            for c in 1..cols {
                let col = &a[c * rows..(c + 1) * rows];
                out.iter_mut()
                    .zip(col)
                    .for_each(|(m, &x)| *m = bigger(*m, x));
            }
            out
        }
    }

    #[inline]
    fn concat_rows<E: Element>(
        &self,
        a: &CpuBuffer<E>,
        a_rows: usize,
        b: &CpuBuffer<E>,
        b_rows: usize,
        cols: usize,
    ) -> CpuBuffer<E> {
        let rows = a_rows + b_rows;
        collect((0..rows * cols).map(|idx| {
            let (r, c) = (idx % rows, idx / rows);
            if r < a_rows {
                a[r + c * a_rows]
            } else {
                b[(r - a_rows) + c * b_rows]
            }
        }))
    }
}
