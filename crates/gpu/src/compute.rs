//! `Kernels<f32>` and `Kernels<f64>` for the GPU device: each method checks
//! the lengths it is given, picks the kernel for the sizes the shapes fix,
//! and launches it.

use crate::device::{Gpu, GpuBuffer, MAX_ELEMENTS};
use crate::kernels::{BLOCK, Epilogue, Precision, Reduction, Size, Spec, Tile, shape};
use crate::runtime::{Arg, Runtime};
use typeflux_core::dense_chain::{ChainGradients, ChainKept, ChainLayer, ChainOutput, ChainParams};
use typeflux_core::ops::window::{Pool, Window};
use typeflux_core::{BinaryOp, Cpu, Device, Element, Kernels, Shape, UnaryOp};

/// An element type the GPU kernels are written for: `f32` or `f64`.
pub trait GpuFloat: Element {
    /// Which kernels.
    const PRECISION: Precision;

    /// The value as a kernel argument.
    fn arg<M>(self) -> Arg<'static, M>;
}

impl GpuFloat for f32 {
    const PRECISION: Precision = Precision::F32;

    fn arg<M>(self) -> Arg<'static, M> {
        Arg::F32(self)
    }
}

impl GpuFloat for f64 {
    const PRECISION: Precision = Precision::F64;

    fn arg<M>(self) -> Arg<'static, M> {
        Arg::F64(self)
    }
}

/// A length the kernels index with 32 bits.
pub(crate) fn length(op: &str, len: usize) -> u32 {
    assert!(
        len <= MAX_ELEMENTS,
        "{op}: {len} elements; the GPU kernels take at most {MAX_ELEMENTS}"
    );
    len as u32
}

/// `rows · cols`, checked to fit the kernels.
pub(crate) fn count(op: &str, rows: usize, cols: usize) -> u32 {
    let n = rows
        .checked_mul(cols)
        .unwrap_or_else(|| panic!("{op}: {rows}x{cols} elements overflow usize"));
    length(op, n)
}

pub(crate) fn same_len(op: &str, a: usize, b: usize) {
    assert!(a == b, "{op}: buffers of {a} and {b} elements");
}

/// Blocks for a grid-strided pass over `len` elements: enough for one
/// element per thread up to a bound, beyond which threads take several.
fn blocks(len: u32) -> u32 {
    len.div_ceil(BLOCK).clamp(1, 4096)
}

/// The size of a dim the shape's type fixes, if it agrees with `actual`.
fn dim<S: Shape>(axis: usize, actual: usize) -> Size {
    Size::of(S::STATIC_DIMS[axis], actual)
}

/// Elements of a shape whose both dims its type fixes.
fn len_of<S: Shape>(actual: usize) -> Size {
    match S::STATIC_DIMS {
        [Some(a), Some(b)] => Size::of(a.checked_mul(b), actual),
        _ => Size::Param,
    }
}

impl<R: Runtime> Gpu<R> {
    /// `x` copied to host memory as a buffer of the `Cpu` device: for the
    /// kernels the GPU runs through the CPU's (convolution and pooling).
    fn download_host<S: Shape, E: Element>(
        &self,
        x: &GpuBuffer<E, R>,
    ) -> <Cpu as Device>::Buffer<S, E> {
        Cpu.upload::<S, E>(&self.download::<S, E>(x))
    }

    /// A `Cpu` buffer copied into GPU memory.
    fn upload_host<S: Shape, E: Element>(
        &self,
        x: &<Cpu as Device>::Buffer<S, E>,
    ) -> GpuBuffer<E, R> {
        self.upload::<S, E>(&Cpu.download::<S, E>(x))
    }

    /// Launches a one-dimensional grid-strided kernel over `len` elements.
    ///
    /// # Safety
    /// As [`Gpu::launch`].
    unsafe fn pass<E: GpuFloat>(&self, spec: Spec, len: u32, args: &[Arg<'_, R::Memory>]) {
        // SAFETY: passed on from the caller.
        unsafe { self.launch(spec, E::PRECISION, [blocks(len), 1, 1], [BLOCK, 1, 1], args) }
    }

    fn unary_into<S: Shape, E: GpuFloat>(
        &self,
        op: UnaryOp,
        x: &GpuBuffer<E, R>,
        y: &GpuBuffer<E, R>,
        dy: Option<&GpuBuffer<E, R>>,
    ) {
        let n = length(op.name(), x.len());
        same_len(op.name(), x.len(), y.len());
        if n == 0 {
            return;
        }
        let len = len_of::<S>(x.len());
        match dy {
            Some(dy) => {
                same_len(op.name(), x.len(), dy.len());
                // SAFETY: x, y and dy hold `n` elements each, the kernel
                // touches indices below `n`.
                unsafe {
                    self.pass::<E>(
                        Spec::UnarySlope { op, len },
                        n,
                        &[x.arg(), y.arg(), dy.arg(), Arg::U32(n)],
                    )
                }
            }
            // SAFETY: x and y hold `n` elements each.
            None => unsafe {
                self.pass::<E>(Spec::Unary { op, len }, n, &[x.arg(), y.arg(), Arg::U32(n)])
            },
        }
    }

    fn binary_into<S: Shape, E: GpuFloat>(
        &self,
        op: BinaryOp,
        a: &GpuBuffer<E, R>,
        b: &GpuBuffer<E, R>,
        out: &GpuBuffer<E, R>,
    ) {
        let name = op.symbol();
        let n = length(name, a.len());
        same_len(name, a.len(), b.len());
        same_len(name, a.len(), out.len());
        if n == 0 {
            return;
        }
        let len = len_of::<S>(a.len());
        // SAFETY: a, b and out hold `n` elements each.
        unsafe {
            self.pass::<E>(
                Spec::Binary { op, len },
                n,
                &[a.arg(), b.arg(), out.arg(), Arg::U32(n)],
            )
        }
    }

    fn scalar_into<S: Shape, E: GpuFloat>(
        &self,
        op: BinaryOp,
        a: &GpuBuffer<E, R>,
        s: E,
        scalar_first: bool,
        out: &GpuBuffer<E, R>,
    ) {
        let name = op.symbol();
        let n = length(name, a.len());
        same_len(name, a.len(), out.len());
        if n == 0 {
            return;
        }
        let spec = Spec::Scalar {
            op,
            scalar_first,
            len: len_of::<S>(a.len()),
        };
        // SAFETY: a and out hold `n` elements each.
        unsafe { self.pass::<E>(spec, n, &[a.arg(), out.arg(), s.arg(), Arg::U32(n)]) }
    }

    #[allow(clippy::too_many_arguments)]
    fn broadcast_into<S: Shape, E: GpuFloat>(
        &self,
        op: BinaryOp,
        m: &GpuBuffer<E, R>,
        rows: usize,
        v: &GpuBuffer<E, R>,
        out: &GpuBuffer<E, R>,
    ) {
        assert!(
            v.len() == rows,
            "broadcast: a vector of {} over {rows} rows",
            v.len()
        );
        same_len("broadcast", m.len(), out.len());
        let n = length("broadcast", m.len());
        if n == 0 {
            return;
        }
        assert!(
            rows > 0 && m.len().is_multiple_of(rows),
            "broadcast: {} elements are not columns of {rows}",
            m.len()
        );
        let cols = m.len() / rows;
        let spec = Spec::Broadcast {
            op,
            rows: dim::<S>(0, rows),
            cols: dim::<S>(1, cols),
        };
        // SAFETY: m and out hold rows·cols = n elements, v holds `rows`.
        unsafe {
            self.pass::<E>(
                spec,
                n,
                &[
                    m.arg(),
                    v.arg(),
                    out.arg(),
                    Arg::U32(rows as u32),
                    Arg::U32(cols as u32),
                ],
            )
        }
    }

    /// `op(a)·op(b)` into `c` (added to it when `epilogue.accumulate`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn product<A: Shape, B: Shape, E: GpuFloat>(
        &self,
        c: &GpuBuffer<E, R>,
        alpha: E,
        (m, k, n): (usize, usize, usize),
        a: &GpuBuffer<E, R>,
        a_transposed: bool,
        b: &GpuBuffer<E, R>,
        b_transposed: bool,
        epilogue: Epilogue,
        bias: Option<&GpuBuffer<E, R>>,
        slope: Option<&GpuBuffer<E, R>>,
    ) {
        same_len("matmul: lhs", a.len(), count("matmul", m, k) as usize);
        same_len("matmul: rhs", b.len(), count("matmul", k, n) as usize);
        same_len("matmul: product", c.len(), count("matmul", m, n) as usize);
        assert_eq!(
            epilogue.bias,
            bias.is_some(),
            "matmul: a bias and the epilogue disagree"
        );
        assert_eq!(
            epilogue.slope,
            slope.is_some(),
            "matmul: a slope and the epilogue disagree"
        );
        if let Some(bias) = bias {
            same_len("matmul: bias", bias.len(), m);
        }
        if let Some(slope) = slope {
            same_len("matmul: slope", slope.len(), c.len());
        }
        if m == 0 || n == 0 {
            return;
        }
        let tile = Tile::for_product(m, n);
        let grid_y = (m as u32).div_ceil(tile.bm);
        assert!(
            grid_y <= 65_535,
            "matmul: {m} rows are more than the grid holds"
        );
        let (a_rows, a_cols) = if a_transposed { (1, 0) } else { (0, 1) };
        let spec = Spec::Matmul {
            m: dim::<A>(a_rows, m),
            k: dim::<A>(a_cols, k),
            n: dim::<B>(if b_transposed { 0 } else { 1 }, n),
            a_transposed,
            b_transposed,
            tile,
            epilogue,
        };
        // SAFETY: a holds m·k elements, b k·n, c (and the slope) m·n and
        // the bias m, as checked above; the kernel reads and writes within
        // those sizes. An unused bias or slope pointer is never touched.
        unsafe {
            self.launch(
                spec,
                E::PRECISION,
                [(n as u32).div_ceil(tile.bn), grid_y, 1],
                [tile.threads(), 1, 1],
                &[
                    a.arg(),
                    b.arg(),
                    c.arg(),
                    bias.unwrap_or(a).arg(),
                    slope.unwrap_or(a).arg(),
                    alpha.arg(),
                    Arg::U32(m as u32),
                    Arg::U32(k as u32),
                    Arg::U32(n as u32),
                ],
            )
        }
    }

    /// The reduction of all elements: a partial per block, then one block
    /// over the partials.
    fn reduce_all<S: Shape, E: GpuFloat>(&self, reduction: Reduction, a: &GpuBuffer<E, R>) -> E {
        let n = length("sum", a.len());
        let grid = n.div_ceil(BLOCK).clamp(1, BLOCK);
        let partials = self.alloc::<E>(grid as usize);
        let spec = Spec::ReduceAll {
            reduction,
            len: len_of::<S>(a.len()),
        };
        // SAFETY: a holds n elements; `partials` one per block.
        unsafe {
            self.launch(
                spec,
                E::PRECISION,
                [grid, 1, 1],
                [BLOCK, 1, 1],
                &[a.arg(), partials.arg(), Arg::U32(n)],
            )
        }
        let total = self.alloc::<E>(1);
        let spec = Spec::ReduceAll {
            reduction: reduction.combine(),
            len: Size::Param,
        };
        // SAFETY: `partials` holds `grid` elements; `total` one.
        unsafe {
            self.launch(
                spec,
                E::PRECISION,
                [1, 1, 1],
                [BLOCK, 1, 1],
                &[partials.arg(), total.arg(), Arg::U32(grid)],
            )
        }
        typeflux_core::Device::read::<(), E>(self, &total, 0)
    }

    pub(crate) fn reduce_axis<S: Shape, E: GpuFloat>(
        &self,
        reduction: Reduction,
        a: &GpuBuffer<E, R>,
        rows: usize,
        cols: usize,
        axis: usize,
    ) -> GpuBuffer<E, R> {
        assert!(axis < 2, "reduce: axis {axis} of a matrix");
        same_len("reduce", a.len(), count("reduce", rows, cols) as usize);
        let outputs = if axis == 0 { cols } else { rows };
        let out = self.alloc::<E>(outputs);
        let length = if axis == 0 { rows } else { cols };
        if outputs == 0 {
            return out;
        }
        if length == 0 {
            assert!(
                reduction != Reduction::Max,
                "max along axis {axis}: the axis is empty"
            );
            return typeflux_core::Device::full::<S, E>(self, outputs, E::zero());
        }
        let spec = Spec::ReduceAxis {
            reduction,
            axis: axis as u8,
            rows: dim::<S>(0, rows),
            cols: dim::<S>(1, cols),
        };
        // SAFETY: a holds rows·cols elements, out one per output.
        unsafe {
            self.pass::<E>(
                spec,
                outputs as u32,
                &[
                    a.arg(),
                    out.arg(),
                    Arg::U32(rows as u32),
                    Arg::U32(cols as u32),
                ],
            )
        }
        out
    }

    /// Columns of a `rows × (len / rows)` buffer, checked.
    fn columns(op: &str, len: usize, rows: usize) -> usize {
        length(op, len);
        assert!(
            rows > 0 && len.is_multiple_of(rows),
            "{op}: {len} elements are not columns of {rows}"
        );
        len / rows
    }
}

macro_rules! kernels {
    ($E:ty) => {
        impl<R: Runtime> Kernels<$E> for Gpu<R> {
            fn binary<S: Shape>(
                &self,
                op: BinaryOp,
                a: &GpuBuffer<$E, R>,
                b: &GpuBuffer<$E, R>,
            ) -> GpuBuffer<$E, R> {
                let out = self.alloc::<$E>(a.len());
                self.binary_into::<S, $E>(op, a, b, &out);
                out
            }

            fn binary_assign<S: Shape>(
                &self,
                op: BinaryOp,
                a: &mut GpuBuffer<$E, R>,
                b: &GpuBuffer<$E, R>,
            ) {
                self.make_unique(a);
                self.binary_into::<S, $E>(op, a, b, a);
            }

            fn scalar<S: Shape>(
                &self,
                op: BinaryOp,
                a: &GpuBuffer<$E, R>,
                s: $E,
                scalar_first: bool,
            ) -> GpuBuffer<$E, R> {
                let out = self.alloc::<$E>(a.len());
                self.scalar_into::<S, $E>(op, a, s, scalar_first, &out);
                out
            }

            fn scalar_assign<S: Shape>(&self, op: BinaryOp, a: &mut GpuBuffer<$E, R>, s: $E) {
                self.make_unique(a);
                self.scalar_into::<S, $E>(op, a, s, false, a);
            }

            fn unary<S: Shape>(&self, op: UnaryOp, a: &GpuBuffer<$E, R>) -> GpuBuffer<$E, R> {
                let out = self.alloc::<$E>(a.len());
                self.unary_into::<S, $E>(op, a, &out, None);
                out
            }

            fn unary_assign<S: Shape>(&self, op: UnaryOp, a: &mut GpuBuffer<$E, R>) {
                self.make_unique(a);
                self.unary_into::<S, $E>(op, a, a, None);
            }

            fn unary_slope<S: Shape>(
                &self,
                op: UnaryOp,
                a: &GpuBuffer<$E, R>,
            ) -> (GpuBuffer<$E, R>, GpuBuffer<$E, R>) {
                let (y, dy) = (self.alloc::<$E>(a.len()), self.alloc::<$E>(a.len()));
                self.unary_into::<S, $E>(op, a, &y, Some(&dy));
                (y, dy)
            }

            fn unary_slope_assign<S: Shape>(
                &self,
                op: UnaryOp,
                a: &mut GpuBuffer<$E, R>,
            ) -> GpuBuffer<$E, R> {
                self.make_unique(a);
                let dy = self.alloc::<$E>(a.len());
                self.unary_into::<S, $E>(op, a, a, Some(&dy));
                dy
            }

            fn axpy<S: Shape>(&self, y: &mut GpuBuffer<$E, R>, alpha: $E, x: &GpuBuffer<$E, R>) {
                same_len("axpy", y.len(), x.len());
                let n = length("axpy", y.len());
                if n == 0 {
                    return;
                }
                self.make_unique(y);
                let spec = Spec::Axpy {
                    len: len_of::<S>(y.len()),
                };
                // SAFETY: y and x hold `n` elements each.
                unsafe { self.pass::<$E>(spec, n, &[y.arg(), x.arg(), alpha.arg(), Arg::U32(n)]) }
            }

            // Convolution and pooling have no GPU kernels yet: they run the
            // CPU's kernels on a copy in host memory, and the result is
            // uploaded, so models with them still run on the GPU, correctly
            // if not fast.

            fn im2col<S: Shape, T: Shape>(
                &self,
                x: &GpuBuffer<$E, R>,
                window: &Window,
            ) -> GpuBuffer<$E, R> {
                let out =
                    Kernels::<$E>::im2col::<S, T>(&Cpu, &self.download_host::<S, $E>(x), window);
                self.upload_host::<T, $E>(&out)
            }

            fn col2im<S: Shape, T: Shape>(
                &self,
                cols: &GpuBuffer<$E, R>,
                window: &Window,
            ) -> GpuBuffer<$E, R> {
                let out =
                    Kernels::<$E>::col2im::<S, T>(&Cpu, &self.download_host::<S, $E>(cols), window);
                self.upload_host::<T, $E>(&out)
            }

            fn transpose_batched<S: Shape, T: Shape>(
                &self,
                a: &GpuBuffer<$E, R>,
                rows: usize,
                cols: usize,
                batch: usize,
            ) -> GpuBuffer<$E, R> {
                let host = self.download_host::<S, $E>(a);
                let out = Kernels::<$E>::transpose_batched::<S, T>(&Cpu, &host, rows, cols, batch);
                self.upload_host::<T, $E>(&out)
            }

            fn pool<S: Shape, T: Shape>(
                &self,
                x: &GpuBuffer<$E, R>,
                window: &Window,
                pool: Pool,
            ) -> GpuBuffer<$E, R> {
                let out = Kernels::<$E>::pool::<S, T>(
                    &Cpu,
                    &self.download_host::<S, $E>(x),
                    window,
                    pool,
                );
                self.upload_host::<T, $E>(&out)
            }

            fn pool_pullback<S: Shape, T: Shape>(
                &self,
                x: &GpuBuffer<$E, R>,
                dy: &GpuBuffer<$E, R>,
                window: &Window,
                pool: Pool,
            ) -> GpuBuffer<$E, R> {
                let (x, dy) = (
                    self.download_host::<S, $E>(x),
                    self.download_host::<T, $E>(dy),
                );
                let out = Kernels::<$E>::pool_pullback::<S, T>(&Cpu, &x, &dy, window, pool);
                self.upload_host::<S, $E>(&out)
            }

            fn adam<S: Shape>(
                &self,
                g: &mut GpuBuffer<$E, R>,
                m: &mut GpuBuffer<$E, R>,
                v: &mut GpuBuffer<$E, R>,
                h: typeflux_core::AdamStep<$E>,
            ) {
                same_len("adam", g.len(), m.len());
                same_len("adam", g.len(), v.len());
                let n = length("adam", g.len());
                if n == 0 {
                    return;
                }
                self.make_unique(g);
                self.make_unique(m);
                self.make_unique(v);
                let spec = Spec::Adam {
                    len: len_of::<S>(g.len()),
                };
                let args = [
                    g.arg(),
                    m.arg(),
                    v.arg(),
                    h.beta1.arg(),
                    h.one_minus_beta1.arg(),
                    h.beta2.arg(),
                    h.one_minus_beta2.arg(),
                    h.inv_correction2.arg(),
                    h.epsilon.arg(),
                    h.step.arg(),
                    Arg::U32(n),
                ];
                // SAFETY: g, m and v hold `n` elements each (checked above)
                // and are each this launch's own.
                unsafe { self.pass::<$E>(spec, n, &args) }
            }

            fn broadcast<S: Shape, V: Shape>(
                &self,
                op: BinaryOp,
                m: &GpuBuffer<$E, R>,
                rows: usize,
                v: &GpuBuffer<$E, R>,
            ) -> GpuBuffer<$E, R> {
                let out = self.alloc::<$E>(m.len());
                self.broadcast_into::<S, $E>(op, m, rows, v, &out);
                out
            }

            fn broadcast_assign<S: Shape, V: Shape>(
                &self,
                op: BinaryOp,
                m: &mut GpuBuffer<$E, R>,
                rows: usize,
                v: &GpuBuffer<$E, R>,
            ) {
                self.make_unique(m);
                self.broadcast_into::<S, $E>(op, m, rows, v, m);
            }

            fn matmul<A: Shape, B: Shape, C: Shape>(
                &self,
                m: usize,
                k: usize,
                n: usize,
                a: &GpuBuffer<$E, R>,
                a_transposed: bool,
                b: &GpuBuffer<$E, R>,
                b_transposed: bool,
            ) -> GpuBuffer<$E, R> {
                let c = self.alloc::<$E>(count("matmul", m, n) as usize);
                self.product::<A, B, $E>(
                    &c,
                    1.0,
                    (m, k, n),
                    a,
                    a_transposed,
                    b,
                    b_transposed,
                    Epilogue::PLAIN,
                    None,
                    None,
                );
                c
            }

            fn matmul_add<A: Shape, B: Shape, C: Shape>(
                &self,
                c: &mut GpuBuffer<$E, R>,
                scale: $E,
                m: usize,
                k: usize,
                n: usize,
                a: &GpuBuffer<$E, R>,
                a_transposed: bool,
                b: &GpuBuffer<$E, R>,
                b_transposed: bool,
            ) {
                self.make_unique(c);
                self.product::<A, B, $E>(
                    c,
                    scale,
                    (m, k, n),
                    a,
                    a_transposed,
                    b,
                    b_transposed,
                    Epilogue::ACCUMULATE,
                    None,
                    None,
                );
            }

            fn transpose<S: Shape, T: Shape>(
                &self,
                a: &GpuBuffer<$E, R>,
                rows: usize,
                cols: usize,
            ) -> GpuBuffer<$E, R> {
                same_len(
                    "transpose",
                    a.len(),
                    count("transpose", rows, cols) as usize,
                );
                let out = self.alloc::<$E>(a.len());
                if a.is_empty() {
                    return out;
                }
                let grid_y = (rows as u32).div_ceil(shape::TILE);
                assert!(
                    grid_y <= 65_535,
                    "transpose: {rows} rows are more than the grid holds"
                );
                let spec = Spec::Transpose {
                    rows: dim::<S>(0, rows),
                    cols: dim::<S>(1, cols),
                };
                // SAFETY: a and out hold rows·cols elements.
                unsafe {
                    self.launch(
                        spec,
                        <$E as GpuFloat>::PRECISION,
                        [(cols as u32).div_ceil(shape::TILE), grid_y, 1],
                        [shape::TILE, shape::TILE_ROWS, 1],
                        &[
                            a.arg(),
                            out.arg(),
                            Arg::U32(rows as u32),
                            Arg::U32(cols as u32),
                        ],
                    )
                }
                out
            }

            fn sum<S: Shape>(&self, a: &GpuBuffer<$E, R>) -> $E {
                if a.is_empty() {
                    return 0.0;
                }
                self.reduce_all::<S, $E>(Reduction::Sum, a)
            }

            fn sum_of<S: Shape>(&self, op: UnaryOp, a: &GpuBuffer<$E, R>) -> $E {
                if a.is_empty() {
                    return 0.0;
                }
                self.reduce_all::<S, $E>(Reduction::SumOf(op), a)
            }

            fn max<S: Shape>(&self, a: &GpuBuffer<$E, R>) -> Option<$E> {
                (!a.is_empty()).then(|| self.reduce_all::<S, $E>(Reduction::Max, a))
            }

            fn sum_axis<S: Shape, T: Shape>(
                &self,
                a: &GpuBuffer<$E, R>,
                rows: usize,
                cols: usize,
                axis: usize,
            ) -> GpuBuffer<$E, R> {
                self.reduce_axis::<S, $E>(Reduction::Sum, a, rows, cols, axis)
            }

            fn max_axis<S: Shape, T: Shape>(
                &self,
                a: &GpuBuffer<$E, R>,
                rows: usize,
                cols: usize,
                axis: usize,
            ) -> GpuBuffer<$E, R> {
                self.reduce_axis::<S, $E>(Reduction::Max, a, rows, cols, axis)
            }

            fn concat_rows<A: Shape, B: Shape, C: Shape>(
                &self,
                a: &GpuBuffer<$E, R>,
                a_rows: usize,
                b: &GpuBuffer<$E, R>,
                b_rows: usize,
                cols: usize,
            ) -> GpuBuffer<$E, R> {
                same_len(
                    "concat: top",
                    a.len(),
                    count("concat", a_rows, cols) as usize,
                );
                same_len(
                    "concat: bottom",
                    b.len(),
                    count("concat", b_rows, cols) as usize,
                );
                let rows = a_rows
                    .checked_add(b_rows)
                    .expect("concat: rows overflow usize");
                let n = count("concat", rows, cols);
                let out = self.alloc::<$E>(n as usize);
                if n == 0 {
                    return out;
                }
                let spec = Spec::Concat {
                    a_rows: dim::<A>(0, a_rows),
                    b_rows: dim::<B>(0, b_rows),
                    cols: dim::<C>(1, cols),
                };
                // SAFETY: a holds a_rows·cols elements, b b_rows·cols and
                // out their sum.
                unsafe {
                    self.pass::<$E>(
                        spec,
                        n,
                        &[
                            a.arg(),
                            b.arg(),
                            out.arg(),
                            Arg::U32(a_rows as u32),
                            Arg::U32(b_rows as u32),
                            Arg::U32(cols as u32),
                        ],
                    )
                }
                out
            }

            fn softmax<S: Shape>(
                &self,
                a: &GpuBuffer<$E, R>,
                rows: usize,
                log: bool,
            ) -> GpuBuffer<$E, R> {
                if a.is_empty() {
                    return a.clone();
                }
                let cols = Self::columns("softmax", a.len(), rows);
                let out = self.alloc::<$E>(a.len());
                let spec = Spec::Softmax {
                    log,
                    rows: dim::<S>(0, rows),
                    cols: dim::<S>(1, cols),
                };
                // SAFETY: a and out hold rows·cols elements.
                unsafe {
                    self.pass::<$E>(
                        spec,
                        cols as u32,
                        &[
                            a.arg(),
                            out.arg(),
                            Arg::U32(rows as u32),
                            Arg::U32(cols as u32),
                        ],
                    )
                }
                out
            }

            fn softmax_pullback<S: Shape>(
                &self,
                y: &GpuBuffer<$E, R>,
                dy: &GpuBuffer<$E, R>,
                rows: usize,
                log: bool,
            ) -> GpuBuffer<$E, R> {
                same_len("softmax pullback", y.len(), dy.len());
                if y.is_empty() {
                    return dy.clone();
                }
                let cols = Self::columns("softmax pullback", y.len(), rows);
                let out = self.alloc::<$E>(y.len());
                let spec = Spec::SoftmaxPullback {
                    log,
                    rows: dim::<S>(0, rows),
                    cols: dim::<S>(1, cols),
                };
                // SAFETY: y, dy and out hold rows·cols elements.
                unsafe {
                    self.pass::<$E>(
                        spec,
                        cols as u32,
                        &[
                            y.arg(),
                            dy.arg(),
                            out.arg(),
                            Arg::U32(rows as u32),
                            Arg::U32(cols as u32),
                        ],
                    )
                }
                out
            }

            fn logit_cross_entropy<S: Shape>(
                &self,
                x: &GpuBuffer<$E, R>,
                y: &GpuBuffer<$E, R>,
                rows: usize,
                scale: $E,
            ) -> ($E, GpuBuffer<$E, R>) {
                same_len("logitcrossentropy", x.len(), y.len());
                if x.is_empty() {
                    return (0.0, x.clone());
                }
                let cols = Self::columns("logitcrossentropy", x.len(), rows);
                let grad = self.alloc::<$E>(x.len());
                let losses = self.alloc::<$E>(cols);
                let spec = Spec::CrossEntropy {
                    rows: dim::<S>(0, rows),
                    cols: dim::<S>(1, cols),
                };
                // SAFETY: x, y and grad hold rows·cols elements, losses one
                // per column.
                unsafe {
                    self.pass::<$E>(
                        spec,
                        cols as u32,
                        &[
                            x.arg(),
                            y.arg(),
                            grad.arg(),
                            losses.arg(),
                            scale.arg(),
                            Arg::U32(rows as u32),
                            Arg::U32(cols as u32),
                        ],
                    )
                }
                let total = self.reduce_all::<(usize,), $E>(Reduction::Sum, &losses);
                (total * scale, grad)
            }

            #[inline(always)]
            fn dense_chains_or<X, Out>(
                x: X,
                fused: impl FnOnce(X) -> Out,
                _: impl FnOnce(X) -> Out,
            ) -> Out {
                fused(x)
            }

            fn dense_chain(
                &self,
                layers: &[ChainLayer],
                x: &GpuBuffer<$E, R>,
                params: &[ChainParams<GpuBuffer<$E, R>>],
                keep: bool,
            ) -> Option<ChainOutput<GpuBuffer<$E, R>>> {
                self.chain_forward(layers, x, params, keep)
            }

            fn dense_chain_backward(
                &self,
                layers: &[ChainLayer],
                x: &GpuBuffer<$E, R>,
                weights: &[GpuBuffer<$E, R>],
                kept: &ChainKept<GpuBuffer<$E, R>>,
                dy: &GpuBuffer<$E, R>,
            ) -> Option<ChainGradients<GpuBuffer<$E, R>>> {
                self.chain_backward(layers, x, weights, kept, dy)
            }
        }
    };
}

kernels!(f32);
kernels!(f64);
