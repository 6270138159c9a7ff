//! The GPU device for typeflux.
#![warn(missing_docs)]

pub mod kernels;
pub mod ptx;
