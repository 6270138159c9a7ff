//! The GPU device: buffers in device memory and the module cache.

use crate::kernels::{FusedProducts, Precision, Spec};
use crate::runtime::{Arg, Runtime};
use core::any::Any;
use core::fmt::{self, Debug};
use core::marker::PhantomData;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use typeflux_core::{Device, Element, Shape};

/// The most elements a buffer the kernels compute on may hold: their
/// indices are 32-bit, and a grid-strided index must not wrap.
pub const MAX_ELEMENTS: usize = i32::MAX as usize;

/// A GPU as a typeflux device: every tensor operation, rule, layer, loss
/// and optimiser runs on it, through the kernels of [`crate::kernels`]
/// launched on the runtime `R`. [`Cuda`](crate::Cuda) is the real one.
///
/// Clones share the GPU, its memory and its loaded modules.
pub struct Gpu<R: Runtime> {
    shared: Arc<Shared<R>>,
}

/// The loaded kernels, by spec and element type.
type Modules<F> = HashMap<(Spec, Precision), Arc<F>>;

struct Shared<R: Runtime> {
    runtime: R,
    /// Modules are written and loaded once per kernel, element type and
    /// fixed sizes.
    modules: Mutex<Modules<R::Function>>,
    /// Whether chains of dense layers that fuse run in one pass.
    fused_chains: AtomicBool,
    /// Whether fused `f32` chains compute their products in TF32.
    tf32: AtomicBool,
}

impl<R: Runtime> Gpu<R> {
    /// The device of a runtime.
    pub fn with_runtime(runtime: R) -> Self {
        Gpu {
            shared: Arc::new(Shared {
                runtime,
                modules: Mutex::new(HashMap::new()),
                fused_chains: AtomicBool::new(true),
                tf32: AtomicBool::new(true),
            }),
        }
    }

    /// Whether a `Chain` of `Dense` layers that fuses (see
    /// [`FusedChain::of_layers`](crate::kernels::FusedChain::of_layers))
    /// runs in one kernel per pass: `true` unless turned off with
    /// [`set_fused_chains`](Self::set_fused_chains).
    pub fn fused_chains(&self) -> bool {
        self.shared.fused_chains.load(Ordering::Relaxed)
    }

    /// Turns the one-pass chains on or off for this device and its clones,
    /// to compare the two: off, every chain runs layer by layer, one
    /// kernel (or a few) per layer. The results agree up to rounding.
    pub fn set_fused_chains(&self, on: bool) {
        self.shared.fused_chains.store(on, Ordering::Relaxed);
    }

    /// How fused `f32` chains compute their products:
    /// [`FusedProducts::Tf32`] unless set otherwise with
    /// [`set_fused_products`](Self::set_fused_products).
    pub fn fused_products(&self) -> FusedProducts {
        if self.shared.tf32.load(Ordering::Relaxed) {
            FusedProducts::Tf32
        } else {
            FusedProducts::Exact
        }
    }

    /// Sets how fused `f32` chains compute their products, for this device
    /// and its clones: [`FusedProducts::Exact`] gives the products of the
    /// layer by layer kernels, to `f32` rounding;
    /// [`FusedProducts::Tf32`] runs them on tensor cores with TF32
    /// factors (about three decimal digits). `f64` chains are exact either
    /// way.
    pub fn set_fused_products(&self, products: FusedProducts) {
        self.shared
            .tf32
            .store(products == FusedProducts::Tf32, Ordering::Relaxed);
    }

    /// The runtime the kernels run on.
    pub fn runtime(&self) -> &R {
        &self.shared.runtime
    }

    /// How many modules are loaded.
    pub fn modules_loaded(&self) -> usize {
        self.modules().len()
    }

    fn modules(&self) -> std::sync::MutexGuard<'_, Modules<R::Function>> {
        // A panic while the map was held leaves it whole (it is only ever
        // inserted into), so a poisoned lock is taken over.
        self.shared
            .modules
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The kernel of `spec`, written and loaded on first use.
    fn function(&self, spec: Spec, precision: Precision) -> Arc<R::Function> {
        if let Some(f) = self.modules().get(&(spec, precision)) {
            return f.clone();
        }
        let (ptx, name) = spec.ptx(precision);
        let function = Arc::new(
            self.runtime()
                .load(&ptx, &name)
                .unwrap_or_else(|e| panic!("loading kernel {name}: {e}")),
        );
        self.modules()
            .entry((spec, precision))
            .or_insert(function)
            .clone()
    }

    /// Launches the kernel of `spec` on `grid` blocks of `block` threads.
    ///
    /// # Safety
    /// `args` are what the kernel's parameters list (see [`Spec`]), with
    /// buffers at least as long as the sizes passed say.
    pub(crate) unsafe fn launch(
        &self,
        spec: Spec,
        precision: Precision,
        grid: [u32; 3],
        block: [u32; 3],
        args: &[Arg<'_, R::Memory>],
    ) {
        let function = self.function(spec, precision);
        // SAFETY: the caller passes the arguments the kernel lists, with
        // buffers as long as its sizes; within those the kernels stay in
        // bounds (proven on the interpreter, which checks every access).
        unsafe { self.runtime().launch(&function, grid, block, args) }
            .unwrap_or_else(|e| panic!("kernel {}: {e}", spec.name(precision)));
    }

    pub(crate) fn alloc<E>(&self, len: usize) -> GpuBuffer<E, R> {
        let bytes = bytes_of::<E>(len);
        let memory = self
            .runtime()
            .alloc(bytes)
            .unwrap_or_else(|e| panic!("allocating {bytes} bytes: {e}"));
        GpuBuffer::new(memory, len)
    }

    /// Makes `buf` the only holder of its memory, copying it if shared,
    /// so that a kernel may write to it.
    pub(crate) fn make_unique<E>(&self, buf: &mut GpuBuffer<E, R>) {
        if Arc::get_mut(&mut buf.memory).is_none() {
            let bytes = bytes_of::<E>(buf.len);
            let copy = self
                .runtime()
                .copy(&buf.memory, bytes)
                .unwrap_or_else(|e| panic!("copying {bytes} bytes: {e}"));
            buf.memory = Arc::new(copy);
        }
    }
}

fn bytes_of<E>(len: usize) -> usize {
    len.checked_mul(size_of::<E>())
        .unwrap_or_else(|| panic!("a buffer of {len} elements overflows usize bytes"))
}

impl<R: Runtime> Clone for Gpu<R> {
    fn clone(&self) -> Self {
        Gpu {
            shared: self.shared.clone(),
        }
    }
}

impl<R: Runtime> PartialEq for Gpu<R> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<R: Runtime> Debug for Gpu<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Gpu").field(self.runtime()).finish()
    }
}

/// A tensor's elements in device memory: the GPU's `Vec<E>`.
///
/// Clones share the memory, and a kernel that writes to a shared buffer
/// first gives it its own copy, so every tensor behaves as its own value
/// (as the CPU's reference-counted buffers do).
pub struct GpuBuffer<E, R: Runtime> {
    memory: Arc<R::Memory>,
    len: usize,
    _element: PhantomData<fn() -> E>,
}

impl<E, R: Runtime> GpuBuffer<E, R> {
    fn new(memory: R::Memory, len: usize) -> Self {
        GpuBuffer {
            memory: Arc::new(memory),
            len,
            _element: PhantomData,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The device memory, as a kernel argument.
    pub(crate) fn arg(&self) -> Arg<'_, R::Memory> {
        Arg::Buffer(&self.memory)
    }
}

impl<E, R: Runtime> Clone for GpuBuffer<E, R> {
    fn clone(&self) -> Self {
        GpuBuffer {
            memory: self.memory.clone(),
            len: self.len,
            _element: PhantomData,
        }
    }
}

impl<E, R: Runtime> Debug for GpuBuffer<E, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GpuBuffer<{}>({} elements)",
            core::any::type_name::<E>(),
            self.len
        )
    }
}

/// Whether `value` is a float zero (all bits clear), which a fresh zeroed
/// allocation holds.
fn is_zero_bits<E: Any>(value: &E) -> bool {
    let any = value as &dyn Any;
    any.downcast_ref::<f32>().is_some_and(|v| v.to_bits() == 0)
        || any.downcast_ref::<f64>().is_some_and(|v| v.to_bits() == 0)
}

impl<R: Runtime> Device for Gpu<R> {
    type Buffer<S: Shape, E: Element> = GpuBuffer<E, R>;

    fn full<S: Shape, E: Element>(&self, len: usize, value: E) -> GpuBuffer<E, R> {
        if is_zero_bits(&value) {
            let bytes = bytes_of::<E>(len);
            let memory = self
                .runtime()
                .alloc_zeroed(bytes)
                .unwrap_or_else(|e| panic!("allocating {bytes} bytes: {e}"));
            return GpuBuffer::new(memory, len);
        }
        self.upload::<S, E>(&vec![value; len])
    }

    fn upload<S: Shape, E: Element>(&self, host: &[E]) -> GpuBuffer<E, R> {
        let memory = self
            .runtime()
            .upload(host)
            .unwrap_or_else(|e| panic!("copying {} elements to the GPU: {e}", host.len()));
        GpuBuffer::new(memory, host.len())
    }

    fn download<S: Shape, E: Element>(&self, buf: &GpuBuffer<E, R>) -> Vec<E> {
        self.runtime()
            .download(&buf.memory, 0, buf.len)
            .unwrap_or_else(|e| panic!("copying {} elements from the GPU: {e}", buf.len))
    }

    fn copy<S: Shape, E: Element>(&self, buf: &GpuBuffer<E, R>) -> GpuBuffer<E, R> {
        buf.clone()
    }

    fn read<S: Shape, E: Element>(&self, buf: &GpuBuffer<E, R>, index: usize) -> E {
        assert!(
            index < buf.len,
            "read: index {index} of a buffer of {}",
            buf.len
        );
        self.runtime()
            .download::<E>(&buf.memory, index, 1)
            .unwrap_or_else(|e| panic!("reading element {index} from the GPU: {e}"))[0]
    }

    fn buffer_len<S: Shape, E: Element>(&self, buf: &GpuBuffer<E, R>) -> usize {
        buf.len
    }

    fn reshape<S: Shape, T: Shape, E: Element>(&self, buf: GpuBuffer<E, R>) -> GpuBuffer<E, R> {
        buf
    }
}
