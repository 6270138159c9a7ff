//! A small typed PTX builder.
//!
//! PTX is the virtual instruction set of NVIDIA GPUs: text that the driver
//! (or `ptxas`) compiles for the GPU at hand. typeflux writes it itself:
//!
//! - [`types`]: the PTX types as Rust types (`F32`, `U32`, `Pred`, ...),
//!   typed virtual registers ([`Reg`]) and immediates ([`Operand`]);
//! - [`builder`]: a [`Kernel`] being written: parameters, special
//!   registers, typed instructions, loads and stores by state space
//!   ([`Global`], [`Shared`]), labels, branches and barriers;
//! - [`math`]: `exp`, `ln`, `tanh`, `sin`, `atan`, ... for `f32` and `f64`
//!   out of PTX arithmetic;
//! - [`sym`]: core's elementwise table evaluated on registers, so every
//!   operation of the table (and its derivative) is GPU code with no GPU
//!   edit.
//!
//! ```
//! use typeflux_gpu::ptx::{Cmp, F32, Kernel, Special, U32, module};
//!
//! // y[i] = 2·x[i] for i < n.
//! let mut k = Kernel::new("twice");
//! let (x, y, n) = (k.param_ptr(), k.param_ptr(), k.param::<U32>());
//! let i = k.special(Special::TidX);
//! let inside = k.setp(Cmp::Lt, i, n);
//! k.when(inside, |k| {
//!     let at = k.global::<F32>(x, i);
//!     let v = k.ld::<F32, _>(at);
//!     let w = k.add(v, v);
//!     let at = k.global::<F32>(y, i);
//!     k.st::<F32, _>(at, w);
//! });
//! let text = module(&[&k]);
//! assert!(text.contains(".target sm_80"));
//! assert!(text.contains("add.rn.f32"));
//! ```

pub mod builder;
pub mod math;
pub mod sym;
pub mod types;

pub use builder::{
    Cmp, Global, Kernel, Label, Ptr, Shared, SharedArray, Space, Special, TARGET, VERSION, module,
};
pub use sym::{Fwd, Sym, trace};
pub use types::{
    F32, F64, Float, Int, Num, Operand, Pred, Reg, RegClass, S32, S64, Type, U32, U64,
};
