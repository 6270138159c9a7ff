//! The CPU kernels, written once over [`HostBuffer`] and shared by the two
//! CPU devices: [`Cpu`] (buffers inline for small tensors, heap otherwise)
//! and [`Stack`] (buffers sized by the shape).

use crate::cpu::{CpuBuffer, Host, HostBuffer, Stack, cache, parallel};
use crate::device::{BinaryOp, Device, UnaryOp};
use crate::element::Element;
use crate::shape::Shape;

/// The CPU. Tensors with few elements (64 `f32`, 32 `f64`) are stored inline,
/// on the stack, and never allocate; larger ones are a heap buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cpu;

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

/// The kernels over host buffers, generic over the buffer types of the
/// operands and the result.
///
/// The passes over two operands (`binary`, `binary_assign`, `axpy`) have
/// their lengths checked in [`parallel`], whose split passes write through
/// uninitialised memory.
mod host {
    use super::*;

    /// The elements of a `rows × cols` result.
    #[inline(always)]
    #[track_caller]
    fn count(op: &str, rows: usize, cols: usize) -> usize {
        match rows.checked_mul(cols) {
            Some(n) => n,
            None => panic!("{op}: a {rows}x{cols} result has more elements than a usize counts"),
        }
    }

    #[inline(always)]
    pub(super) fn binary<E: Element, O: HostBuffer<E>>(op: BinaryOp, a: &[E], b: &[E]) -> O {
        match op {
            BinaryOp::Add => parallel::zip(a, b, |x, y| x + y),
            BinaryOp::Sub => parallel::zip(a, b, |x, y| x - y),
            BinaryOp::Mul => parallel::zip(a, b, |x, y| x * y),
            BinaryOp::Div => parallel::zip(a, b, |x, y| x / y),
        }
    }

    #[inline(always)]
    pub(super) fn binary_assign<E: Element, B: HostBuffer<E>>(op: BinaryOp, a: &mut B, b: &[E]) {
        if a.is_shared() {
            // One pass into a fresh buffer, not a copy and then a pass.
            *a = binary(op, a, b);
            return;
        }
        match op {
            BinaryOp::Add => parallel::update_zip(a, b, |x, y| *x += y),
            BinaryOp::Sub => parallel::update_zip(a, b, |x, y| *x -= y),
            BinaryOp::Mul => parallel::update_zip(a, b, |x, y| *x *= y),
            BinaryOp::Div => parallel::update_zip(a, b, |x, y| *x /= y),
        }
    }

    #[inline(always)]
    pub(super) fn scalar<E: Element, O: HostBuffer<E>>(
        op: BinaryOp,
        a: &[E],
        s: E,
        scalar_first: bool,
    ) -> O {
        match (op, scalar_first) {
            (BinaryOp::Add, _) => parallel::map(a, |x| x + s),
            (BinaryOp::Mul, _) => parallel::map(a, |x| x * s),
            (BinaryOp::Sub, false) => parallel::map(a, |x| x - s),
            (BinaryOp::Sub, true) => parallel::map(a, |x| s - x),
            (BinaryOp::Div, false) => parallel::map(a, |x| x / s),
            (BinaryOp::Div, true) => parallel::map(a, |x| s / x),
        }
    }

    #[inline(always)]
    pub(super) fn scalar_assign<E: Element, B: HostBuffer<E>>(op: BinaryOp, a: &mut B, s: E) {
        if a.is_shared() {
            *a = scalar(op, a, s, false);
            return;
        }
        match op {
            BinaryOp::Add => parallel::update(a, |x| *x += s),
            BinaryOp::Sub => parallel::update(a, |x| *x -= s),
            BinaryOp::Mul => parallel::update(a, |x| *x *= s),
            BinaryOp::Div => parallel::update(a, |x| *x /= s),
        }
    }

    #[inline(always)]
    pub(super) fn unary<E: Element, O: HostBuffer<E>>(op: UnaryOp, a: &[E]) -> O {
        match op {
            UnaryOp::Neg => parallel::map(a, |x| -x),
            UnaryOp::Square => parallel::map(a, |x| x * x),
            _ => parallel::map(a, |x| op.apply(x)),
        }
    }

    #[inline(always)]
    pub(super) fn axpy<E: Element, B: HostBuffer<E>>(y: &mut B, alpha: E, x: &[E]) {
        if y.is_shared() {
            *y = parallel::zip(y, x, |y, x| y + alpha * x);
            return;
        }
        parallel::update_zip(y, x, |y, x| *y += alpha * x);
    }

    #[inline(always)]
    pub(super) fn broadcast_assign<E: Element, B: HostBuffer<E>>(
        op: BinaryOp,
        m: &mut B,
        rows: usize,
        v: &[E],
    ) {
        assert!(
            v.len() == rows,
            "broadcast: a vector of {} over {rows} rows",
            v.len()
        );
        if rows > 0 && m.is_shared() {
            // One pass into a fresh buffer (also what `broadcast` does, as its
            // clone of a heap buffer is shared).
            let mut out = cache::take(m.len());
            for col in m.chunks_exact(rows) {
                out.extend(col.iter().zip(v.iter()).map(|(&x, &b)| op.apply(x, b)));
            }
            *m = B::from_vec(out);
        } else if rows > 0 {
            for col in m.chunks_exact_mut(rows) {
                col.iter_mut()
                    .zip(v.iter())
                    .for_each(|(x, &b)| *x = op.apply(*x, b));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn matmul<E: Element, O: HostBuffer<E>>(
        m: usize,
        k: usize,
        n: usize,
        a: &[E],
        a_transposed: bool,
        b: &[E],
        b_transposed: bool,
    ) -> O {
        let (a_strides, b_strides) = strides(m, k, n, a_transposed, b_transposed);
        E::gemm_new(m, k, n, a, a_strides, b, b_strides)
    }

    /// The (row, column) strides of a column-major `m × k` operand `a` and
    /// `k × n` operand `b`, each stored transposed when its flag says so.
    #[inline(always)]
    fn strides(
        m: usize,
        k: usize,
        n: usize,
        a_transposed: bool,
        b_transposed: bool,
    ) -> ([usize; 2], [usize; 2]) {
        (
            if a_transposed { [k, 1] } else { [1, m] },
            if b_transposed { [n, 1] } else { [1, k] },
        )
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn matmul_add<E: Element>(
        c: &mut [E],
        scale: E,
        m: usize,
        k: usize,
        n: usize,
        a: &[E],
        a_transposed: bool,
        b: &[E],
        b_transposed: bool,
    ) {
        let (a_strides, b_strides) = strides(m, k, n, a_transposed, b_transposed);
        E::gemm_add(m, k, n, a, a_strides, b, b_strides, c, scale);
    }

    #[inline(always)]
    pub(super) fn transpose<E: Element, O: HostBuffer<E>>(a: &[E], rows: usize, cols: usize) -> O {
        O::from_exact_iter((0..count("transpose", rows, cols)).map(|idx| {
            let (r, c) = (idx % cols, idx / cols);
            a[c + r * rows]
        }))
    }

    #[inline(always)]
    pub(super) fn sum_of<E: Element>(op: UnaryOp, a: &[E]) -> E {
        match op {
            UnaryOp::Square => sum_map(a, |x| x * x),
            UnaryOp::Abs => sum_map(a, |x| x.abs()),
            _ => sum_map(a, |x| op.apply(x)),
        }
    }

    #[inline(always)]
    pub(super) fn max<E: Element>(a: &[E]) -> Option<E> {
        let (&first, rest) = a.split_first()?;
        Some(rest.iter().fold(first, |m, &x| if x > m { x } else { m }))
    }

    #[inline(always)]
    pub(super) fn sum_axis<E: Element, O: HostBuffer<E>>(
        a: &[E],
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> O {
        if axis == 0 {
            O::from_exact_iter((0..cols).map(|c| {
                a[c * rows..(c + 1) * rows]
                    .iter()
                    .fold(E::zero(), |s, &x| s + x)
            }))
        } else {
            let mut out = O::from_elem(E::zero(), rows);
            for c in 0..cols {
                let col = &a[c * rows..(c + 1) * rows];
                out.iter_mut().zip(col).for_each(|(s, &x)| *s += x);
            }
            out
        }
    }

    #[inline(always)]
    pub(super) fn max_axis<E: Element, O: HostBuffer<E>>(
        a: &[E],
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> O {
        let bigger = |m: E, x: E| if x > m { x } else { m };
        if axis == 0 {
            O::from_exact_iter((0..cols).map(|c| {
                let col = &a[c * rows..(c + 1) * rows];
                col[1..].iter().fold(col[0], |m, &x| bigger(m, x))
            }))
        } else {
            let mut out = O::from_slice(&a[..rows]);
            for c in 1..cols {
                let col = &a[c * rows..(c + 1) * rows];
                out.iter_mut()
                    .zip(col)
                    .for_each(|(m, &x)| *m = bigger(*m, x));
            }
            out
        }
    }

    #[inline(always)]
    pub(super) fn concat_rows<E: Element, O: HostBuffer<E>>(
        a: &[E],
        a_rows: usize,
        b: &[E],
        b_rows: usize,
        cols: usize,
    ) -> O {
        let rows = a_rows
            .checked_add(b_rows)
            .expect("concat: rows overflow usize");
        O::from_exact_iter((0..count("concat", rows, cols)).map(|idx| {
            let (r, c) = (idx % rows, idx / rows);
            if r < a_rows {
                a[r + c * a_rows]
            } else {
                b[(r - a_rows) + c * b_rows]
            }
        }))
    }
}

/// Implements [`Device`] and [`Host`] for a CPU device whose buffer for a
/// tensor of shape `S` and element `E` is the given type.
macro_rules! host_device {
    ($device:ty, $buffer:ty, $reshape:ident) => {
        impl Device for $device {
            type Buffer<S: Shape, E: Element> = $buffer;

            #[inline(always)]
            fn full<S: Shape, E: Element>(&self, len: usize, value: E) -> $buffer {
                HostBuffer::from_elem(value, len)
            }

            #[inline(always)]
            fn upload<S: Shape, E: Element>(&self, host: &[E]) -> $buffer {
                HostBuffer::from_slice(host)
            }

            #[inline]
            fn download<S: Shape, E: Element>(&self, buf: &$buffer) -> Vec<E> {
                buf.to_vec()
            }

            /// An inline buffer is copied; a heap block is shared until written.
            #[inline(always)]
            fn copy<S: Shape, E: Element>(&self, buf: &$buffer) -> $buffer {
                buf.clone()
            }

            #[inline(always)]
            fn read<S: Shape, E: Element>(&self, buf: &$buffer, index: usize) -> E {
                buf[index]
            }

            #[inline(always)]
            fn buffer_len<S: Shape, E: Element>(&self, buf: &$buffer) -> usize {
                buf.len()
            }

            #[inline(always)]
            fn reshape<S: Shape, T: Shape, E: Element>(&self, buf: $buffer) -> Self::Buffer<T, E> {
                $reshape::<S, T, E>(buf)
            }

            #[inline(always)]
            fn binary<S: Shape, E: Element>(
                &self,
                op: BinaryOp,
                a: &$buffer,
                b: &$buffer,
            ) -> $buffer {
                host::binary(op, a, b)
            }

            #[inline(always)]
            fn binary_assign<S: Shape, E: Element>(
                &self,
                op: BinaryOp,
                a: &mut $buffer,
                b: &$buffer,
            ) {
                host::binary_assign(op, a, b)
            }

            #[inline(always)]
            fn scalar<S: Shape, E: Element>(
                &self,
                op: BinaryOp,
                a: &$buffer,
                s: E,
                scalar_first: bool,
            ) -> $buffer {
                host::scalar(op, a, s, scalar_first)
            }

            #[inline(always)]
            fn scalar_assign<S: Shape, E: Element>(&self, op: BinaryOp, a: &mut $buffer, s: E) {
                host::scalar_assign(op, a, s)
            }

            #[inline(always)]
            fn unary<S: Shape, E: Element>(&self, op: UnaryOp, a: &$buffer) -> $buffer {
                host::unary(op, a)
            }

            #[inline(always)]
            fn axpy<S: Shape, E: Element>(&self, y: &mut $buffer, alpha: E, x: &$buffer) {
                host::axpy(y, alpha, x)
            }

            #[inline(always)]
            fn broadcast<S: Shape, V: Shape, E: Element>(
                &self,
                op: BinaryOp,
                m: &$buffer,
                rows: usize,
                v: &Self::Buffer<V, E>,
            ) -> $buffer {
                let mut out = m.clone();
                host::broadcast_assign(op, &mut out, rows, v);
                out
            }

            #[inline(always)]
            fn broadcast_assign<S: Shape, V: Shape, E: Element>(
                &self,
                op: BinaryOp,
                m: &mut $buffer,
                rows: usize,
                v: &Self::Buffer<V, E>,
            ) {
                host::broadcast_assign(op, m, rows, v)
            }

            #[inline(always)]
            fn matmul<A: Shape, B: Shape, C: Shape, E: Element>(
                &self,
                m: usize,
                k: usize,
                n: usize,
                a: &Self::Buffer<A, E>,
                a_transposed: bool,
                b: &Self::Buffer<B, E>,
                b_transposed: bool,
            ) -> Self::Buffer<C, E> {
                host::matmul(m, k, n, a, a_transposed, b, b_transposed)
            }

            #[inline(always)]
            fn matmul_add<A: Shape, B: Shape, C: Shape, E: Element>(
                &self,
                c: &mut Self::Buffer<C, E>,
                scale: E,
                m: usize,
                k: usize,
                n: usize,
                a: &Self::Buffer<A, E>,
                a_transposed: bool,
                b: &Self::Buffer<B, E>,
                b_transposed: bool,
            ) {
                host::matmul_add(c, scale, m, k, n, a, a_transposed, b, b_transposed)
            }

            #[inline]
            fn transpose<S: Shape, T: Shape, E: Element>(
                &self,
                a: &$buffer,
                rows: usize,
                cols: usize,
            ) -> Self::Buffer<T, E> {
                host::transpose(a, rows, cols)
            }

            #[inline(always)]
            fn sum<S: Shape, E: Element>(&self, a: &$buffer) -> E {
                sum_map(a, |x| x)
            }

            #[inline(always)]
            fn sum_of<S: Shape, E: Element>(&self, op: UnaryOp, a: &$buffer) -> E {
                host::sum_of(op, a)
            }

            #[inline(always)]
            fn max<S: Shape, E: Element>(&self, a: &$buffer) -> Option<E> {
                host::max(a)
            }

            #[inline]
            fn sum_axis<S: Shape, T: Shape, E: Element>(
                &self,
                a: &$buffer,
                rows: usize,
                cols: usize,
                axis: usize,
            ) -> Self::Buffer<T, E> {
                host::sum_axis(a, rows, cols, axis)
            }

            #[inline]
            fn max_axis<S: Shape, T: Shape, E: Element>(
                &self,
                a: &$buffer,
                rows: usize,
                cols: usize,
                axis: usize,
            ) -> Self::Buffer<T, E> {
                host::max_axis(a, rows, cols, axis)
            }

            #[inline]
            fn concat_rows<A: Shape, B: Shape, C: Shape, E: Element>(
                &self,
                a: &Self::Buffer<A, E>,
                a_rows: usize,
                b: &Self::Buffer<B, E>,
                b_rows: usize,
                cols: usize,
            ) -> Self::Buffer<C, E> {
                host::concat_rows(a, a_rows, b, b_rows, cols)
            }
        }

        impl Host for $device {
            #[inline(always)]
            fn slice<S: Shape, E: Element>(buf: &$buffer) -> &[E] {
                buf
            }

            #[inline(always)]
            fn slice_mut<S: Shape, E: Element>(buf: &mut $buffer) -> &mut [E] {
                buf
            }

            #[inline(always)]
            fn collect<S: Shape, E: Element, I: ExactSizeIterator<Item = E>>(iter: I) -> $buffer {
                HostBuffer::from_exact_iter(iter)
            }

            #[inline(always)]
            fn from_vec<S: Shape, E: Element>(data: Vec<E>) -> $buffer {
                HostBuffer::from_vec(data)
            }
        }
    };
}

/// The `Cpu`'s storage does not depend on the shape: a reshape moves it.
/// (Generic over the shapes only to match `copy_buffer` in `host_device!`.)
#[allow(clippy::extra_unused_type_parameters)]
#[inline(always)]
fn move_buffer<S: Shape, T: Shape, E: Element>(buf: CpuBuffer<E>) -> CpuBuffer<E> {
    buf
}

/// The `Stack`'s storage is sized by the shape: a reshape copies the
/// elements into the other shape's storage (a static reshape keeps the
/// count, so the lengths agree).
#[inline(always)]
fn copy_buffer<S: Shape, T: Shape, E: Element>(buf: S::StackBuffer<E>) -> T::StackBuffer<E> {
    HostBuffer::from_slice(&buf)
}

host_device!(Cpu, CpuBuffer<E>, move_buffer);
host_device!(Stack, <S as Shape>::StackBuffer<E>, copy_buffer);
