//! The CUDA driver as a [`Runtime`], through cudarc, which loads the
//! driver library when the device is created: nothing of CUDA is needed to
//! build or to run a program that never asks for a GPU.

use crate::device::Gpu;
use crate::runtime::{Arg, GpuError, Runtime};
use core::fmt;
use core::mem::MaybeUninit;
use cudarc::driver::{CudaContext, CudaFunction, CudaSlice, CudaStream, DevicePtr, DevicePtrMut};
use cudarc::driver::{LaunchConfig, PushKernelArg, result, sys};
use cudarc::nvrtc::Ptx;
use std::sync::Arc;

/// The GPU device of the CUDA driver: `Tensor<S, f32, Cuda>` lives in GPU
/// memory. Create one with [`Cuda::new`] (or use [`gpu`](crate::gpu)).
pub type Cuda = Gpu<CudaDriver>;

/// One GPU of the CUDA driver, and the stream its kernels run on in order.
pub struct CudaDriver {
    context: Arc<CudaContext>,
    stream: Arc<CudaStream>,
}

impl fmt::Debug for CudaDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.context.name().unwrap_or_else(|_| "unnamed".into());
        write!(f, "CUDA device {} ({name})", self.context.ordinal())
    }
}

fn driver(e: impl fmt::Display) -> GpuError {
    GpuError::Driver(e.to_string())
}

impl Cuda {
    /// The GPU `ordinal` (0 for the first), or an error saying why there is
    /// none: no driver library, no GPU, or a driver that refuses.
    ///
    /// ```
    /// match typeflux_gpu::Cuda::new(0) {
    ///     Ok(gpu) => println!("running on {gpu:?}"),
    ///     Err(why) => println!("staying on the CPU: {why}"),
    /// }
    /// ```
    pub fn new(ordinal: usize) -> Result<Cuda, GpuError> {
        // SAFETY: only looks for the library; loads no symbol.
        if !unsafe { sys::is_culib_present() } {
            return Err(GpuError::Unavailable(
                "the CUDA driver library (libcuda) is not installed".into(),
            ));
        }
        // A driver older than the bindings lacks symbols, which cudarc
        // reports by panicking; that is an unusable driver, not a bug here.
        let context = std::panic::catch_unwind(|| CudaContext::new(ordinal))
            .map_err(|_| {
                GpuError::Unavailable("the CUDA driver lacks functions typeflux needs".into())
            })?
            .map_err(|e| GpuError::Unavailable(format!("no CUDA device {ordinal}: {e}")))?;
        let stream = context.default_stream();
        Ok(Gpu::with_runtime(CudaDriver { context, stream }))
    }
}

impl CudaDriver {
    fn uninit(&self, bytes: usize) -> Result<CudaSlice<u8>, GpuError> {
        // SAFETY: the bytes are written before they are read: every caller
        // copies into them or hands them to a kernel that writes them all.
        unsafe { self.stream.alloc::<u8>(bytes) }.map_err(driver)
    }
}

impl Runtime for CudaDriver {
    type Memory = CudaSlice<u8>;
    type Function = CudaFunction;

    fn alloc(&self, bytes: usize) -> Result<CudaSlice<u8>, GpuError> {
        self.uninit(bytes.max(1))
    }

    fn alloc_zeroed(&self, bytes: usize) -> Result<CudaSlice<u8>, GpuError> {
        self.stream.alloc_zeros::<u8>(bytes.max(1)).map_err(driver)
    }

    fn upload<E: Copy + Send + Sync + 'static>(
        &self,
        host: &[E],
    ) -> Result<CudaSlice<u8>, GpuError> {
        let bytes = size_of_val(host);
        let mut memory = self.uninit(bytes.max(1))?;
        if bytes > 0 {
            let (ptr, _written) = memory.device_ptr_mut(&self.stream);
            // SAFETY: `memory` holds `bytes` bytes, the size of `host`,
            // which lives until the stream is synchronised below.
            unsafe { result::memcpy_htod_async(ptr, host, self.stream.cu_stream()) }
                .map_err(driver)?;
        }
        self.stream.synchronize().map_err(driver)?;
        Ok(memory)
    }

    fn download<E: Copy + Send + Sync + 'static>(
        &self,
        memory: &CudaSlice<u8>,
        offset: usize,
        len: usize,
    ) -> Result<Vec<E>, GpuError> {
        let size = size_of::<E>();
        let end = offset
            .checked_add(len)
            .and_then(|end| end.checked_mul(size))
            .ok_or_else(|| GpuError::Driver("download: the range overflows".into()))?;
        if end > memory.len() {
            return Err(GpuError::Driver(format!(
                "download: bytes up to {end} of a block of {}",
                memory.len()
            )));
        }
        let mut out: Vec<E> = Vec::with_capacity(len);
        if len > 0 {
            let (ptr, _read) = memory.device_ptr(&self.stream);
            let spare: &mut [MaybeUninit<E>] = &mut out.spare_capacity_mut()[..len];
            // SAFETY: the range was checked against the block above; `spare`
            // has room for `len` elements and lives until the stream is
            // synchronised below.
            unsafe {
                result::memcpy_dtoh_async(
                    spare,
                    ptr + (offset * size) as u64,
                    self.stream.cu_stream(),
                )
            }
            .map_err(driver)?;
        }
        self.stream.synchronize().map_err(driver)?;
        // SAFETY: the copy above wrote all `len` elements, with bytes that
        // were written to the device as `E`s (uploaded, or by the kernels
        // for `f32` and `f64`).
        unsafe { out.set_len(len) };
        Ok(out)
    }

    fn copy(&self, memory: &CudaSlice<u8>, bytes: usize) -> Result<CudaSlice<u8>, GpuError> {
        let mut out = self.uninit(bytes.max(1))?;
        if bytes > 0 {
            assert!(
                bytes <= memory.len(),
                "copy: {bytes} bytes of a block of {}",
                memory.len()
            );
            let (src, _read) = memory.device_ptr(&self.stream);
            let (dst, _written) = out.device_ptr_mut(&self.stream);
            // SAFETY: both blocks hold at least `bytes` bytes.
            unsafe { result::memcpy_dtod_async(dst, src, bytes, self.stream.cu_stream()) }
                .map_err(driver)?;
        }
        Ok(out)
    }

    fn load(&self, ptx: &str, name: &str) -> Result<CudaFunction, GpuError> {
        let module = self
            .context
            .load_module(Ptx::from_src(ptx))
            .map_err(driver)?;
        module.load_function(name).map_err(driver)
    }

    unsafe fn launch(
        &self,
        function: &CudaFunction,
        grid: [u32; 3],
        block: [u32; 3],
        args: &[Arg<'_, CudaSlice<u8>>],
    ) -> Result<(), GpuError> {
        let mut launch = self.stream.launch_builder(function);
        for arg in args {
            match arg {
                Arg::Buffer(memory) => launch.arg(*memory),
                Arg::U32(v) => launch.arg(v),
                Arg::F32(v) => launch.arg(v),
                Arg::F64(v) => launch.arg(v),
            };
        }
        let config = LaunchConfig {
            grid_dim: (grid[0], grid[1], grid[2]),
            block_dim: (block[0], block[1], block[2]),
            shared_mem_bytes: 0,
        };
        // SAFETY: the caller promises the kernel stays within the buffers
        // for these arguments and this geometry.
        unsafe { launch.launch(config) }.map_err(driver)?;
        Ok(())
    }
}
