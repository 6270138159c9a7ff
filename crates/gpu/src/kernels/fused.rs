//! A whole `Chain` of small `Dense` layers in one kernel per pass, written
//! for the chain's exact widths.
//!
//! A block takes [`FusedGeometry::columns`] columns of the batch and runs
//! them through every layer without leaving the chip: the columns'
//! activations live in shared memory (two buffers, one read while the other
//! is written), each layer's weight is staged into shared memory a slice of
//! its inner size at a time, and the products are computed one of two ways
//! ([`FusedProducts`]):
//! - exactly: each thread accumulates rows `g + 8·r` of the layer's output
//!   for one column in registers, with `fma` in the order of the inner
//!   index;
//! - on tensor cores (`f32` only): each warp of the block takes a column
//!   tile of 8 and every other row tile of 16, accumulating the fragments
//!   of `mma.sync.m16n8k8` with factors rounded to TF32, and stores them to
//!   the other activation buffer, where each thread reads its rows of its
//!   column back. The weight's slice is staged in TF32 with zeros past its
//!   rows and inner size; the gradients of the weights are tiles of 16 × 8
//!   too, over the block's 32 columns.
//!
//! Every width is an immediate: the products are unrolled, their addresses
//! in shared memory constant offsets, and besides the last round of rows of
//! a width that is not a multiple of 8 (or of tiles of a width that is not
//! a multiple of 16) the only bounds check is the batch's (columns past it
//! compute on zeros and store nothing).
//!
//! Three passes share that core:
//! - inference: `y = chain(x)`;
//! - training: the same, also storing each hidden layer's output and each
//!   activation's slope at its pre-activation, which the backward pass
//!   needs;
//! - backward: from `ȳ`, the input's cotangent `x̄` and, per block, its
//!   part of every weight's and bias's gradient. The parts are summed over
//!   the blocks afterwards in a fixed order (a reduction along the block
//!   axis), so gradients are deterministic and no float atomics are used.

use super::Size;
use crate::kernels::elementwise::{value, value_and_slope};
use crate::ptx::{
    Cmp, F32, Float, Global, Kernel, Operand, Pred, Ptr, Reg, Shared, SharedArray, Special, U32,
    U64,
};
use typeflux_core::UnaryOp;

/// The most layers a fused chain holds.
pub const MAX_FUSED_LAYERS: usize = 8;
/// The widest a layer of a fused chain may be (inputs and outputs).
pub const MAX_FUSED_WIDTH: u32 = 128;

/// Rows of a layer's output a thread computes are `g + GROUPS·r`.
const GROUPS: u32 = 8;
/// The tensor cores' tile, `m16n8k8`: rows of the product, its columns and
/// the inner size of one step.
const TILE_M: u32 = 16;
const TILE_N: u32 = 8;
const TILE_K: u32 = 8;
/// Threads of a warp.
const WARP: u32 = 32;
/// On tensor cores, elements from one inner index of a staged weight to the
/// next are its rows and this many more, so that the lanes reading `A`'s
/// fragment (rows `g`, inner indices `q`) meet in no bank of shared memory
/// twice.
const WEIGHT_SKEW: u32 = 8;

/// How the products of a fused `f32` chain are computed. (`f64` chains
/// always compute theirs exactly: there is no TF32 for them.)
///
/// ```
/// use typeflux_gpu::FusedProducts;
///
/// assert_eq!(FusedProducts::default(), FusedProducts::Tf32);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FusedProducts {
    /// On tensor cores (`mma.sync.m16n8k8` with TF32 operands): each
    /// factor of a product is first rounded to TF32 (8 exponent bits, 10
    /// mantissa bits, to nearest with ties away from zero, so a relative
    /// error of at most 2⁻¹¹ each), the products are exact and summed in
    /// `f32`. Bias, activations, slopes and the sums over blocks stay
    /// `f32`. What NVIDIA's libraries and PyTorch call "allow TF32".
    #[default]
    Tf32,
    /// In `f32` with `fma`, in the order of the inner index, as the layer
    /// by layer kernels and the CPU compute them.
    Exact,
}

/// One `Dense` layer of a fused chain: its outputs, bias and activation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FusedLayer {
    /// Output features.
    pub width: u32,
    /// Whether it adds a bias.
    pub bias: bool,
    /// The activation, an operation of the table (`None`: identity).
    pub activation: Option<UnaryOp>,
}

/// A chain of `Dense` layers a fused kernel is written for: the input
/// width and each layer, all at most [`MAX_FUSED_WIDTH`] wide, at most
/// [`MAX_FUSED_LAYERS`] of them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FusedChain {
    input: u32,
    len: usize,
    layers: [FusedLayer; MAX_FUSED_LAYERS],
}

impl FusedChain {
    /// The chain from `input` features through `layers`, or `None` where a
    /// width is zero or above [`MAX_FUSED_WIDTH`], or there are no layers
    /// or more than [`MAX_FUSED_LAYERS`].
    pub fn new(input: u32, layers: &[FusedLayer]) -> Option<FusedChain> {
        let fits = |w: u32| (1..=MAX_FUSED_WIDTH).contains(&w);
        if layers.is_empty()
            || layers.len() > MAX_FUSED_LAYERS
            || !fits(input)
            || !layers.iter().all(|l| fits(l.width))
        {
            return None;
        }
        let mut all = [FusedLayer::default(); MAX_FUSED_LAYERS];
        all[..layers.len()].copy_from_slice(layers);
        Some(FusedChain {
            input,
            len: layers.len(),
            layers: all,
        })
    }

    /// Input features.
    pub fn input(&self) -> u32 {
        self.input
    }

    /// Output features: the last layer's width.
    pub fn output(&self) -> u32 {
        self.layers[self.len - 1].width
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[FusedLayer] {
        &self.layers[..self.len]
    }

    /// The inputs of layer `l`: the previous layer's width, or the chain's.
    pub fn inputs_of(&self, l: usize) -> u32 {
        if l == 0 {
            self.input
        } else {
            self.layers[l - 1].width
        }
    }

    /// Elements per column of the hidden layers' outputs the training pass
    /// keeps (every layer's but the last).
    pub fn kept_outputs(&self) -> u32 {
        self.layers()[..self.len - 1].iter().map(|l| l.width).sum()
    }

    /// Elements per column of the activations' slopes the training pass
    /// keeps (every layer with an activation).
    pub fn kept_slopes(&self) -> u32 {
        self.layers()
            .iter()
            .filter(|l| l.activation.is_some())
            .map(|l| l.width)
            .sum()
    }

    fn widest(&self) -> u32 {
        self.layers()
            .iter()
            .map(|l| l.width)
            .fold(self.input, u32::max)
    }

    /// Where layer `l`'s output starts in a column of kept outputs.
    fn output_offset(&self, l: usize) -> u32 {
        self.layers[..l].iter().map(|l| l.width).sum()
    }

    /// Where layer `l`'s slope starts in a column of kept slopes.
    fn slope_offset(&self, l: usize) -> u32 {
        self.layers[..l]
            .iter()
            .filter(|l| l.activation.is_some())
            .map(|l| l.width)
            .sum()
    }

    pub(crate) fn tag(&self) -> String {
        let mut tag = self.input.to_string();
        for l in self.layers() {
            tag.push_str(&format!("_{}", l.width));
            if l.bias {
                tag.push('b');
            }
            if let Some(op) = l.activation {
                tag.push('_');
                tag.push_str(op.name());
            }
        }
        tag
    }
}

impl core::fmt::Debug for FusedChain {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FusedChain")
            .field("input", &self.input)
            .field("layers", &self.layers())
            .finish()
    }
}

/// Which pass of a fused chain a kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FusedPass {
    /// `y = chain(x)` — `(x, y, w_1, b_1, …, w_L, b_L, n)`.
    Inference,
    /// `y = chain(x)`, keeping what the backward pass needs — `(x, y, w_1,
    /// b_1, …, w_L, b_L, outputs, slopes, n)`: column `j` of the hidden
    /// layers' outputs at `outputs[j·kept_outputs ..]`, layer after layer,
    /// and of the slopes at `slopes[j·kept_slopes ..]`.
    Training,
    /// `x̄` and each block's part of the parameters' gradients — `(x, ȳ,
    /// w_1, …, w_L, outputs, slopes, x̄, w̄_1, b̄_1, …, w̄_L, b̄_L, n)`:
    /// block `k`'s part of `w̄_l` at `w̄_l[k·O·I ..]`, of `b̄_l` at
    /// `b̄_l[k·O ..]` (not touched for a layer without bias).
    Backward,
}

impl FusedPass {
    pub(crate) fn tag(self) -> &'static str {
        match self {
            FusedPass::Inference => "inference",
            FusedPass::Training => "training",
            FusedPass::Backward => "backward",
        }
    }
}

/// How a fused kernel for elements of `bytes` bytes is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FusedGeometry {
    /// Columns of the batch per block.
    pub columns: u32,
    /// Threads per block.
    pub threads: u32,
    /// The least slice of a layer's inner size staged at a time: what the
    /// widest chain stages. A narrower one stages more at a time, up to
    /// whole weights, as far as [`SHARED_BUDGET`] allows.
    pub slice: u32,
}

/// The most shared memory, in bytes, a fused kernel declares: under the
/// 48 KiB a kernel may declare statically.
pub const SHARED_BUDGET: u32 = 46 * 1024;

impl FusedGeometry {
    /// For elements of `bytes` bytes: 32 columns and 256 threads for
    /// `f32`, 16 and 128 for `f64`, so that the shared memory of two
    /// activation buffers and a weight slice stays within
    /// [`SHARED_BUDGET`] for the widest chain.
    pub fn of(bytes: u32) -> FusedGeometry {
        let columns = 128 / bytes;
        FusedGeometry {
            columns,
            threads: columns * GROUPS,
            slice: 64 / bytes,
        }
    }

    /// Blocks for a batch of `n` columns.
    pub fn blocks(self, n: u32) -> u32 {
        n.div_ceil(self.columns)
    }
}

/// The writing of one fused kernel: the thread's place and the shared
/// buffers.
struct Fused<T> {
    geometry: FusedGeometry,
    /// The thread's index in the block.
    t: Reg<U32>,
    /// Its column in the block's tile.
    c: Reg<U32>,
    /// Its row group.
    g: Reg<U32>,
    /// The block's first column in the batch.
    j0: Reg<U32>,
    /// The thread's column in the batch.
    j: Reg<U32>,
    /// Whether that column is inside the batch.
    inside: Reg<Pred>,
    /// The batch.
    n: Operand<U32>,
    /// Elements from one row of a tile to the next: the columns, and on
    /// tensor cores 4 more, so that the lanes of a warp that read a
    /// fragment (rows `q`, columns `g`, or the other way round) meet in as
    /// few banks of shared memory as may be.
    pitch: u32,
    /// The slice of a layer's inner size staged at a time.
    slice: u32,
    /// Two buffers of `widest × columns`, row `p` of column `c` at `p·pitch + c`.
    tiles: [SharedArray<T>; 2],
    /// A slice of a weight, `rows × slice`.
    weights: SharedArray<T>,
    /// Whether the products run on tensor cores, in TF32.
    tf32: bool,
}

/// A product's rows for one thread's column: each accumulator with its row
/// and, where the row may be past the result, whether it is inside.
type Rows<T> = Vec<(Reg<T>, Reg<U32>, Option<Reg<Pred>>)>;

/// Where a column-major set of columns lies in global memory: element
/// `(p, j)` at `base[j·stride + offset + p]`.
#[derive(Clone, Copy)]
struct Columns {
    base: Reg<U64>,
    stride: u32,
    offset: u32,
}

impl<T: Float> Fused<T> {
    /// With `tf32`, the buffers hold whole tensor-core tiles: rows up to a
    /// multiple of [`TILE_M`], all written (zero) before use. A tile read as
    /// the inner operand of a product holds zeros in its rows past the
    /// width up to a multiple of [`TILE_K`]: from this start, from a
    /// product's rows past its width (zero rows of the weight times finite
    /// numbers) or from the forward pass's consumer, which writes zeros
    /// there. In the backward pass they can only be otherwise where the
    /// exact products are not finite either. Rows past the widths read as
    /// the outer operand give results no one keeps.
    fn new(k: &mut Kernel, chain: &FusedChain, n: Operand<U32>, tf32: bool) -> Self {
        let geometry = FusedGeometry::of(T::BYTES);
        let tf32 = tf32 && T::BYTES == 4;
        let widest = chain.widest();
        let rows = if tf32 {
            widest.next_multiple_of(TILE_M)
        } else {
            widest
        };
        let (pitch, staged_rows) = if tf32 {
            (geometry.columns + 4, rows + WEIGHT_SKEW)
        } else {
            (geometry.columns, rows)
        };
        // As much of the inner size at a time as shared memory holds: the
        // whole of it for chains up to about 64 wide, so that each layer
        // stages its weight once, between two barriers.
        let tile_bytes = (rows * pitch * T::BYTES).next_multiple_of(16);
        let most = (SHARED_BUDGET - 2 * tile_bytes) / (staged_rows * T::BYTES);
        let slice = (most - most % TILE_K)
            .min(widest.next_multiple_of(TILE_K))
            .max(geometry.slice);
        let tiles = [k.shared::<T>(rows * pitch), k.shared::<T>(rows * pitch)];
        let weights = k.shared::<T>(staged_rows * slice);
        let t = k.special(Special::TidX);
        if tf32 {
            // The tiles' rows past a layer's width are read by the tensor
            // cores (their products land in rows no one keeps), so they
            // hold numbers from the start.
            k.range(t, rows * pitch, geometry.threads, |k, e| {
                for tile in tiles {
                    let at = k.at(tile, e);
                    k.st::<T, _>(at, T::lit(0.0));
                }
            });
            k.bar_sync();
        }
        let block = k.special(Special::CtaidX);
        let c = k.rem(t, geometry.columns);
        let g = k.div(t, geometry.columns);
        let j0 = k.mul(block, geometry.columns);
        let j = k.add(j0, c);
        let inside = k.setp(Cmp::Lt, j, n);
        Fused {
            geometry,
            t,
            c,
            g,
            j0,
            j,
            inside,
            n,
            tiles,
            weights,
            tf32,
            pitch,
            slice,
        }
    }

    /// Copies `rows` rows of the block's columns into `tile`, zero past the
    /// batch, times the same rows of `factor` where there is one. The
    /// threads read consecutive elements of each column.
    fn load(
        &self,
        k: &mut Kernel,
        rows: u32,
        from: Columns,
        factor: Option<Columns>,
        tile: SharedArray<T>,
    ) {
        let (columns, threads) = (self.geometry.columns, self.geometry.threads);
        k.range(self.t, rows * columns, threads, |k, e| {
            let c = k.div(e, rows);
            let p = k.rem(e, rows);
            let j = k.add(self.j0, c);
            let v = k.mov(T::lit(0.0));
            let inside = k.setp(Cmp::Lt, j, self.n);
            k.when(inside, |k| {
                let x = element(k, from, j, p);
                let x = match factor {
                    Some(f) => {
                        let y = element(k, f, j, p);
                        k.mul(x, y)
                    }
                    None => x,
                };
                k.assign(v, x);
            });
            let index = k.fma(p, self.pitch, c);
            let at = k.at(tile, index);
            k.st::<T, _>(at, v);
        });
    }

    /// `op(W)·tile` for the thread's column: one accumulator for each row
    /// `g + GROUPS·r` of the result, with the row's index (the last one
    /// clamped into the result, valid where its predicate holds).
    /// `W` is `outputs × inputs`; transposed, the result has `inputs` rows.
    /// On tensor cores the product goes through `dst`, which must not be
    /// `tile` and may be read by no thread from the call on.
    fn product(
        &self,
        k: &mut Kernel,
        w: Reg<U64>,
        shape: (u32, u32),
        transposed: bool,
        tile: SharedArray<T>,
        dst: SharedArray<T>,
    ) -> Rows<T> {
        if self.tf32 {
            self.product_tf32(k, w, shape, transposed, tile, dst)
        } else {
            self.product_fma(k, w, shape, transposed, tile)
        }
    }

    /// [`product`](Self::product) with `fma`, each thread its rows of its
    /// column.
    fn product_fma(
        &self,
        k: &mut Kernel,
        w: Reg<U64>,
        (outputs, inputs): (u32, u32),
        transposed: bool,
        tile: SharedArray<T>,
    ) -> Rows<T> {
        let (threads, slice) = (self.geometry.threads, self.slice);
        let (rows, inner) = if transposed {
            (inputs, outputs)
        } else {
            (outputs, inputs)
        };
        let bytes = i64::from(T::BYTES);
        let rows_per_thread = rows.div_ceil(GROUPS);
        let mut out = Vec::new();
        let mut pointers = Vec::new();
        for r in 0..rows_per_thread {
            let row = k.add(self.g, r * GROUPS);
            // Only the last round can pass the end; its thread reads the
            // last row instead and stores nothing.
            let (row_read, valid) = if (r + 1) * GROUPS > rows {
                let valid = k.setp(Cmp::Lt, row, rows);
                (k.min(row, rows - 1), Some(valid))
            } else {
                (row, None)
            };
            pointers.push(k.at(self.weights, row_read));
            let acc = k.mov(T::lit(0.0));
            out.push((acc, row, valid));
        }
        let column = k.at(tile, self.c);
        for p0 in (0..inner).step_by(slice as usize) {
            let width = slice.min(inner - p0);
            // Every thread is done with the previous slice (and with the
            // tile's writes before the product).
            k.bar_sync();
            k.range(self.t, rows * width, threads, |k, e| {
                let (pp, row) = if transposed {
                    (k.rem(e, width), k.div(e, width))
                } else {
                    (k.div(e, rows), k.rem(e, rows))
                };
                // Element (row, p0 + pp) of op(W): W[p0 + pp, row] when
                // transposed, at row·outputs + p0 + pp; else W[row, p0 + pp].
                let index = if transposed {
                    let i = k.fma(row, outputs, pp);
                    k.add(i, p0)
                } else {
                    k.add(e, p0 * outputs)
                };
                let at = k.global::<T>(w, index);
                let x = k.ld::<T, Global>(at);
                let slot = k.fma(pp, rows, row);
                let slot = k.at(self.weights, slot);
                k.st::<T, _>(slot, x);
            });
            k.bar_sync();
            for pp in 0..width {
                let a = k.ld::<T, _>(column.offset(i64::from((p0 + pp) * self.pitch) * bytes));
                for ((acc, _, _), pointer) in out.iter().zip(&pointers) {
                    let wv = k.ld::<T, _>(pointer.offset(i64::from(pp * rows) * bytes));
                    let next = k.fma(wv, a, *acc);
                    k.assign(*acc, next);
                }
            }
        }
        out
    }

    /// The warp's lane, its group `g = lane / 4` and place in the group
    /// `q = lane % 4`, and the warp's index in the block.
    fn lanes(&self, k: &mut Kernel) -> (Reg<U32>, Reg<U32>, Reg<U32>) {
        let lane = k.rem(self.t, WARP);
        let g = k.div(lane, 4u32);
        let q = k.rem(lane, 4u32);
        let warp = k.div(self.t, WARP);
        (g, q, warp)
    }

    /// [`product`](Self::product) on tensor cores. The result, padded to
    /// whole tiles of [`TILE_M`] rows, is the block's `rows × columns`:
    /// each warp takes one column tile of [`TILE_N`] and every other row
    /// tile, accumulating in the fragments of `mma.m16n8k8` over the inner
    /// index, a step of [`TILE_K`] at a time. The weight's slice is staged
    /// in TF32 with zeros past its rows and inner size; the tile's rows
    /// past the inner size are zero (see [`new`](Self::new)). The
    /// fragments are stored to `dst`, and each thread reads back its rows of
    /// its column after a barrier.
    fn product_tf32(
        &self,
        k: &mut Kernel,
        w: Reg<U64>,
        (outputs, inputs): (u32, u32),
        transposed: bool,
        tile: SharedArray<T>,
        dst: SharedArray<T>,
    ) -> Rows<T> {
        let FusedGeometry {
            columns, threads, ..
        } = self.geometry;
        let slice = self.slice;
        let (rows, inner) = if transposed {
            (inputs, outputs)
        } else {
            (outputs, inputs)
        };
        const F: i64 = 4;
        let padded = rows.next_multiple_of(TILE_M);
        let stride = padded + WEIGHT_SKEW;
        let row_tiles = padded / TILE_M;
        let column_tiles = columns / TILE_N;
        // Warps that share a column tile take its row tiles in turn.
        let turns = threads / WARP / column_tiles;
        let rounds = row_tiles.div_ceil(turns);
        let (g, q, warp) = self.lanes(k);
        let (first, n0) = tile_origin(k, warp, column_tiles, TILE_N);
        let m0 = k.mul(first, TILE_M);
        // B = tile[k][n] at k·pitch + n: b0 = B[q][g], b1 = B[q + 4][g].
        let b_col = k.add(n0, g);
        let b_at = place(k, tile, q, self.pitch, b_col);
        // A = the staged slice, A[m][k] at k·stride + m: a0 = A[g][q],
        // a1 = A[g + 8][q], a2 = A[g][q + 4], a3 = A[g + 8][q + 4].
        let a_col = k.add(m0, g);
        let a_at = place(k, self.weights, q, stride, a_col);
        // D = dst[m][n] at m·pitch + n: d0 = D[g][2q], d1 = D[g][2q + 1],
        // d2 = D[g + 8][2q], d3 = D[g + 8][2q + 1].
        let d_row = k.add(m0, g);
        let d_col = k.fma(q, 2u32, n0);
        let d_at = place(k, dst, d_row, self.pitch, d_col);
        // Round r takes row tile `first + turns·r`, past the end only in
        // the last round.
        let valid: Vec<Option<Reg<Pred>>> = (0..rounds)
            .map(|r| {
                ((r + 1) * turns > row_tiles).then(|| k.setp(Cmp::Lt, first, row_tiles - turns * r))
            })
            .collect();
        let accs: Vec<[Reg<F32>; 4]> = (0..rounds)
            .map(|_| [(); 4].map(|()| k.mov(F32::lit(0.0))))
            .collect();
        let row_step = i64::from(turns * TILE_M);
        for p0 in (0..inner).step_by(slice as usize) {
            let width = slice.min(inner - p0);
            let steps = width.div_ceil(TILE_K);
            let staged = steps * TILE_K;
            // Every warp is done with the previous slice (and every thread
            // with the tile's writes before the product).
            k.bar_sync();
            k.range(self.t, padded * staged, threads, |k, e| {
                let (pp, row) = if transposed {
                    (k.rem(e, staged), k.div(e, staged))
                } else {
                    (k.div(e, padded), k.rem(e, padded))
                };
                let v = k.mov(0u32);
                let mut inside = None;
                if padded != rows {
                    inside = Some(k.setp(Cmp::Lt, row, rows));
                }
                if staged != width {
                    let p = k.setp(Cmp::Lt, pp, width);
                    inside = Some(match inside {
                        Some(i) => k.and_pred(i, p),
                        None => p,
                    });
                }
                guarded(k, inside, |k| {
                    // Element (row, p0 + pp) of op(W), as in `product_fma`.
                    let index = if transposed {
                        k.fma(row, outputs, pp)
                    } else {
                        k.fma(pp, outputs, row)
                    };
                    let index = k.add(index, p0 * if transposed { 1 } else { outputs });
                    let at = k.global::<F32>(w, index);
                    let x = k.ld::<F32, Global>(at);
                    let x = k.to_tf32(x);
                    k.assign(v, x);
                });
                let slot = k.fma(pp, stride, row);
                let slot = k.at(self.weights, slot);
                k.st::<U32, _>(slot, v);
            });
            k.bar_sync();
            for step in 0..steps {
                let kk = i64::from(step * TILE_K);
                let b_row = i64::from(p0) + kk;
                let b0 = k.ld::<F32, _>(b_at.offset(b_row * i64::from(self.pitch) * F));
                let b1 = k.ld::<F32, _>(b_at.offset((b_row + 4) * i64::from(self.pitch) * F));
                let b = [k.to_tf32(b0), k.to_tf32(b1)];
                for (r, acc) in accs.iter().enumerate() {
                    let base = kk * i64::from(stride) + row_step * r as i64;
                    let a_of = |k: &mut Kernel, dm: i64, dk: i64| {
                        k.ld::<U32, _>(a_at.offset((base + dk * i64::from(stride) + dm) * F))
                    };
                    guarded(k, valid[r], |k| {
                        let a = [a_of(k, 0, 0), a_of(k, 8, 0), a_of(k, 0, 4), a_of(k, 8, 4)];
                        k.mma_tf32(*acc, a, b, *acc);
                    });
                }
            }
        }
        for (r, acc) in accs.iter().enumerate() {
            let base = row_step * r as i64 * i64::from(self.pitch);
            guarded(k, valid[r], |k| {
                let eight = 8 * i64::from(self.pitch);
                for (v, offset) in acc.iter().zip([0, 1, eight, eight + 1]) {
                    k.st::<F32, _>(d_at.offset((base + offset) * F), *v);
                }
            });
        }
        // Every fragment is in `dst`.
        k.bar_sync();
        let column = k.fma(self.g, self.pitch, self.c);
        let column = k.at(dst, column);
        (0..rows.div_ceil(GROUPS))
            .map(|r| {
                let row = k.add(self.g, r * GROUPS);
                let valid = ((r + 1) * GROUPS > rows).then(|| k.setp(Cmp::Lt, row, rows));
                let offset = i64::from(r * GROUPS * self.pitch) * F;
                let acc = k.ld::<T, _>(column.offset(offset));
                (acc, row, valid)
            })
            .collect()
    }

    /// This block's part of `W̄ = δ·xᵀ` on tensor cores, stored at
    /// `dw[block·o·i + row + col·o]`: `δ` (`o` rows) in `delta`, `x` (`i`
    /// rows) in `input`, the inner size the block's columns. The warps take
    /// the `⌈o/16⌉ × ⌈i/8⌉` tiles of `W̄` in turn.
    fn weight_gradient_tf32(
        &self,
        k: &mut Kernel,
        (delta, input): (SharedArray<T>, SharedArray<T>),
        (o, i): (u32, u32),
        dw: Reg<U64>,
        block: Reg<U32>,
    ) {
        let FusedGeometry {
            columns, threads, ..
        } = self.geometry;
        const F: i64 = 4;
        let warps = threads / WARP;
        let row_tiles = o.div_ceil(TILE_M);
        let tiles = row_tiles * i.div_ceil(TILE_N);
        let (g, q, warp) = self.lanes(k);
        let part = k.mul(block, o * i);
        for r in 0..tiles.div_ceil(warps) {
            let tile = k.add(warp, r * warps);
            let inside = ((r + 1) * warps > tiles).then(|| k.setp(Cmp::Lt, tile, tiles));
            guarded(k, inside, |k| {
                let (n, m0) = tile_origin(k, tile, row_tiles, TILE_M);
                let n0 = k.mul(n, TILE_N);
                // A[m][c] = δ at m·pitch + c; B[c][n] = x at n·pitch + c.
                let a_row = k.add(m0, g);
                let a_at = place(k, delta, a_row, self.pitch, q);
                let b_row = k.add(n0, g);
                let b_at = place(k, input, b_row, self.pitch, q);
                let acc = [(); 4].map(|()| k.mov(F32::lit(0.0)));
                let eight = 8 * i64::from(self.pitch);
                for step in 0..columns / TILE_K {
                    let c0 = i64::from(step * TILE_K);
                    let ld = |k: &mut Kernel, at: Ptr<Shared>, e: i64| {
                        let x = k.ld::<F32, _>(at.offset(e * F));
                        k.to_tf32(x)
                    };
                    let a = [
                        ld(k, a_at, c0),
                        ld(k, a_at, eight + c0),
                        ld(k, a_at, c0 + 4),
                        ld(k, a_at, eight + c0 + 4),
                    ];
                    let b = [ld(k, b_at, c0), ld(k, b_at, c0 + 4)];
                    k.mma_tf32(acc, a, b, acc);
                }
                let row = k.add(m0, g);
                let col = k.fma(q, 2u32, n0);
                for (v, (dr, dc)) in acc.into_iter().zip([(0, 0), (0, 1), (8, 0), (8, 1)]) {
                    let row = k.add(row, dr);
                    let col = k.add(col, dc);
                    let mut keep = None;
                    if !o.is_multiple_of(TILE_M) {
                        keep = Some(k.setp(Cmp::Lt, row, o));
                    }
                    if !i.is_multiple_of(TILE_N) {
                        let p = k.setp(Cmp::Lt, col, i);
                        keep = Some(match keep {
                            Some(r) => k.and_pred(r, p),
                            None => p,
                        });
                    }
                    guarded(k, keep, |k| {
                        let index = k.fma(col, o, row);
                        let index = k.add(index, part);
                        let at = k.global::<F32>(dw, index);
                        k.st::<F32, Global>(at, v);
                    });
                }
            });
        }
    }
}

/// Element `(p, j)` of a set of columns.
fn element<T: Float>(k: &mut Kernel, at: Columns, j: Reg<U32>, p: Reg<U32>) -> Reg<T> {
    let index = k.fma(j, at.stride, p);
    let index = k.add(index, at.offset);
    let address = k.global::<T>(at.base, index);
    k.ld::<T, Global>(address)
}

/// Stores `v` at `(p, j)` of a set of columns.
fn store<T: Float>(k: &mut Kernel, at: Columns, j: Reg<U32>, p: Reg<U32>, v: Reg<T>) {
    let index = k.fma(j, at.stride, p);
    let index = k.add(index, at.offset);
    let address = k.global::<T>(at.base, index);
    k.st::<T, Global>(address, v);
}

/// Element `(row, col)` of a shared array whose rows are `pitch` apart.
fn place<T: Float>(
    k: &mut Kernel,
    array: SharedArray<T>,
    row: Reg<U32>,
    pitch: u32,
    col: Reg<U32>,
) -> Ptr<Shared> {
    let index = k.fma(row, pitch, col);
    k.at(array, index)
}

/// `(index / across, (index % across) · size)`: of the tiles numbered
/// `across` to a line, tile `index`'s line and the first element of its
/// place along the line, tiles being `size` long.
fn tile_origin(k: &mut Kernel, index: Reg<U32>, across: u32, size: u32) -> (Reg<U32>, Reg<U32>) {
    let line = k.div(index, across);
    let along = k.rem(index, across);
    (line, k.mul(along, size))
}

/// `body` where `p` does not hold (nowhere when there is no `p`).
fn unless(k: &mut Kernel, p: Option<Reg<Pred>>, body: impl FnOnce(&mut Kernel)) {
    if let Some(p) = p {
        let skip = k.label();
        k.bra_if(p, skip);
        body(k);
        k.place(skip);
    }
}

/// `body` where `p` holds (everywhere when there is no `p`).
fn guarded(k: &mut Kernel, p: Option<Reg<Pred>>, body: impl FnOnce(&mut Kernel)) {
    match p {
        Some(p) => k.when(p, body),
        None => body(k),
    }
}

/// The inference and training passes (see [`FusedPass`]). Block:
/// [`FusedGeometry::threads`]; grid: [`FusedGeometry::blocks`].
pub(crate) fn forward<T: Float>(
    k: &mut Kernel,
    chain: &FusedChain,
    keep: bool,
    products: FusedProducts,
) {
    let layers = chain.layers();
    let x = k.param_ptr();
    let y = k.param_ptr();
    let params: Vec<(Reg<U64>, Reg<U64>)> = layers
        .iter()
        .map(|_| (k.param_ptr(), k.param_ptr()))
        .collect();
    let kept = keep.then(|| (k.param_ptr(), k.param_ptr()));
    // The batch, a parameter: no fused kernel is written for one size of it.
    let n = Size::Param.load(k);
    let geometry = FusedGeometry::of(T::BYTES);
    k.max_threads(geometry.threads);
    let f = Fused::<T>::new(k, chain, n, products == FusedProducts::Tf32);
    let input = Columns {
        base: x,
        stride: chain.input(),
        offset: 0,
    };
    f.load(k, chain.input(), input, None, f.tiles[0]);
    for (l, layer) in layers.iter().enumerate() {
        let (src, dst) = (f.tiles[l % 2], f.tiles[(l + 1) % 2]);
        let (w, b) = params[l];
        let shape = (layer.width, chain.inputs_of(l));
        let rows = f.product(k, w, shape, false, src, dst);
        let last = l + 1 == layers.len();
        for (acc, i, valid) in rows {
            if f.tf32 && !last {
                // The rows past the width up to a whole step of the tensor
                // cores are the next product's zeros, even where an
                // infinite input made them NaN (0·∞) and an activation
                // saturated the rows that count.
                unless(k, valid, |k| {
                    let index = k.fma(i, f.pitch, f.c);
                    let at = k.at(dst, index);
                    k.st::<T, _>(at, T::lit(0.0));
                });
            }
            guarded(k, valid, |k| {
                let mut v = acc;
                if layer.bias {
                    let at = k.global::<T>(b, i);
                    let bias = k.ld::<T, Global>(at);
                    v = k.add(v, bias);
                }
                let slope = match (layer.activation, kept) {
                    (Some(op), Some(_)) => {
                        let (y, s) = value_and_slope(k, op, v);
                        v = y;
                        Some(s)
                    }
                    (Some(op), None) => {
                        v = value(k, op, v);
                        None
                    }
                    (None, _) => None,
                };
                if !last {
                    let index = k.fma(i, f.pitch, f.c);
                    let at = k.at(dst, index);
                    k.st::<T, _>(at, v);
                }
                k.when(f.inside, |k| {
                    if last {
                        let out = Columns {
                            base: y,
                            stride: layer.width,
                            offset: 0,
                        };
                        store(k, out, f.j, i, v);
                    }
                    if let Some((outputs, slopes)) = kept {
                        if !last {
                            let at = Columns {
                                base: outputs,
                                stride: chain.kept_outputs(),
                                offset: chain.output_offset(l),
                            };
                            store(k, at, f.j, i, v);
                        }
                        if let Some(s) = slope {
                            let at = Columns {
                                base: slopes,
                                stride: chain.kept_slopes(),
                                offset: chain.slope_offset(l),
                            };
                            store(k, at, f.j, i, s);
                        }
                    }
                });
            });
        }
    }
}

/// The backward pass (see [`FusedPass::Backward`]). Block:
/// [`FusedGeometry::threads`]; grid: [`FusedGeometry::blocks`].
pub(crate) fn backward<T: Float>(k: &mut Kernel, chain: &FusedChain, products: FusedProducts) {
    let layers = chain.layers();
    let x = k.param_ptr();
    let dy = k.param_ptr();
    let weights: Vec<Reg<U64>> = layers.iter().map(|_| k.param_ptr()).collect();
    let outputs = k.param_ptr();
    let slopes = k.param_ptr();
    let dx = k.param_ptr();
    let grads: Vec<(Reg<U64>, Reg<U64>)> = layers
        .iter()
        .map(|_| (k.param_ptr(), k.param_ptr()))
        .collect();
    // The batch, a parameter: no fused kernel is written for one size of it.
    let n = Size::Param.load(k);
    let geometry = FusedGeometry::of(T::BYTES);
    k.max_threads(geometry.threads);
    let f = Fused::<T>::new(k, chain, n, products == FusedProducts::Tf32);
    let block = k.special(Special::CtaidX);
    let columns = geometry.columns;
    let bytes = i64::from(T::BYTES);
    let slope_of = |l: usize| {
        layers[l].activation.map(|_| Columns {
            base: slopes,
            stride: chain.kept_slopes(),
            offset: chain.slope_offset(l),
        })
    };
    let last = layers.len() - 1;
    // δ of the last layer: ȳ ⊙ σ'(z), in tile 0.
    let out = Columns {
        base: dy,
        stride: chain.output(),
        offset: 0,
    };
    f.load(k, chain.output(), out, slope_of(last), f.tiles[0]);
    for l in (0..layers.len()).rev() {
        let layer = layers[l];
        let (o, i) = (layer.width, chain.inputs_of(l));
        // δ is in `delta`; the layer's input goes to the other tile, where
        // δ of the layer below is written once the input is used.
        let (delta, other) = (f.tiles[(last - l) % 2], f.tiles[(last - l + 1) % 2]);
        let input = if l == 0 {
            Columns {
                base: x,
                stride: chain.input(),
                offset: 0,
            }
        } else {
            Columns {
                base: outputs,
                stride: chain.kept_outputs(),
                offset: chain.output_offset(l - 1),
            }
        };
        // Every thread is done reading `other` (the last layer's δ).
        k.bar_sync();
        f.load(k, i, input, None, other);
        k.bar_sync();
        // This block's part of W̄ = δ·xᵀ: element e = row + col·o.
        let (dw, db) = grads[l];
        if f.tf32 {
            f.weight_gradient_tf32(k, (delta, other), (o, i), dw, block);
        } else {
            k.range(f.t, o * i, geometry.threads, |k, e| {
                let row = k.rem(e, o);
                let col = k.div(e, o);
                let d = k.mul(row, f.pitch);
                let d = k.at(delta, d);
                let a = k.mul(col, f.pitch);
                let a = k.at(other, a);
                let acc = k.mov(T::lit(0.0));
                for c in 0..columns {
                    let offset = i64::from(c) * bytes;
                    let dv = k.ld::<T, _>(d.offset(offset));
                    let av = k.ld::<T, _>(a.offset(offset));
                    let next = k.fma(dv, av, acc);
                    k.assign(acc, next);
                }
                let index = k.fma(block, o * i, e);
                let at = k.global::<T>(dw, index);
                k.st::<T, Global>(at, acc);
            });
        }
        if layer.bias {
            k.range(f.t, o, geometry.threads, |k, row| {
                let d = k.mul(row, f.pitch);
                let d = k.at(delta, d);
                let acc = k.mov(T::lit(0.0));
                for c in 0..columns {
                    let dv = k.ld::<T, _>(d.offset(i64::from(c) * bytes));
                    let next = k.add(acc, dv);
                    k.assign(acc, next);
                }
                let index = k.fma(block, o, row);
                let at = k.global::<T>(db, index);
                k.st::<T, Global>(at, acc);
            });
        }
        // Wᵀ·δ: the input's cotangent, or δ of the layer below.
        let rows = f.product(k, weights[l], (o, i), true, delta, other);
        for (acc, p, valid) in rows {
            guarded(k, valid, |k| {
                if l == 0 {
                    k.when(f.inside, |k| {
                        let at = Columns {
                            base: dx,
                            stride: chain.input(),
                            offset: 0,
                        };
                        store(k, at, f.j, p, acc);
                    });
                } else {
                    // Zero past the batch, so that those columns add
                    // nothing to the gradients below.
                    let v = k.mov(T::lit(0.0));
                    k.when(f.inside, |k| match slope_of(l - 1) {
                        Some(s) => {
                            let s = element::<T>(k, s, f.j, p);
                            let d = k.mul(acc, s);
                            k.assign(v, d);
                        }
                        None => k.assign(v, acc),
                    });
                    let index = k.fma(p, f.pitch, f.c);
                    let at = k.at(other, index);
                    k.st::<T, _>(at, v);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ptx::F64;

    /// The most lanes of a warp that read or write one bank of shared
    /// memory (32 banks of 4 bytes) at different addresses, for the element
    /// offsets `at(lane)`.
    fn conflicts(at: impl Fn(u32, u32) -> u32) -> usize {
        let mut banks = vec![std::collections::HashSet::new(); 32];
        for lane in 0..WARP {
            let e = at(lane / 4, lane % 4);
            banks[(e % 32) as usize].insert(e);
        }
        banks.iter().map(|b| b.len()).max().unwrap_or(0)
    }

    #[test]
    fn the_tensor_cores_fragments_meet_in_few_banks() {
        let geometry = FusedGeometry::of(4);
        let pitch = geometry.columns + 4;
        for rows in [16, 32, 48, 64, 128] {
            let stride = rows + WEIGHT_SKEW;
            // A of the products: the staged weight at k·stride + m.
            assert_eq!(conflicts(|g, q| q * stride + g), 1, "A, {rows} rows");
        }
        // B of the products: the activations at k·pitch + n.
        assert!(conflicts(|g, q| q * pitch + g) <= 2);
        // D stored: at m·pitch + n, two columns a lane.
        assert!(conflicts(|g, q| g * pitch + 2 * q) <= 2);
        // A and B of the weights' gradient: m·pitch + c and n·pitch + c.
        assert_eq!(conflicts(|g, q| g * pitch + q), 1);
        // Without the padding, 4 or 8 lanes would meet.
        assert_eq!(conflicts(|g, q| q * geometry.columns + g), 4);
        assert_eq!(conflicts(|g, q| g * geometry.columns + q), 8);
    }

    #[test]
    fn every_chain_fits_its_shared_memory_and_narrow_ones_stage_whole_weights() {
        for width in (1..=MAX_FUSED_WIDTH).step_by(9).chain([64, 128]) {
            let layer = FusedLayer {
                width,
                bias: true,
                activation: None,
            };
            let chain = FusedChain::new(width, &[layer; 3]).expect("fuses");
            for products in [FusedProducts::Tf32, FusedProducts::Exact] {
                let mut k = Kernel::new("chain");
                forward::<F32>(&mut k, &chain, true, products);
                assert!(k.shared_bytes() <= SHARED_BUDGET, "{width}, {products:?}");
                // One staging of the weight a layer: two barriers, and the
                // zeroing's on tensor cores.
                let barriers = k.text().matches("bar.sync").count();
                let whole = 3 * 2 + usize::from(products == FusedProducts::Tf32) * 4;
                if width <= 64 {
                    assert!(
                        barriers <= whole,
                        "{width}, {products:?}: {barriers} barriers"
                    );
                }
                let mut k = Kernel::new("chain");
                backward::<F64>(&mut k, &chain, products);
                assert!(k.shared_bytes() <= SHARED_BUDGET, "f64 {width}");
            }
        }
    }

    #[test]
    fn the_widest_chain_on_tensor_cores_fits_in_static_shared_memory() {
        let layer = FusedLayer {
            width: MAX_FUSED_WIDTH,
            bias: true,
            activation: None,
        };
        let chain = FusedChain::new(MAX_FUSED_WIDTH, &[layer; MAX_FUSED_LAYERS]).expect("fuses");
        for products in [FusedProducts::Tf32, FusedProducts::Exact] {
            for keep in [false, true] {
                let mut k = Kernel::new("widest");
                forward::<F32>(&mut k, &chain, keep, products);
                assert!(
                    k.shared_bytes() <= 48 * 1024,
                    "{products:?}: {}",
                    k.shared_bytes()
                );
            }
            let mut k = Kernel::new("widest");
            backward::<F32>(&mut k, &chain, products);
            assert!(
                k.shared_bytes() <= 48 * 1024,
                "{products:?}: {}",
                k.shared_bytes()
            );
        }
    }
}
