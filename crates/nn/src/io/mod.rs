//! Saving and loading a model's weights as safetensors files.
//!
//! [`save`] writes every tensor of a model to a file, [`load`] reads them
//! back into a model of the same type; [`to_bytes`] and [`from_bytes`] do
//! the same in memory. Tensors are found by one walk over the model
//! (`typeflux_core::functor`) and named by their [`Path`]: `0.weight`,
//! `0.bias`, `1.weight` for a `Chain` of two `Dense` layers. An absent bias
//! is neither written nor expected.
//!
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::io;
//! use typeflux_nn::prelude::*;
//!
//! let model = Chain((Dense::<3, 2>::new(relu), Dense::<2, 1>::new(identity).bias(false)));
//! let bytes = io::to_bytes(&model).unwrap();
//!
//! let mut other = Chain((Dense::<3, 2>::new(relu), Dense::<2, 1>::new(identity).bias(false)));
//! io::from_bytes(&mut other, &bytes).unwrap();
//! assert_eq!(other.0.0.weight, model.0.0.weight);
//!
//! // A model of another shape does not take these weights, and is left as it was.
//! let mut wider = Chain((Dense::<4, 2>::new(relu), Dense::<2, 1>::new(identity).bias(false)));
//! let before = wider.clone();
//! let err = io::from_bytes(&mut wider, &bytes).unwrap_err();
//! assert_eq!(err.to_string(), "tensor `0.weight`: the model's shape is [2, 4], the file's [2, 3]");
//! assert_eq!(wider.0.0.weight, before.0.0.weight);
//! ```
//!
//! # The file as other programs see it
//! - Elements: `f32` tensors are stored as `F32`, `f64` as `F64`, little
//!   endian. Other element types (dual numbers) cannot be saved.
//! - Shapes: a vector of `n` is `[n]`, a matrix of `R` rows and `C`
//!   columns is `[R, C]`: a `Dense<I, O>` weight is `[O, I]`, as in PyTorch's
//!   `nn.Linear`. Files store arrays row-major, so a matrix's elements are
//!   written row by row: element `[i, j]` of the array that Python's
//!   `safetensors` package returns is `w[[i, j]]` of the Rust matrix.
//! - No metadata is written.
//!
//! # Loading is all or nothing
//! [`load`] and [`from_bytes`] first check the whole file against the
//! model: every tensor of the model must be in the file with the model's
//! dtype and shape, the data must be complete, and the file must hold no
//! tensor the model lacks (such a tensor means the file was written for
//! another model, for example one whose layers have biases). Only then is
//! any tensor written; on an [`Error`] the model is as it was.

mod error;
mod layout;

pub use error::Error;

use safetensors::tensor::{Metadata, TensorView};
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use std::any::Any;
use std::collections::HashSet;
use std::path::Path as FilePath;
use typeflux_core::functor::{Functor, Mut, Path, Ref, Visitor, visit, visit_mut};
use typeflux_core::{Device, Element, Shape, Tensor};

/// The model's tensors as the bytes of a safetensors file.
///
/// # Errors
/// [`Error::Element`] when a tensor's elements are neither `f32` nor `f64`.
pub fn to_bytes<M: Functor>(model: &M) -> Result<Vec<u8>, Error> {
    let mut collect = Collect {
        tensors: Vec::new(),
        error: None,
    };
    visit(model, &mut collect);
    if let Some(error) = collect.error {
        return Err(error);
    }
    let views = collect
        .tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|view| (name.as_str(), view))
                .map_err(|e| Error::Format(format!("tensor `{name}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    safetensors::serialize(views, None).map_err(|e| Error::Format(e.to_string()))
}

/// Writes the model's tensors to the safetensors file at `path`, replacing
/// it if it exists.
///
/// # Errors
/// As [`to_bytes`], and [`Error::File`] when the file cannot be written.
pub fn save<M: Functor>(model: &M, path: impl AsRef<FilePath>) -> Result<(), Error> {
    let bytes = to_bytes(model)?;
    std::fs::write(path.as_ref(), bytes).map_err(|source| Error::File {
        path: path.as_ref().to_path_buf(),
        source,
    })
}

/// Sets the model's tensors from the bytes of a safetensors file, or, on an
/// error, leaves the model as it was.
///
/// # Errors
/// [`Error::Format`] or [`Error::Truncated`] for bytes that are not a
/// complete safetensors file; [`Error::Missing`], [`Error::Unexpected`],
/// [`Error::Shape`] and [`Error::Dtype`] when its tensors do not match the
/// model's; [`Error::Element`] for a model whose elements are neither `f32`
/// nor `f64`.
pub fn from_bytes<M: Functor>(model: &mut M, bytes: &[u8]) -> Result<(), Error> {
    let file = parse(bytes)?;
    let mut check = Check {
        file: &file,
        values: Vec::new(),
        seen: HashSet::new(),
        error: None,
    };
    visit(&*model, &mut check);
    if let Some(error) = check.error {
        return Err(error);
    }
    let mut names = file.names();
    names.sort_unstable();
    if let Some(extra) = names.into_iter().find(|name| !check.seen.contains(*name)) {
        return Err(Error::Unexpected {
            tensor: extra.to_string(),
        });
    }
    visit_mut(
        model,
        &mut Write {
            values: check.values.into_iter(),
        },
    );
    Ok(())
}

/// Sets the model's tensors from the safetensors file at `path`, or, on an
/// error, leaves the model as it was.
///
/// # Errors
/// As [`from_bytes`], and [`Error::File`] when the file cannot be read.
pub fn load<M: Functor>(model: &mut M, path: impl AsRef<FilePath>) -> Result<(), Error> {
    let bytes = std::fs::read(path.as_ref()).map_err(|source| Error::File {
        path: path.as_ref().to_path_buf(),
        source,
    })?;
    from_bytes(model, &bytes)
}

/// The file's header and data, or why they are not a safetensors file.
fn parse(bytes: &[u8]) -> Result<SafeTensors<'_>, Error> {
    match SafeTensors::deserialize(bytes) {
        Ok(file) => Ok(file),
        Err(SafeTensorError::MetadataIncompleteBuffer) => Err(incomplete(bytes)),
        Err(e) => Err(Error::Format(e.to_string())),
    }
}

/// The error for a file whose data section is not the length its header
/// describes: the first tensor cut off when it is too short.
fn incomplete(bytes: &[u8]) -> Error {
    let header = bytes
        .get(..8)
        .and_then(|n| usize::try_from(u64::from_le_bytes(n.try_into().ok()?)).ok())
        .and_then(|n| Some((n, bytes.get(8..8usize.checked_add(n)?)?)));
    let Some((n, header)) = header else {
        return Error::Format("the header is cut short".into());
    };
    let metadata: Metadata = match serde_json::from_slice(header) {
        Ok(metadata) => metadata,
        Err(e) => return Error::Format(e.to_string()),
    };
    let found = bytes.len() - 8 - n;
    let expected = metadata.data_len();
    let cut = metadata
        .tensors()
        .into_iter()
        .filter(|(_, info)| info.data_offsets.1 > found)
        .min_by_key(|(_, info)| info.data_offsets.0);
    match cut {
        Some((tensor, _)) => Error::Truncated {
            tensor,
            expected,
            found,
        },
        None => Error::Format(format!(
            "the data section has {found} bytes, the header describes {expected}"
        )),
    }
}

/// Gathers each tensor's name, dtype, shape and bytes, for [`to_bytes`].
struct Collect {
    tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>,
    error: Option<Error>,
}

impl Visitor for Collect {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Device>(&mut self, path: &Path, t: &Tensor<S, E, D>) {
        if self.error.is_some() {
            return;
        }
        let encoded = layout::dtype::<E>().zip(layout::encode(t.shape(), t.to_vec()));
        match encoded {
            Some((dtype, bytes)) => self.tensors.push((
                path.to_string(),
                dtype,
                layout::file_shape(t.shape()),
                bytes,
            )),
            None => {
                self.error = Some(Error::Element {
                    tensor: path.to_string(),
                    element: layout::element_name::<E>(),
                })
            }
        }
    }
}

/// Checks each of the model's tensors against the file and decodes its new
/// elements, in walk order, without changing the model.
struct Check<'f, 'data> {
    file: &'f SafeTensors<'data>,
    /// The new elements of each tensor, a `Vec<E>` in column-major order.
    values: Vec<Box<dyn Any>>,
    seen: HashSet<String>,
    error: Option<Error>,
}

impl Check<'_, '_> {
    fn decode<S: Shape, E: Element>(&self, name: &str, shape: S) -> Result<Vec<E>, Error> {
        let tensor = || name.to_string();
        let Some(dtype) = layout::dtype::<E>() else {
            return Err(Error::Element {
                tensor: tensor(),
                element: layout::element_name::<E>(),
            });
        };
        let view = self.file.tensor(name).map_err(|e| match e {
            SafeTensorError::TensorNotFound(_) => Error::Missing { tensor: tensor() },
            other => Error::Format(format!("tensor `{name}`: {other}")),
        })?;
        if view.dtype() != dtype {
            return Err(Error::Dtype {
                tensor: tensor(),
                expected: if dtype == Dtype::F32 { "F32" } else { "F64" },
                found: layout::dtype_name(view.dtype()),
            });
        }
        let expected = layout::file_shape(shape);
        if view.shape() != expected.as_slice() {
            return Err(Error::Shape {
                tensor: tensor(),
                expected,
                found: view.shape().to_vec(),
            });
        }
        Ok(layout::decode(shape, view.data()))
    }
}

impl Visitor for Check<'_, '_> {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Device>(&mut self, path: &Path, t: &Tensor<S, E, D>) {
        if self.error.is_some() {
            return;
        }
        match self.decode::<S, E>(path.as_str(), t.shape()) {
            Ok(values) => {
                self.values.push(Box::new(values));
                self.seen.insert(path.to_string());
            }
            Err(error) => self.error = Some(error),
        }
    }
}

/// Writes the checked elements into the model, in the same walk order.
struct Write {
    values: std::vec::IntoIter<Box<dyn Any>>,
}

impl Visitor for Write {
    type Access = Mut;

    fn tensor<S: Shape, E: Element, D: Device>(&mut self, _: &Path, t: &mut Tensor<S, E, D>) {
        let values = self
            .values
            .next()
            .and_then(|values| values.downcast::<Vec<E>>().ok())
            .expect("the check walked the same tensors in the same order");
        let buffer = t.device().upload(&values);
        *t.buffer_mut() = buffer;
    }
}
