//! Every kernel typeflux runs on a GPU, as a [`Spec`]: what to compute, on
//! which element type, for which sizes. A spec writes its PTX module and is
//! the key under which a device keeps the module once loaded.
//!
//! A size the types know is built into the kernel as a constant
//! ([`Size::Fixed`]), so that loops have constant bounds and tiles that
//! divide it need no bounds checks; a size known only at run time (the
//! batch) is read from a parameter ([`Size::Param`]). Every kernel takes
//! its sizes as parameters either way, in a fixed order, so that one
//! launch routine serves both.
//!
//! | family | module | kernels |
//! |---|---|---|
//! | elementwise | [`elementwise`] | fill, every table operation with and without its slope, binary, scalar, `axpy`, broadcast |
//! | shape | [`shape`] | transpose, concatenation |
//! | reductions | [`reduce`] | sum, `Σ op(x)`, max of all; sums and maxima along each axis |
//! | softmax | [`softmax`] | softmax, logsoftmax, their pullbacks, logit cross-entropy |
//! | products | [`matmul`] | the tiled product, every transpose, the Dense epilogue |
//! | optimisers | [`optim`] | Adam's step in one pass |
//! | fused chains | [`fused`] | a `Chain` of small `Dense` layers in one kernel: inference, training, backward |

pub mod catalogue;
pub mod elementwise;
pub mod fused;
pub mod matmul;
pub mod optim;
pub mod reduce;
pub mod shape;
pub mod softmax;

use crate::ptx::{Float, Kernel, Operand, Special, U32, module};
use typeflux_core::{BinaryOp, UnaryOp};

pub use fused::{FusedChain, FusedGeometry, FusedLayer, FusedPass, FusedProducts};
pub use matmul::{Epilogue, Tile};
pub use reduce::Reduction;

/// The threads of a block in the one-dimensional kernels.
pub const BLOCK: u32 = 256;

/// A size a kernel is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    /// Known when the kernel is written: an immediate in the code.
    Fixed(u32),
    /// Read from the kernel's parameter.
    Param,
}

impl Size {
    /// `Fixed(n)` where the type fixes the size at `n` (and the run-time
    /// size agrees), `Param` otherwise.
    pub fn of(fixed: Option<usize>, actual: usize) -> Size {
        match fixed {
            Some(n) if n == actual => u32::try_from(n).map_or(Size::Param, Size::Fixed),
            _ => Size::Param,
        }
    }

    /// Whether the size is fixed and a multiple of `tile`.
    pub fn divisible_by(self, tile: u32) -> bool {
        matches!(self, Size::Fixed(n) if n % tile == 0)
    }

    /// Declares the size's parameter and returns the size as an operand.
    pub(crate) fn load(self, k: &mut Kernel) -> Operand<U32> {
        let param = k.param::<U32>();
        match self {
            Size::Fixed(n) => n.into(),
            Size::Param => param.into(),
        }
    }

    fn tag(self) -> String {
        match self {
            Size::Fixed(n) => n.to_string(),
            Size::Param => "n".into(),
        }
    }
}

/// The element type of a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl Precision {
    /// Its name (`f32`).
    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }

    /// Bytes per element.
    pub fn bytes(self) -> usize {
        match self {
            Precision::F32 => 4,
            Precision::F64 => 8,
        }
    }
}

/// What a kernel computes, for which sizes: with a [`Precision`], the key
/// of a module. The parameters each kernel takes are listed at its variant,
/// in order (`E` is the element type, sizes are `u32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Spec {
    /// `out[i] = value` — `(out, value: E, len)`.
    Fill {
        /// Elements.
        len: Size,
    },
    /// `y[i] = op(x[i])` — `(x, y, len)`.
    Unary {
        /// The operation.
        op: UnaryOp,
        /// Elements.
        len: Size,
    },
    /// `y[i] = op(x[i])`, `dy[i] = op'(x[i])` — `(x, y, dy, len)`.
    UnarySlope {
        /// The operation.
        op: UnaryOp,
        /// Elements.
        len: Size,
    },
    /// `out[i] = a[i] op b[i]` — `(a, b, out, len)`.
    Binary {
        /// The operation.
        op: BinaryOp,
        /// Elements.
        len: Size,
    },
    /// `out[i] = a[i] op s` (or `s op a[i]`) — `(a, out, s: E, len)`.
    Scalar {
        /// The operation.
        op: BinaryOp,
        /// Whether the scalar is the left operand.
        scalar_first: bool,
        /// Elements.
        len: Size,
    },
    /// `y[i] += alpha · x[i]` — `(y, x, alpha: E, len)`.
    Axpy {
        /// Elements.
        len: Size,
    },
    /// `out[i, j] = m[i, j] op v[i]` — `(m, v, out, rows, cols)`.
    Broadcast {
        /// The operation.
        op: BinaryOp,
        /// Rows of `m`, elements of `v`.
        rows: Size,
        /// Columns of `m`.
        cols: Size,
    },
    /// The `cols × rows` transpose of a `rows × cols` matrix — `(a, out, rows, cols)`.
    Transpose {
        /// Rows of the input.
        rows: Size,
        /// Columns of the input.
        cols: Size,
    },
    /// Rows of `a` over rows of `b` — `(a, b, out, a_rows, b_rows, cols)`.
    Concat {
        /// Rows of `a`.
        a_rows: Size,
        /// Rows of `b`.
        b_rows: Size,
        /// Columns of both.
        cols: Size,
    },
    /// One partial result per block — `(x, partials, len)`.
    ReduceAll {
        /// What is reduced.
        reduction: Reduction,
        /// Elements.
        len: Size,
    },
    /// Sums or maxima along an axis — `(x, out, rows, cols)`.
    ReduceAxis {
        /// Sum or max.
        reduction: Reduction,
        /// 0: one result per column; 1: one per row.
        axis: u8,
        /// Rows.
        rows: Size,
        /// Columns.
        cols: Size,
    },
    /// Softmax (or logsoftmax) of each column — `(x, y, rows, cols)`.
    Softmax {
        /// Logsoftmax.
        log: bool,
        /// Rows.
        rows: Size,
        /// Columns.
        cols: Size,
    },
    /// The pullback of [`Spec::Softmax`] — `(y, dy, dx, rows, cols)`.
    SoftmaxPullback {
        /// Of logsoftmax.
        log: bool,
        /// Rows.
        rows: Size,
        /// Columns.
        cols: Size,
    },
    /// Logit cross-entropy: per column its loss, and the gradient times
    /// `scale` — `(x, y, grad, losses, scale: E, rows, cols)`.
    CrossEntropy {
        /// Rows.
        rows: Size,
        /// Columns.
        cols: Size,
    },
    /// Adam's moments and change at every element, the gradient replaced
    /// by the change — `(g, m, v, beta1: E, one_minus_beta1: E, beta2: E,
    /// one_minus_beta2: E, inv_correction2: E, epsilon: E, step: E, len)`.
    Adam {
        /// Elements.
        len: Size,
    },
    /// `c = alpha · op(a) · op(b)` (`+ c` when accumulating), then the
    /// epilogue — `(a, b, c, bias, slope, alpha: E, m, k, n)`.
    Matmul {
        /// Rows of the product.
        m: Size,
        /// The inner size.
        k: Size,
        /// Columns of the product.
        n: Size,
        /// `a` is stored transposed (`k × m`).
        a_transposed: bool,
        /// `b` is stored transposed (`n × k`).
        b_transposed: bool,
        /// The tiling.
        tile: Tile,
        /// What follows the product.
        epilogue: Epilogue,
    },
    /// A pass of a whole chain of small `Dense` layers, its widths built
    /// in; the parameters of each pass are listed at [`FusedPass`], the
    /// batch `n` last.
    Fused {
        /// The layers.
        chain: FusedChain,
        /// Which pass.
        pass: FusedPass,
        /// How `f32` kernels compute their products (`f64` ones exactly).
        products: FusedProducts,
    },
}

impl Spec {
    /// Whether the entry is a kernel of its own for elements of
    /// `precision`: not a TF32 fused chain of `f64`, which is the exact one.
    pub fn applies_to(&self, precision: Precision) -> bool {
        !matches!(
            (self, precision),
            (
                Spec::Fused {
                    products: FusedProducts::Tf32,
                    ..
                },
                Precision::F64
            )
        )
    }

    /// The entry's name: the kernel and its sizes.
    pub fn name(&self, precision: Precision) -> String {
        let p = precision.name();
        match *self {
            Spec::Fill { len } => format!("fill_{p}_{}", len.tag()),
            Spec::Unary { op, len } => format!("{}_{p}_{}", op.name(), len.tag()),
            Spec::UnarySlope { op, len } => format!("{}_slope_{p}_{}", op.name(), len.tag()),
            Spec::Binary { op, len } => format!("{}_{p}_{}", binary_name(op), len.tag()),
            Spec::Scalar {
                op,
                scalar_first,
                len,
            } => format!(
                "{}_scalar{}_{p}_{}",
                binary_name(op),
                if scalar_first { "_first" } else { "" },
                len.tag()
            ),
            Spec::Axpy { len } => format!("axpy_{p}_{}", len.tag()),
            Spec::Broadcast { op, rows, cols } => {
                format!(
                    "broadcast_{}_{p}_{}x{}",
                    binary_name(op),
                    rows.tag(),
                    cols.tag()
                )
            }
            Spec::Transpose { rows, cols } => {
                format!("transpose_{p}_{}x{}", rows.tag(), cols.tag())
            }
            Spec::Concat {
                a_rows,
                b_rows,
                cols,
            } => format!(
                "concat_{p}_{}_{}x{}",
                a_rows.tag(),
                b_rows.tag(),
                cols.tag()
            ),
            Spec::ReduceAll { reduction, len } => {
                format!("{}_all_{p}_{}", reduction.name(), len.tag())
            }
            Spec::ReduceAxis {
                reduction,
                axis,
                rows,
                cols,
            } => format!(
                "{}_axis{axis}_{p}_{}x{}",
                reduction.name(),
                rows.tag(),
                cols.tag()
            ),
            Spec::Softmax { log, rows, cols } => format!(
                "{}softmax_{p}_{}x{}",
                if log { "log" } else { "" },
                rows.tag(),
                cols.tag()
            ),
            Spec::SoftmaxPullback { log, rows, cols } => format!(
                "{}softmax_pullback_{p}_{}x{}",
                if log { "log" } else { "" },
                rows.tag(),
                cols.tag()
            ),
            Spec::CrossEntropy { rows, cols } => {
                format!("cross_entropy_{p}_{}x{}", rows.tag(), cols.tag())
            }
            Spec::Adam { len } => format!("adam_{p}_{}", len.tag()),
            Spec::Matmul {
                m,
                k,
                n,
                a_transposed,
                b_transposed,
                tile,
                epilogue,
            } => format!(
                "matmul_{}{}_{p}_{}x{}x{}_{}_{}",
                if a_transposed { "t" } else { "n" },
                if b_transposed { "t" } else { "n" },
                m.tag(),
                k.tag(),
                n.tag(),
                tile.tag(),
                epilogue.tag()
            ),
            Spec::Fused {
                chain,
                pass,
                products,
            } => {
                let products = match (precision, products) {
                    (Precision::F32, FusedProducts::Tf32) => "_tf32",
                    _ => "",
                };
                format!("fused_{}_{p}{products}_{}", pass.tag(), chain.tag())
            }
        }
    }

    /// The kernel, written for elements of type `T`.
    pub fn kernel<T: Float>(&self, name: String) -> Kernel {
        let mut k = Kernel::new(name);
        match *self {
            Spec::Fill { len } => elementwise::fill::<T>(&mut k, len),
            Spec::Unary { op, len } => elementwise::unary::<T>(&mut k, op, false, len),
            Spec::UnarySlope { op, len } => elementwise::unary::<T>(&mut k, op, true, len),
            Spec::Binary { op, len } => elementwise::binary::<T>(&mut k, op, len),
            Spec::Scalar {
                op,
                scalar_first,
                len,
            } => elementwise::scalar::<T>(&mut k, op, scalar_first, len),
            Spec::Axpy { len } => elementwise::axpy::<T>(&mut k, len),
            Spec::Broadcast { op, rows, cols } => {
                elementwise::broadcast::<T>(&mut k, op, rows, cols)
            }
            Spec::Transpose { rows, cols } => shape::transpose::<T>(&mut k, rows, cols),
            Spec::Concat {
                a_rows,
                b_rows,
                cols,
            } => shape::concat::<T>(&mut k, a_rows, b_rows, cols),
            Spec::ReduceAll { reduction, len } => reduce::all::<T>(&mut k, reduction, len),
            Spec::ReduceAxis {
                reduction,
                axis,
                rows,
                cols,
            } => reduce::axis::<T>(&mut k, reduction, axis, rows, cols),
            Spec::Softmax { log, rows, cols } => softmax::softmax::<T>(&mut k, log, rows, cols),
            Spec::SoftmaxPullback { log, rows, cols } => {
                softmax::pullback::<T>(&mut k, log, rows, cols)
            }
            Spec::CrossEntropy { rows, cols } => softmax::cross_entropy::<T>(&mut k, rows, cols),
            Spec::Adam { len } => optim::adam::<T>(&mut k, len),
            Spec::Matmul {
                m,
                k: inner,
                n,
                a_transposed,
                b_transposed,
                tile,
                epilogue,
            } => matmul::matmul::<T>(
                &mut k,
                matmul::Operands {
                    m,
                    k: inner,
                    n,
                    a_transposed,
                    b_transposed,
                },
                tile,
                epilogue,
            ),
            Spec::Fused {
                chain,
                pass,
                products,
            } => match pass {
                FusedPass::Inference => fused::forward::<T>(&mut k, &chain, false, products),
                FusedPass::Training => fused::forward::<T>(&mut k, &chain, true, products),
                FusedPass::Backward => fused::backward::<T>(&mut k, &chain, products),
            },
        }
        k
    }

    /// The PTX module holding the kernel, and the kernel's name.
    pub fn ptx(&self, precision: Precision) -> (String, String) {
        let name = self.name(precision);
        let kernel = match precision {
            Precision::F32 => self.kernel::<crate::ptx::F32>(name.clone()),
            Precision::F64 => self.kernel::<crate::ptx::F64>(name.clone()),
        };
        (module(&[&kernel]), name)
    }
}

fn binary_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::Div => "div",
    }
}

/// `for i in (global thread index..len).step_by(threads in the grid)`.
pub(crate) fn grid_stride(
    k: &mut Kernel,
    len: Operand<U32>,
    body: impl FnOnce(&mut Kernel, crate::ptx::Reg<U32>),
) {
    let tid = k.special(Special::TidX);
    let ntid = k.special(Special::NtidX);
    let ctaid = k.special(Special::CtaidX);
    let nctaid = k.special(Special::NctaidX);
    let start = k.fma(ctaid, ntid, tid);
    let stride = k.mul(ntid, nctaid);
    k.range(start, len, stride, body);
}

/// `rows · cols`, an immediate when both are fixed.
pub(crate) fn product(k: &mut Kernel, rows: Operand<U32>, cols: Operand<U32>) -> Operand<U32> {
    match (rows, cols) {
        (Operand::Imm(r, _), Operand::Imm(c, _)) => ((r * c) as u32).into(),
        _ => k.mul(rows, cols).into(),
    }
}

/// `a op b` on floats.
pub(crate) fn apply<T: Float>(
    k: &mut Kernel,
    op: BinaryOp,
    a: impl Into<Operand<T>>,
    b: impl Into<Operand<T>>,
) -> crate::ptx::Reg<T> {
    match op {
        BinaryOp::Add => k.add(a, b),
        BinaryOp::Sub => k.sub(a, b),
        BinaryOp::Mul => k.mul(a, b),
        BinaryOp::Div => k.div(a, b),
    }
}
