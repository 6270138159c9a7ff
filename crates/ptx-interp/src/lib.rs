//! A PTX interpreter: typeflux's GPU kernels, run on the CPU with their
//! real launch geometry, so that they are proven without a GPU.
//!
//! It parses the text the builder writes (and refuses, by name, any
//! instruction it does not know), then runs every block of the grid and
//! every thread of a block: threads advance in phases between `bar.sync`s
//! (all must reach the same barrier, none may have left), shared memory is
//! the block's own, predicates guard instructions, and the special
//! registers (`%tid`, `%ntid`, `%ctaid`, `%nctaid`) hold each thread's
//! place. Warp-wide instructions (`mma.sync` on TF32 tiles, with the
//! fragment layouts of the PTX ISA) run once all 32 threads of the warp
//! have reached the same one; a warp that diverges there is an error.
//! Floats round as the GPU does (`.rn`, fused `fma`). Every access
//! is checked: outside a buffer or the declared shared memory, misaligned,
//! or reading a byte nothing has written is an error naming the kernel,
//! the block, the thread and the instruction.
//!
//! [`Interpreter`] is a [`Runtime`], so [`device()`] is a typeflux device
//! (`Gpu<Interpreter>`) that runs the same code as the `Cuda` device above
//! the runtime: the kernels, their sizes, launch geometry and arguments.
//!
//! ```
//! use typeflux_core::prelude::*;
//!
//! let gpu = typeflux_ptx_interp::device();
//! let x = Vector::<3>::from_array([1.0, -2.0, 3.0]).to_device(&gpu);
//! assert_eq!(x.relu().to_device(&Cpu).to_vec(), vec![1.0, 0.0, 3.0]);
//! ```
#![warn(missing_docs)]

pub mod exec;
pub mod parse;

use core::any::{Any, TypeId};
use exec::{Block, ExecError, Heap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use typeflux_gpu::Gpu;
use typeflux_gpu::runtime::{Arg, GpuError, Runtime};

/// The device whose kernels run on the interpreter.
pub type Interpreted = Gpu<Interpreter>;

/// A fresh interpreted device.
pub fn device() -> Interpreted {
    Gpu::with_runtime(Interpreter::default())
}

/// Device memory and kernels, on the CPU.
#[derive(Debug, Default)]
pub struct Interpreter {
    heap: Arc<Mutex<Heap>>,
    launches: AtomicUsize,
    /// The names of the kernels launched, in order.
    log: Mutex<Vec<String>>,
}

impl Interpreter {
    fn heap(&self) -> MutexGuard<'_, Heap> {
        self.heap.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Kernels launched so far.
    pub fn launches(&self) -> usize {
        self.launches.load(Ordering::Relaxed)
    }

    /// The names of the kernels launched so far, in order (see
    /// `Spec::name` in typeflux-gpu).
    pub fn launched(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Blocks of memory held.
    pub fn blocks_held(&self) -> usize {
        self.heap().len()
    }
}

/// A block of the interpreter's memory; freed when dropped.
#[derive(Debug)]
pub struct Memory {
    id: u64,
    heap: Arc<Mutex<Heap>>,
}

impl Drop for Memory {
    fn drop(&mut self) {
        self.heap
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(self.id);
    }
}

fn bytes_of<E: Any>(host: &[E]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(size_of_val(host));
    for x in host {
        let x = x as &dyn Any;
        if let Some(v) = x.downcast_ref::<f32>() {
            out.extend_from_slice(&v.to_le_bytes());
        } else if let Some(v) = x.downcast_ref::<f64>() {
            out.extend_from_slice(&v.to_le_bytes());
        } else {
            return None;
        }
    }
    Some(out)
}

fn elements_of<E: Any>(data: &[u8]) -> Option<Vec<E>> {
    let boxed: Box<dyn Any> = if TypeId::of::<E>() == TypeId::of::<f32>() {
        Box::new(
            data.chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                .collect::<Vec<f32>>(),
        )
    } else if TypeId::of::<E>() == TypeId::of::<f64>() {
        Box::new(
            data.chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect::<Vec<f64>>(),
        )
    } else {
        return None;
    };
    boxed.downcast::<Vec<E>>().ok().map(|v| *v)
}

impl Interpreter {
    fn store(&self, block: Block) -> Memory {
        Memory {
            id: self.heap().insert(block),
            heap: self.heap.clone(),
        }
    }
}

impl Runtime for Interpreter {
    type Memory = Memory;
    type Function = Arc<parse::Kernel>;

    fn alloc(&self, bytes: usize) -> Result<Memory, GpuError> {
        Ok(self.store(Block::Bytes {
            data: vec![0; bytes],
            written: vec![false; bytes],
        }))
    }

    fn alloc_zeroed(&self, bytes: usize) -> Result<Memory, GpuError> {
        Ok(self.store(Block::Bytes {
            data: vec![0; bytes],
            written: vec![true; bytes],
        }))
    }

    fn upload<E: Copy + Send + Sync + 'static>(&self, host: &[E]) -> Result<Memory, GpuError> {
        Ok(self.store(match bytes_of(host) {
            Some(data) => Block::Bytes {
                written: vec![true; data.len()],
                data,
            },
            None => Block::Opaque(Arc::new(host.to_vec())),
        }))
    }

    fn download<E: Copy + Send + Sync + 'static>(
        &self,
        memory: &Memory,
        offset: usize,
        len: usize,
    ) -> Result<Vec<E>, GpuError> {
        let heap = self.heap();
        let bad = |why: String| Err(GpuError::Driver(format!("download: {why}")));
        match heap.get(memory.id) {
            Some(Block::Bytes { data, written }) => {
                let size = size_of::<E>();
                let (start, end) = (offset * size, (offset + len) * size);
                if end > data.len() {
                    return bad(format!("bytes {start}..{end} of a block of {}", data.len()));
                }
                if let Some(gap) = written[start..end].iter().position(|w| !w) {
                    return bad(format!("byte {} was never written", start + gap));
                }
                match elements_of::<E>(&data[start..end]) {
                    Some(v) => Ok(v),
                    None => bad(format!(
                        "a block of floats read as {}",
                        core::any::type_name::<E>()
                    )),
                }
            }
            Some(Block::Opaque(values)) => match values.downcast_ref::<Vec<E>>() {
                Some(v) if offset + len <= v.len() => Ok(v[offset..offset + len].to_vec()),
                _ => bad("elements of another type or range".into()),
            },
            None => bad("a freed block".into()),
        }
    }

    fn copy(&self, memory: &Memory, bytes: usize) -> Result<Memory, GpuError> {
        let copy = match self.heap().get(memory.id) {
            Some(Block::Bytes { data, written }) if bytes <= data.len() => Block::Bytes {
                data: data[..bytes].to_vec(),
                written: written[..bytes].to_vec(),
            },
            Some(Block::Opaque(values)) => Block::Opaque(values.clone()),
            _ => {
                return Err(GpuError::Driver(format!(
                    "copy: {bytes} bytes of a smaller block"
                )));
            }
        };
        Ok(self.store(copy))
    }

    fn load(&self, ptx: &str, name: &str) -> Result<Arc<parse::Kernel>, GpuError> {
        let kernels = parse::parse(ptx).map_err(|e| GpuError::Driver(format!("PTX {e}")))?;
        kernels
            .into_iter()
            .find(|k| k.name == name)
            .map(Arc::new)
            .ok_or_else(|| GpuError::Driver(format!("no kernel {name} in the module")))
    }

    unsafe fn launch(
        &self,
        function: &Arc<parse::Kernel>,
        grid: [u32; 3],
        block: [u32; 3],
        args: &[Arg<'_, Memory>],
    ) -> Result<(), GpuError> {
        self.launches.fetch_add(1, Ordering::Relaxed);
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(function.name.clone());
        run(&mut self.heap(), function, grid, block, args)
            .map_err(|e| GpuError::Driver(e.to_string()))
    }
}

/// Checks the arguments against the kernel's parameters and runs it.
fn run(
    heap: &mut Heap,
    kernel: &parse::Kernel,
    grid: [u32; 3],
    block: [u32; 3],
    args: &[Arg<'_, Memory>],
) -> Result<(), ExecError> {
    use parse::Ty;
    if args.len() != kernel.params.len() {
        return Err(ExecError {
            kernel: kernel.name.clone(),
            block: None,
            thread: None,
            at: None,
            message: format!(
                "{} arguments for {} parameters",
                args.len(),
                kernel.params.len()
            ),
        });
    }
    let mut bits = Vec::with_capacity(args.len());
    for (i, (arg, (name, ty))) in args.iter().zip(&kernel.params).enumerate() {
        let (value, fits) = match arg {
            Arg::Buffer(m) => (Heap::address(m.id), *ty == Ty::U64),
            Arg::U32(v) => (u64::from(*v), *ty == Ty::U32),
            Arg::F32(v) => (u64::from(v.to_bits()), *ty == Ty::F32),
            Arg::F64(v) => (v.to_bits(), *ty == Ty::F64),
        };
        if !fits {
            return Err(ExecError {
                kernel: kernel.name.clone(),
                block: None,
                thread: None,
                at: None,
                message: format!(
                    "argument {i} ({arg:?}) does not fit parameter {name} of type {ty:?}"
                ),
            });
        }
        bits.push(value);
    }
    exec::run(kernel, grid, block, &bits, heap)
}

/// Runs a kernel of a module on buffers of `f32`s or `f64`s in host
/// memory and returns them, for tests of single kernels (a deliberately
/// broken one among them).
pub fn run_kernel(
    ptx: &str,
    name: &str,
    grid: [u32; 3],
    block: [u32; 3],
    args: &mut [HostArg],
) -> Result<(), String> {
    let interpreter = Interpreter::default();
    let kernel = interpreter.load(ptx, name).map_err(|e| e.to_string())?;
    let memories: Vec<Option<Memory>> = args
        .iter()
        .map(|a| match a {
            HostArg::F32s(v) => interpreter.upload(v).ok(),
            HostArg::F64s(v) => interpreter.upload(v).ok(),
            HostArg::Output32(n) => interpreter.alloc(n * 4).ok(),
            HostArg::Output64(n) => interpreter.alloc(n * 8).ok(),
            _ => None,
        })
        .collect();
    let launch_args: Vec<Arg<'_, Memory>> = args
        .iter()
        .zip(&memories)
        .map(|(a, m)| match (a, m) {
            (_, Some(m)) => Arg::Buffer(m),
            (HostArg::U32(v), None) => Arg::U32(*v),
            (HostArg::F32(v), None) => Arg::F32(*v),
            (HostArg::F64(v), None) => Arg::F64(*v),
            _ => unreachable!("every buffer was stored"),
        })
        .collect();
    // SAFETY: the interpreter checks every access itself.
    unsafe { interpreter.launch(&kernel, grid, block, &launch_args) }.map_err(|e| e.to_string())?;
    for (a, m) in args.iter_mut().zip(&memories) {
        let Some(m) = m else { continue };
        let text = |e: GpuError| e.to_string();
        *a = match *a {
            HostArg::F32s(ref v) => {
                HostArg::F32s(interpreter.download(m, 0, v.len()).map_err(text)?)
            }
            HostArg::F64s(ref v) => {
                HostArg::F64s(interpreter.download(m, 0, v.len()).map_err(text)?)
            }
            HostArg::Output32(n) => HostArg::F32s(interpreter.download(m, 0, n).map_err(text)?),
            HostArg::Output64(n) => HostArg::F64s(interpreter.download(m, 0, n).map_err(text)?),
            ref other => other.clone(),
        };
    }
    Ok(())
}

/// An argument of [`run_kernel`].
#[derive(Clone, Debug, PartialEq)]
pub enum HostArg {
    /// A buffer of `f32`s, copied in and back.
    F32s(Vec<f32>),
    /// A buffer of `f64`s, copied in and back.
    F64s(Vec<f64>),
    /// A buffer of `n` `f32`s the kernel writes (reading one it has not
    /// written is an error); [`F32s`](HostArg::F32s) after the run.
    Output32(usize),
    /// As [`Output32`](HostArg::Output32), of `f64`s.
    Output64(usize),
    /// A `.u32`.
    U32(u32),
    /// An `.f32`.
    F32(f32),
    /// An `.f64`.
    F64(f64),
}
