//! What a GPU device needs of the machine it runs on: memory, modules and
//! launches. Two implement it: [`CudaDriver`](crate::CudaDriver), the CUDA
//! driver through cudarc, and, in typeflux's tests, a PTX interpreter that
//! runs the same kernels on the CPU. Everything above this trait (which
//! kernel, which sizes, which launch geometry) is the same code for both.

use core::fmt::{self, Debug};

/// Why a GPU could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GpuError {
    /// No driver or no GPU on this machine.
    Unavailable(String),
    /// The driver (or the interpreter) refused a call.
    Driver(String),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::Unavailable(why) => write!(f, "no GPU: {why}"),
            GpuError::Driver(why) => write!(f, "GPU error: {why}"),
        }
    }
}

impl std::error::Error for GpuError {}

/// An argument of a kernel, in the order of its parameters.
#[derive(Debug)]
pub enum Arg<'a, M> {
    /// A buffer: its address.
    Buffer(&'a M),
    /// A `.u32`.
    U32(u32),
    /// An `.f32`.
    F32(f32),
    /// An `.f64`.
    F64(f64),
}

/// A machine that stores bytes and runs PTX kernels.
pub trait Runtime: Debug + Send + Sync + 'static {
    /// A block of device memory.
    type Memory: Debug + Send + Sync;
    /// A kernel, loaded from its module.
    type Function: Send + Sync;

    /// `bytes` of memory whose contents are not yet written.
    fn alloc(&self, bytes: usize) -> Result<Self::Memory, GpuError>;
    /// `bytes` of zeros.
    fn alloc_zeroed(&self, bytes: usize) -> Result<Self::Memory, GpuError>;
    /// A copy of host elements.
    fn upload<E: Copy + Send + Sync + 'static>(&self, host: &[E])
    -> Result<Self::Memory, GpuError>;
    /// `len` elements from element `offset` on, copied to the host. The
    /// caller asks only for elements of the type that was written there.
    fn download<E: Copy + Send + Sync + 'static>(
        &self,
        memory: &Self::Memory,
        offset: usize,
        len: usize,
    ) -> Result<Vec<E>, GpuError>;
    /// A copy of the first `bytes` of `memory`.
    fn copy(&self, memory: &Self::Memory, bytes: usize) -> Result<Self::Memory, GpuError>;
    /// Loads the kernel `name` from a PTX module.
    fn load(&self, ptx: &str, name: &str) -> Result<Self::Function, GpuError>;
    /// Runs a kernel on a grid of `grid` blocks of `block` threads.
    ///
    /// # Safety
    /// The kernel, with these arguments and this geometry, reads and
    /// writes only within the buffers it is given.
    unsafe fn launch(
        &self,
        function: &Self::Function,
        grid: [u32; 3],
        block: [u32; 3],
        args: &[Arg<'_, Self::Memory>],
    ) -> Result<(), GpuError>;
}
