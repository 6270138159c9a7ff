//! The CPU kernels, written once over [`HostBuffer`] and shared by the two
//! CPU devices: [`Cpu`] (buffers inline for small tensors, heap otherwise)
//! and [`Stack`] (buffers sized by the shape).

use crate::cpu::{CpuBuffer, Host, HostBuffer, Stack, cache, parallel};
use crate::device::{BinaryOp, Device, Kernels, UnaryOp};
use crate::element::Element;
use crate::elementwise::{Elementwise, OpVisitor};
use crate::ops::window::{Pool, Window};
use crate::shape::Shape;
use core::marker::PhantomData;

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

    /// `op(a)` as a new buffer: one loop per operation, chosen once.
    #[inline(always)]
    pub(super) fn unary<E: Element, O: HostBuffer<E>>(op: UnaryOp, a: &[E]) -> O {
        struct Values<'a, E, O>(&'a [E], PhantomData<O>);
        impl<E: Element, O: HostBuffer<E>> OpVisitor for Values<'_, E, O> {
            type Out = O;
            #[inline(always)]
            fn visit<F: Elementwise>(self) -> O {
                parallel::map(self.0, F::apply::<E>)
            }
        }
        op.dispatch(Values(a, PhantomData))
    }

    /// `a = op(a)`.
    #[inline(always)]
    pub(super) fn unary_assign<E: Element, B: HostBuffer<E>>(op: UnaryOp, a: &mut B) {
        if a.is_shared() {
            *a = unary(op, a);
            return;
        }
        struct InPlace<'a, E>(&'a mut [E]);
        impl<E: Element> OpVisitor for InPlace<'_, E> {
            type Out = ();
            #[inline(always)]
            fn visit<F: Elementwise>(self) {
                parallel::update(self.0, |x| *x = F::apply(*x));
            }
        }
        op.dispatch(InPlace(a));
    }

    /// `op(a)` and `op'(a)` as new buffers.
    #[inline(always)]
    pub(super) fn unary_slope<E: Element, O: HostBuffer<E>>(op: UnaryOp, a: &[E]) -> (O, O) {
        struct Slopes<'a, E, O>(&'a [E], PhantomData<O>);
        impl<E: Element, O: HostBuffer<E>> OpVisitor for Slopes<'_, E, O> {
            type Out = (O, O);
            #[inline(always)]
            fn visit<F: Elementwise>(self) -> (O, O) {
                parallel::map_split(self.0, F::value_and_slope::<E>)
            }
        }
        op.dispatch(Slopes(a, PhantomData))
    }

    /// `a = op(a)`, returning `op'` at the former `a`.
    #[inline(always)]
    pub(super) fn unary_slope_assign<E: Element, B: HostBuffer<E>>(op: UnaryOp, a: &mut B) -> B {
        if a.is_shared() {
            let (values, slopes) = unary_slope(op, a);
            *a = values;
            return slopes;
        }
        struct InPlace<'a, E, B>(&'a mut [E], PhantomData<B>);
        impl<E: Element, B: HostBuffer<E>> OpVisitor for InPlace<'_, E, B> {
            type Out = B;
            #[inline(always)]
            fn visit<F: Elementwise>(self) -> B {
                parallel::update_split(self.0, F::value_and_slope::<E>)
            }
        }
        op.dispatch(InPlace(a, PhantomData))
    }

    /// Adam's moments and change at every element in one pass, with the
    /// roundings of the default's passes (see `Kernels::adam`).
    #[inline]
    pub(super) fn adam<E: Element, B: HostBuffer<E>>(
        g: &mut B,
        m: &mut B,
        v: &mut B,
        h: crate::device::AdamStep<E>,
    ) {
        let len = g.len();
        assert!(
            m.len() == len && v.len() == len,
            "adam: a gradient of {len} elements, moments of {} and {}",
            m.len(),
            v.len()
        );
        let at = |g: &mut E, m: &mut E, v: &mut E| {
            let gi = *g;
            let mi = *m * h.beta1 + h.one_minus_beta1 * gi;
            let vi = *v * h.beta2 + h.one_minus_beta2 * (gi * gi);
            *m = mi;
            *v = vi;
            let denominator = (vi * h.inv_correction2).sqrt() + h.epsilon;
            *g = mi * h.step / denominator;
        };
        let (g, m, v): (&mut [E], &mut [E], &mut [E]) = (g, m, v);
        if !parallel::split(len) {
            for ((g, m), v) in g.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()) {
                at(g, m, v);
            }
        } else {
            use rayon::prelude::*;
            g.par_chunks_mut(parallel::CHUNK)
                .zip(m.par_chunks_mut(parallel::CHUNK))
                .zip(v.par_chunks_mut(parallel::CHUNK))
                .for_each(|((g, m), v)| {
                    for ((g, m), v) in g.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()) {
                        at(g, m, v);
                    }
                });
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
        struct SumOf<'a, E>(&'a [E]);
        impl<E: Element> OpVisitor for SumOf<'_, E> {
            type Out = E;
            #[inline(always)]
            fn visit<F: Elementwise>(self) -> E {
                sum_map(self.0, F::apply::<E>)
            }
        }
        op.dispatch(SumOf(a))
    }

    /// The running maximum `m` against the next element `x`: `x` where it
    /// is larger or NaN, so that a NaN anywhere is the maximum, as Julia's
    /// `maximum` has it (a NaN `m` stays, as nothing is larger).
    #[inline(always)]
    fn bigger<E: Element>(m: E, x: E) -> E {
        if takes(x, m) { x } else { m }
    }

    /// Whether `x` replaces `m` as the running maximum: where it is larger,
    /// or the first NaN.
    #[inline(always)]
    fn takes<E: Element>(x: E, m: E) -> bool {
        let nan = |e: E| num_traits::Float::is_nan(e.re());
        x > m || (nan(x) && !nan(m))
    }

    #[inline(always)]
    pub(super) fn max<E: Element>(a: &[E]) -> Option<E> {
        let (&first, rest) = a.split_first()?;
        Some(rest.iter().fold(first, |m, &x| bigger(m, x)))
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

    /// For every output position, in the order of the columns of `im2col`
    /// (`ox + OW·(oy + OH·n)`), and every channel `c` and kernel row `ky`
    /// whose input row lies inside the image: `visit(column, tap, start,
    /// kxs)`, where row `tap + w.tap(0, kx)` of the column reads the input
    /// `start + (kx − kxs.start)·dilation` for `kx` in `kxs`, the rest of
    /// the row lying on the padding (`tap` is the row of the kernel's row
    /// `w.tap(1, ky)`, flipped or not).
    #[inline(always)]
    fn rows_of_taps(
        w: &Window,
        mut visit: impl FnMut(usize, usize, usize, core::ops::Range<usize>),
    ) {
        let [iw, ih] = w.input;
        let [ow, oh] = w.output;
        let [kw, kh] = w.kernel;
        // The kernel columns inside the image for each output column.
        let inside: Vec<(usize, core::ops::Range<usize>)> = (0..ow)
            .map(|ox| {
                let first = (0..kw).find(|&kx| w.source(0, ox, kx).is_some());
                let last = (0..kw).rev().find(|&kx| w.source(0, ox, kx).is_some());
                match (first, last) {
                    (Some(a), Some(b)) => (w.source(0, ox, a).unwrap_or(0), a..b + 1),
                    _ => (0, 0..0),
                }
            })
            .collect();
        let mut column = 0;
        for n in 0..w.batch {
            for oy in 0..oh {
                for (x0, kxs) in &inside {
                    for c in 0..w.channels {
                        let image = (n * w.channels + c) * ih;
                        for ky in 0..kh {
                            if let Some(y) = w.source(1, oy, ky) {
                                let tap = kw * (w.tap(1, ky) + kh * c);
                                visit(column, tap, x0 + iw * (y + image), kxs.clone());
                            }
                        }
                    }
                    column += 1;
                }
            }
        }
    }

    #[inline]
    #[track_caller]
    pub(super) fn im2col<E: Element, O: HostBuffer<E>>(x: &[E], w: &Window) -> O {
        w.check("im2col", x.len());
        let rows = w.taps() * w.channels;
        let len = count("im2col", rows, w.positions().saturating_mul(w.batch));
        let mut out = vec![E::zero(); len];
        let step = w.dilation[0];
        rows_of_taps(w, |column, tap, start, kxs| {
            let to = &mut out[column * rows + tap..];
            if w.flipped && step == 1 {
                // Taps `kxs` land at `KW − 1 − kx`: the run reversed.
                let kw = w.kernel[0];
                let from = &x[start..start + kxs.len()];
                to[kw - kxs.end..kw - kxs.start]
                    .iter_mut()
                    .rev()
                    .zip(from)
                    .for_each(|(t, &f)| *t = f);
            } else if w.flipped {
                for (j, kx) in kxs.enumerate() {
                    to[w.tap(0, kx)] = x[start + j * step];
                }
            } else if step == 1 {
                to[kxs.clone()].copy_from_slice(&x[start..start + kxs.len()]);
            } else {
                for (j, kx) in kxs.enumerate() {
                    to[kx] = x[start + j * step];
                }
            }
        });
        O::from_vec(out)
    }

    #[inline]
    #[track_caller]
    pub(super) fn col2im<E: Element, O: HostBuffer<E>>(cols: &[E], w: &Window) -> O {
        let len = w.input_len();
        w.check("col2im", len);
        let rows = w.taps() * w.channels;
        assert_eq!(
            Some(cols.len()),
            rows.checked_mul(w.positions())
                .and_then(|n| n.checked_mul(w.batch)),
            "col2im: the columns do not match the window"
        );
        let mut out = O::from_elem(E::zero(), len);
        let step = w.dilation[0];
        rows_of_taps(w, |column, tap, start, kxs| {
            if w.flipped && step == 1 {
                let kw = w.kernel[0];
                let from = &cols[column * rows + tap..][kw - kxs.end..kw - kxs.start];
                out[start..start + kxs.len()]
                    .iter_mut()
                    .zip(from.iter().rev())
                    .for_each(|(t, &f)| *t += f);
                return;
            }
            if w.flipped {
                let from = &cols[column * rows + tap..];
                for (j, kx) in kxs.enumerate() {
                    out[start + j * step] += from[w.tap(0, kx)];
                }
                return;
            }
            let from = &cols[column * rows + tap..][kxs.clone()];
            if step == 1 {
                let to = &mut out[start..start + kxs.len()];
                to.iter_mut().zip(from).for_each(|(t, &f)| *t += f);
            } else {
                for (j, &f) in from.iter().enumerate() {
                    out[start + j * step] += f;
                }
            }
        });
        out
    }

    #[inline]
    #[track_caller]
    pub(super) fn transpose_batched<E: Element, O: HostBuffer<E>>(
        a: &[E],
        rows: usize,
        cols: usize,
        batch: usize,
    ) -> O {
        let block = count("transpose_batched", rows, cols);
        assert_eq!(
            Some(a.len()),
            block.checked_mul(batch),
            "transpose_batched: {batch} blocks of {rows}x{cols} do not make {} elements",
            a.len()
        );
        let mut out = Vec::with_capacity(a.len());
        for m in a.chunks_exact(block.max(1)) {
            for r in 0..rows {
                out.extend((0..cols).map(|c| m[r + rows * c]));
            }
        }
        O::from_vec(out)
    }

    /// For every output of a pooling window, in order, `visit(output,
    /// taps)`, where `taps(f)` calls `f` with the input index of each tap
    /// inside the image, row by row.
    #[inline(always)]
    fn windows(w: &Window, mut visit: impl FnMut(usize, &dyn Fn(&mut dyn FnMut(usize)))) {
        let [iw, ih] = w.input;
        let [ow, oh] = w.output;
        let [kw, kh] = w.kernel;
        let mut out = 0;
        for image in 0..w.batch * w.channels {
            for oy in 0..oh {
                for ox in 0..ow {
                    let taps = |f: &mut dyn FnMut(usize)| {
                        for ky in 0..kh {
                            let Some(y) = w.source(1, oy, ky) else {
                                continue;
                            };
                            let row = iw * (y + ih * image);
                            for kx in 0..kw {
                                if let Some(x) = w.source(0, ox, kx) {
                                    f(x + row);
                                }
                            }
                        }
                    };
                    visit(out, &taps);
                    out += 1;
                }
            }
        }
    }

    /// `1 / (KW·KH)`, a mean's weight.
    fn tap_weight<E: Element>(w: &Window) -> E {
        E::one() / E::from_usize(w.taps()).expect("a tap count converts to every element type")
    }

    #[inline]
    #[track_caller]
    pub(super) fn pool<E: Element, O: HostBuffer<E>>(x: &[E], w: &Window, pool: Pool) -> O {
        w.check("pool", x.len());
        let len = count("pool", w.positions(), w.channels.saturating_mul(w.batch));
        let mut out = Vec::with_capacity(len);
        let scale = tap_weight::<E>(w);
        windows(w, |_, taps| {
            let v = match pool {
                Pool::Max => {
                    let mut best: Option<E> = None;
                    taps(&mut |i| {
                        let v = x[i];
                        if best.is_none_or(|m| takes(v, m)) {
                            best = Some(v);
                        }
                    });
                    best.unwrap_or(E::zero())
                }
                Pool::Mean => {
                    let mut sum = E::zero();
                    taps(&mut |i| sum += x[i]);
                    sum * scale
                }
            };
            out.push(v);
        });
        O::from_vec(out)
    }

    #[inline]
    #[track_caller]
    pub(super) fn pool_pullback<E: Element, O: HostBuffer<E>>(
        x: &[E],
        dy: &[E],
        w: &Window,
        pool: Pool,
    ) -> O {
        w.check("pool_pullback", x.len());
        assert_eq!(
            Some(dy.len()),
            w.positions()
                .checked_mul(w.channels)
                .and_then(|n| n.checked_mul(w.batch)),
            "pool_pullback: the cotangent does not match the window"
        );
        let mut dx = O::from_elem(E::zero(), x.len());
        let scale = tap_weight::<E>(w);
        windows(w, |o, taps| match pool {
            Pool::Max => {
                let mut best: Option<usize> = None;
                taps(&mut |i| {
                    if best.is_none_or(|m| takes(x[i], x[m])) {
                        best = Some(i);
                    }
                });
                if let Some(i) = best {
                    dx[i] += dy[o];
                }
            }
            Pool::Mean => {
                let d = dy[o] * scale;
                taps(&mut |i| dx[i] += d);
            }
        });
        dx
    }

    /// The largest element of a column, NaN where any is.
    #[inline(always)]
    fn column_max<E: Element>(col: &[E]) -> E {
        col[1..].iter().fold(col[0], |m, &v| bigger(m, v))
    }

    /// The columns of a `rows × (len / rows)` buffer; none for an empty one.
    #[inline(always)]
    fn columns<E>(a: &[E], rows: usize) -> core::slice::ChunksExact<'_, E> {
        a.chunks_exact(rows.max(1))
    }

    #[inline]
    pub(super) fn softmax<E: Element, O: HostBuffer<E>>(a: &[E], rows: usize, log: bool) -> O {
        let mut out = O::from_slice(a);
        if rows == 0 {
            return out;
        }
        for col in out.chunks_exact_mut(rows) {
            let max = column_max(col);
            if log {
                let sum = col.iter().fold(E::zero(), |s, &v| s + (v - max).exp());
                let shift = sum.ln();
                col.iter_mut().for_each(|v| *v = (*v - max) - shift);
            } else {
                let mut sum = E::zero();
                for v in col.iter_mut() {
                    *v = (*v - max).exp();
                    sum += *v;
                }
                let inv = sum.recip();
                col.iter_mut().for_each(|v| *v *= inv);
            }
        }
        out
    }

    #[inline]
    pub(super) fn softmax_pullback<E: Element, O: HostBuffer<E>>(
        y: &[E],
        dy: &[E],
        rows: usize,
        log: bool,
    ) -> O {
        let mut out = O::from_slice(dy);
        if rows == 0 {
            return out;
        }
        for (d, y) in out.chunks_exact_mut(rows).zip(columns(y, rows)) {
            if log {
                let total = d.iter().fold(E::zero(), |s, &d| s + d);
                d.iter_mut()
                    .zip(y)
                    .for_each(|(d, &y)| *d -= y.exp() * total);
            } else {
                let dot = d.iter().zip(y).fold(E::zero(), |s, (&d, &y)| s + d * y);
                d.iter_mut().zip(y).for_each(|(d, &y)| *d = y * (*d - dot));
            }
        }
        out
    }

    /// Per column: `ls = x - max - ln Σ e^(x - max)`, the loss `-Σ y · ls`
    /// over the targets that are not 0 (so a logit that underflows against
    /// the largest one costs nothing where its target is 0), and the
    /// gradient `scale · (e^ls · Σ y - y)`.
    #[inline]
    pub(super) fn logit_cross_entropy<E: Element, O: HostBuffer<E>>(
        x: &[E],
        y: &[E],
        rows: usize,
        scale: E,
    ) -> (E, O) {
        let mut grad = O::from_slice(x);
        let mut total = E::zero();
        if rows == 0 {
            return (total, grad);
        }
        for (g, t) in grad.chunks_exact_mut(rows).zip(columns(y, rows)) {
            let max = column_max(g);
            let sum = g.iter().fold(E::zero(), |s, &v| s + (v - max).exp());
            let shift = sum.ln();
            let mass = t.iter().fold(E::zero(), |s, &t| s + t);
            for (g, &t) in g.iter_mut().zip(t) {
                let ls = (*g - max) - shift;
                if t != E::zero() {
                    total -= t * ls;
                }
                *g = (ls.exp() * mass - t) * scale;
            }
        }
        (total * scale, grad)
    }
}

/// Implements [`Device`], [`Kernels`] for every element type and [`Host`] for
/// a CPU device whose buffer for a tensor of shape `S` and element `E` is the
/// given type.
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
        }

        impl<E: Element> Kernels<E> for $device {
            #[inline(always)]
            fn binary<S: Shape>(&self, op: BinaryOp, a: &$buffer, b: &$buffer) -> $buffer {
                host::binary(op, a, b)
            }

            #[inline(always)]
            fn binary_assign<S: Shape>(&self, op: BinaryOp, a: &mut $buffer, b: &$buffer) {
                host::binary_assign(op, a, b)
            }

            #[inline(always)]
            fn scalar<S: Shape>(
                &self,
                op: BinaryOp,
                a: &$buffer,
                s: E,
                scalar_first: bool,
            ) -> $buffer {
                host::scalar(op, a, s, scalar_first)
            }

            #[inline(always)]
            fn scalar_assign<S: Shape>(&self, op: BinaryOp, a: &mut $buffer, s: E) {
                host::scalar_assign(op, a, s)
            }

            #[inline(always)]
            fn unary<S: Shape>(&self, op: UnaryOp, a: &$buffer) -> $buffer {
                host::unary(op, a)
            }

            #[inline(always)]
            fn unary_assign<S: Shape>(&self, op: UnaryOp, a: &mut $buffer) {
                host::unary_assign(op, a)
            }

            #[inline(always)]
            fn unary_slope<S: Shape>(&self, op: UnaryOp, a: &$buffer) -> ($buffer, $buffer) {
                host::unary_slope(op, a)
            }

            #[inline(always)]
            fn unary_slope_assign<S: Shape>(&self, op: UnaryOp, a: &mut $buffer) -> $buffer {
                host::unary_slope_assign(op, a)
            }

            #[inline(always)]
            fn axpy<S: Shape>(&self, y: &mut $buffer, alpha: E, x: &$buffer) {
                host::axpy(y, alpha, x)
            }

            #[inline(always)]
            fn adam<S: Shape>(
                &self,
                g: &mut $buffer,
                m: &mut $buffer,
                v: &mut $buffer,
                h: crate::device::AdamStep<E>,
            ) {
                host::adam(g, m, v, h)
            }

            #[inline(always)]
            fn broadcast<S: Shape, V: Shape>(
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
            fn broadcast_assign<S: Shape, V: Shape>(
                &self,
                op: BinaryOp,
                m: &mut $buffer,
                rows: usize,
                v: &Self::Buffer<V, E>,
            ) {
                host::broadcast_assign(op, m, rows, v)
            }

            #[inline(always)]
            fn matmul<A: Shape, B: Shape, C: Shape>(
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
            fn matmul_add<A: Shape, B: Shape, C: Shape>(
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
            fn transpose<S: Shape, T: Shape>(
                &self,
                a: &$buffer,
                rows: usize,
                cols: usize,
            ) -> Self::Buffer<T, E> {
                host::transpose(a, rows, cols)
            }

            #[inline(always)]
            fn sum<S: Shape>(&self, a: &$buffer) -> E {
                sum_map(a, |x| x)
            }

            #[inline(always)]
            fn sum_of<S: Shape>(&self, op: UnaryOp, a: &$buffer) -> E {
                host::sum_of(op, a)
            }

            #[inline(always)]
            fn max<S: Shape>(&self, a: &$buffer) -> Option<E> {
                host::max(a)
            }

            #[inline]
            fn sum_axis<S: Shape, T: Shape>(
                &self,
                a: &$buffer,
                rows: usize,
                cols: usize,
                axis: usize,
            ) -> Self::Buffer<T, E> {
                host::sum_axis(a, rows, cols, axis)
            }

            #[inline]
            fn max_axis<S: Shape, T: Shape>(
                &self,
                a: &$buffer,
                rows: usize,
                cols: usize,
                axis: usize,
            ) -> Self::Buffer<T, E> {
                host::max_axis(a, rows, cols, axis)
            }

            #[inline]
            fn concat_rows<A: Shape, B: Shape, C: Shape>(
                &self,
                a: &Self::Buffer<A, E>,
                a_rows: usize,
                b: &Self::Buffer<B, E>,
                b_rows: usize,
                cols: usize,
            ) -> Self::Buffer<C, E> {
                host::concat_rows(a, a_rows, b, b_rows, cols)
            }

            #[inline]
            fn im2col<S: Shape, T: Shape>(
                &self,
                x: &$buffer,
                window: &Window,
            ) -> Self::Buffer<T, E> {
                host::im2col(x, window)
            }

            #[inline]
            fn col2im<S: Shape, T: Shape>(
                &self,
                cols: &$buffer,
                window: &Window,
            ) -> Self::Buffer<T, E> {
                host::col2im(cols, window)
            }

            #[inline]
            fn transpose_batched<S: Shape, T: Shape>(
                &self,
                a: &$buffer,
                rows: usize,
                cols: usize,
                batch: usize,
            ) -> Self::Buffer<T, E> {
                host::transpose_batched(a, rows, cols, batch)
            }

            #[inline]
            fn pool<S: Shape, T: Shape>(
                &self,
                x: &$buffer,
                window: &Window,
                pool: Pool,
            ) -> Self::Buffer<T, E> {
                host::pool(x, window, pool)
            }

            #[inline]
            fn pool_pullback<S: Shape, T: Shape>(
                &self,
                x: &$buffer,
                dy: &Self::Buffer<T, E>,
                window: &Window,
                pool: Pool,
            ) -> $buffer {
                host::pool_pullback(x, dy, window, pool)
            }

            #[inline]
            fn add_channels<S: Shape, V: Shape>(
                &self,
                y: &mut $buffer,
                inner: usize,
                v: &Self::Buffer<V, E>,
            ) {
                crate::cpu::channels::add_channels(y, inner, v)
            }

            #[inline]
            fn sum_channels<S: Shape, V: Shape>(
                &self,
                y: &$buffer,
                inner: usize,
                channels: usize,
            ) -> Self::Buffer<V, E> {
                HostBuffer::from_vec(crate::cpu::channels::sum_channels(y, inner, channels))
            }

            #[inline]
            fn depthwise_conv<S: Shape, W: Shape, T: Shape>(
                &self,
                x: &$buffer,
                w: &Self::Buffer<W, E>,
                window: &Window,
                out_channels: usize,
            ) -> Self::Buffer<T, E> {
                HostBuffer::from_vec(crate::cpu::channels::depthwise(x, w, window, out_channels))
            }

            #[inline]
            fn depthwise_conv_input_grad<W: Shape, T: Shape, S: Shape>(
                &self,
                w: &Self::Buffer<W, E>,
                dy: &Self::Buffer<T, E>,
                window: &Window,
                out_channels: usize,
            ) -> $buffer {
                HostBuffer::from_vec(crate::cpu::channels::depthwise_input_grad(
                    w,
                    dy,
                    window,
                    out_channels,
                ))
            }

            #[inline]
            fn depthwise_conv_weight_grad<S: Shape, T: Shape, W: Shape>(
                &self,
                x: &$buffer,
                dy: &Self::Buffer<T, E>,
                window: &Window,
                out_channels: usize,
            ) -> Self::Buffer<W, E> {
                HostBuffer::from_vec(crate::cpu::channels::depthwise_weight_grad(
                    x,
                    dy,
                    window,
                    out_channels,
                ))
            }

            #[inline]
            fn softmax<S: Shape>(&self, a: &$buffer, rows: usize, log: bool) -> $buffer {
                host::softmax(a, rows, log)
            }

            #[inline]
            fn softmax_pullback<S: Shape>(
                &self,
                y: &$buffer,
                dy: &$buffer,
                rows: usize,
                log: bool,
            ) -> $buffer {
                host::softmax_pullback(y, dy, rows, log)
            }

            #[inline]
            fn logit_cross_entropy<S: Shape>(
                &self,
                x: &$buffer,
                y: &$buffer,
                rows: usize,
                scale: E,
            ) -> (E, $buffer) {
                host::logit_cross_entropy(x, y, rows, scale)
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
