//! Element types a tensor can hold.

use crate::cpu::HostElement;

/// A number a tensor can hold: `f32`, `f64`, or any `num-dual` number built on
/// them, so that a whole network can be run with dual numbers for exact
/// forward-mode derivatives.
///
/// What the CPU devices need of an element (its inline capacity and its
/// product kernel) is [`HostElement`], on the device side; every element
/// type has it.
pub trait Element: HostElement {}

impl<T: HostElement> Element for T {}
