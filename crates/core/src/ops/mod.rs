//! Tensor operations, one family per file.

mod arith;
mod concat;
mod gather;
mod map;
mod matmul;
mod reduce;
mod reshape;
mod transpose;
pub mod window;

pub use concat::{AddsUpTo, SizesAddUp};
pub use matmul::MatMul;
pub use reduce::ReduceAxis;
pub use reshape::{ElementCountsMatch, Features, Flattened, ReshapeTo, StaticCount, Volume};
