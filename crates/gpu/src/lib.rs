//! The GPU device for typeflux (not yet implemented).
//!
//! This crate will hold a second implementation of
//! [`typeflux_core::Device`]: buffers in GPU memory and the kernels of the
//! device trait (elementwise operations, broadcasts, reductions, a tiled gemm, and
//! fused kernels for whole `Chain`s of small `Dense` layers, whose sizes are known
//! at compile time), written by typeflux as PTX and launched through `cudarc`,
//! which loads the CUDA driver at run time. Because every tensor operation, every
//! pullback and every layer is written against the device trait, they will run on
//! the GPU unchanged; moving a model there (Flux's `gpu`) will be a traversal of
//! its tensors with `typeflux_core::functor`.
//!
//! Until then the crate is empty, builds everywhere and adds nothing to a
//! program; the CPU devices (`typeflux_core::Cpu` and `typeflux_core::Stack`) are
//! the only ones.
#![warn(missing_docs)]
