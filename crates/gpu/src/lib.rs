//! The GPU device for typeflux: PTX written by typeflux, launched through
//! cudarc.
//!
//! [`Cuda`] is a typeflux [`Device`](typeflux_core::Device) that implements
//! [`Kernels<f32>`](typeflux_core::Kernels) and `Kernels<f64>`, so every
//! tensor operation, every rule of reverse mode, every layer, loss and
//! optimiser runs on it unchanged. A model moves there in one call, Flux's
//! `gpu`, and comes back with `cpu`:
//!
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_gpu::{cpu, gpu};
//!
//! let w = Matrix::<2, 3>::ones();
//! match gpu(&w) {
//!     Ok(w_gpu) => {
//!         let y = w_gpu.matmul(&w_gpu.transpose());
//!         assert_eq!(cpu(&y).to_vec(), vec![3.0; 4]);
//!     }
//!     // No driver or no GPU here: the error says which.
//!     Err(why) => println!("{why}"),
//! }
//! ```
//!
//! | CPU | GPU |
//! |---|---|
//! | `Cpu`, `Stack` | [`Cuda`] (a [`Gpu`] on the [`CudaDriver`]) |
//! | `Vec<E>`, `CpuBuffer<E>` | [`GpuBuffer<E, _>`](GpuBuffer), device memory |
//! | a loop over elements | a kernel of [`kernels`], written as PTX by [`ptx`] |
//! | `model.to_device(&Stack)` | `model.to_device(&cuda)`, [`gpu(&model)`](gpu) |
//!
//! The GPU computes with `f32` and `f64`. A tensor of dual numbers can be
//! stored there, but computing with it does not compile:
//! ```compile_fail
//! use typeflux_core::prelude::*;
//! use typeflux_core::num_dual::Dual64;
//! fn double(x: Vector<3, Dual64, typeflux_gpu::Cuda>) -> Vector<3, Dual64, typeflux_gpu::Cuda> {
//!     x.clone() + x // no `Kernels<Dual64>` for the GPU
//! }
//! ```
//!
//! # Layers, from the driver up
//! - [`runtime`]: what a machine offers (memory, modules, launches); the
//!   CUDA driver ([`CudaDriver`]) is one, and typeflux's tests run the same
//!   kernels on a PTX interpreter, the other.
//! - [`ptx`]: a typed PTX builder, and core's table of elementwise
//!   operations evaluated on registers.
//! - [`kernels`]: every kernel as a [`Spec`](kernels::Spec): what it
//!   computes and the sizes built into it. Sizes the types fix (a
//!   `Dense<128, 64>`'s) are constants in the code; the batch is a
//!   parameter. Each module is written and loaded once per kernel, element
//!   type and fixed sizes, and kept by the device.
//! - [`Gpu`]: the device: buffers, the module cache, and the launches
//!   behind each method of `Kernels`.
//!
//! # Whole chains in one kernel
//! A `Chain` of 1 to 8 `Dense` layers, each at most 128 wide, with an
//! activation of the elementwise table (or none), runs on a [`Gpu`] as one
//! kernel per pass ([`kernels::fused`]), through the calls every model
//! uses: `model.forward(&x)` is one kernel, and `gradient` (or `train`)
//! through it is one training kernel, one backward kernel and the
//! fixed-order sums of each parameter's gradient. The chain chooses it by
//! itself, from its types and its device (typeflux-nn's `fused` module
//! says how; on the CPU devices the question is a compile-time constant
//! and costs nothing); a chain that does not qualify (a layer of 129, a
//! `softmax` activation, a member that is not `Dense`, a batch of static
//! size) runs layer by layer, with the same results up to rounding.
//! [`Gpu::set_fused_chains`]`(false)` runs every chain layer by layer, to
//! compare the two. [`FusedModel::fused_chain`] says whether a chain
//! qualifies.
//!
//! The products of an `f32` chain run on tensor cores by default
//! ([`FusedProducts::Tf32`]: `mma.sync.m16n8k8` with TF32 factors). Each
//! factor is rounded to TF32 first (10 mantissa bits, to nearest with ties
//! away from zero: a relative error of at most 2⁻¹¹, about three decimal
//! digits), the products of the rounded factors are exact and their sums
//! `f32`; biases, activations, slopes and the sums of the gradients over
//! the blocks are `f32` as before. [`Gpu::set_fused_products`]`(`
//! [`FusedProducts::Exact`]`)` computes them as the layer by layer kernels
//! do, exact `f32` `fma`s in the order of the inner index. `f64` chains
//! are always exact.
//!
//! # Without a GPU
//! The crate builds and its tests run with no CUDA at all: the driver is
//! loaded when [`Cuda::new`] is called, and is missing then as an error,
//! not a panic. `ptxas` assembles every kernel in CI, and a PTX interpreter
//! (the `typeflux-ptx-interp` crate, test-only) runs them with their real
//! launch geometry and compares them with the CPU.
#![warn(missing_docs)]

mod chain;
mod compute;
mod cuda;
mod device;
mod fused;
pub mod kernels;
pub mod ptx;
pub mod runtime;

pub use chain::FusedModel;
pub use compute::GpuFloat;
pub use cuda::{Cuda, CudaDriver};
pub use device::{Gpu, GpuBuffer, MAX_ELEMENTS};
pub use fused::{FusedGradient, FusedKept, FusedParams};
pub use kernels::FusedProducts;
pub use runtime::{GpuError, Runtime};

use std::sync::OnceLock;
use typeflux_core::{Cpu, ToDevice};

/// The first GPU, created on first use and shared after, or why there is
/// none.
pub fn default_gpu() -> Result<Cuda, GpuError> {
    static DEVICE: OnceLock<Result<Cuda, GpuError>> = OnceLock::new();
    DEVICE.get_or_init(|| Cuda::new(0)).clone()
}

/// Flux's `gpu`: a copy of a model (a tensor, a layer, a `Chain`, a struct
/// deriving `Functor`) on the first GPU, or why there is none.
pub fn gpu<M: ToDevice<Cuda>>(model: &M) -> Result<M::Output, GpuError> {
    Ok(model.to_device(&default_gpu()?))
}

/// Flux's `cpu`: a copy of a model in host memory.
pub fn cpu<M: ToDevice<Cpu>>(model: &M) -> M::Output {
    model.to_device(&Cpu)
}
