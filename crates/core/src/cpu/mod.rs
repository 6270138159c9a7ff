//! The CPU device and its kernels.

mod buffer;
pub(crate) mod gemm;
mod kernels;
mod parallel;

pub use buffer::CpuBuffer;
pub use kernels::Cpu;
pub(crate) use kernels::collect;
