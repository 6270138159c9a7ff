//! What can go wrong when weights are saved or loaded.

use core::fmt;
use std::path::PathBuf;

/// Why saving or loading weights failed. Each variant names the tensor
/// concerned, by its path in the model (`0.weight`).
///
/// A load that fails leaves the model exactly as it was: the whole file is
/// checked against the model before the first tensor is written.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the file failed.
    File {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The bytes are not a safetensors file: the header is cut short or is
    /// not valid, or the data does not match it.
    Format(String),
    /// The file ends before the data of `tensor` does.
    Truncated {
        /// The first tensor whose data is cut off.
        tensor: String,
        /// The bytes of data the header describes.
        expected: usize,
        /// The bytes of data the file holds.
        found: usize,
    },
    /// The model has `tensor`, the file does not.
    Missing {
        /// The tensor.
        tensor: String,
    },
    /// The file has a tensor the model does not.
    Unexpected {
        /// The tensor.
        tensor: String,
    },
    /// The file's tensor has another shape than the model's.
    Shape {
        /// The tensor.
        tensor: String,
        /// The model's shape, in safetensors order (`[Out, In]` for a weight).
        expected: Vec<usize>,
        /// The file's shape.
        found: Vec<usize>,
    },
    /// The file's tensor has another element type than the model's.
    Dtype {
        /// The tensor.
        tensor: String,
        /// The model's dtype, `F32` or `F64`.
        expected: &'static str,
        /// The file's dtype.
        found: String,
    },
    /// The model's elements have no safetensors dtype: only `f32` and `f64`
    /// tensors are saved and loaded.
    Element {
        /// The tensor.
        tensor: String,
        /// The element type.
        element: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::File { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Format(why) => write!(f, "not a valid safetensors file: {why}"),
            Error::Truncated {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "tensor `{tensor}`: the file is truncated (its data section has {found} bytes, \
                 the header describes {expected})"
            ),
            Error::Missing { tensor } => write!(f, "tensor `{tensor}`: missing from the file"),
            Error::Unexpected { tensor } => write!(
                f,
                "tensor `{tensor}`: in the file but not in the model (is the file for another model?)"
            ),
            Error::Shape {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "tensor `{tensor}`: the model's shape is {expected:?}, the file's {found:?}"
            ),
            Error::Dtype {
                tensor,
                expected,
                found,
            } => write!(
                f,
                "tensor `{tensor}`: the model holds {expected}, the file {found}"
            ),
            Error::Element { tensor, element } => write!(
                f,
                "tensor `{tensor}`: elements of type `{element}` cannot be stored; \
                 safetensors files hold f32 and f64 tensors"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::File { source, .. } => Some(source),
            _ => None,
        }
    }
}
