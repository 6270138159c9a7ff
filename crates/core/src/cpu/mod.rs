//! The CPU device and its kernels.

pub(crate) mod gemm;
mod kernels;

pub(crate) use kernels::collect;
pub use kernels::{Cpu, CpuBuffer};
