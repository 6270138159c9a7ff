//! Statically shaped tensors.
#![warn(missing_docs)]

mod real;

pub use num_dual;
pub use real::Real;
pub mod functor;
