//! Errors for data whose size is only known at run time.

use core::fmt;

/// Data did not fit the shape it was meant for.
///
/// Static sizes are checked by the compiler; this error covers what is only known
/// at run time (a slice's length, a runtime dim).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    /// The operation that failed.
    pub op: &'static str,
    /// What the operation needed.
    pub expected: String,
    /// What it was given.
    pub found: String,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.op, self.expected, self.found
        )
    }
}

impl std::error::Error for ShapeError {}
