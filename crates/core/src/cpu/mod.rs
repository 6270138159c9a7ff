//! The CPU devices and their kernels.

mod buffer;
pub mod cache;
pub(crate) mod channels;
mod element;
pub(crate) mod gemm;
mod host;
mod kernels;
mod parallel;
mod planar;
mod threads;
#[cfg(target_arch = "x86_64")]
mod transpose;

pub use buffer::CpuBuffer;
pub use element::HostElement;
pub use host::{ArrayBuffer, Host, HostBuffer, Stack};
pub use kernels::Cpu;
pub use threads::{ThreadsError, set_threads, with_threads};
