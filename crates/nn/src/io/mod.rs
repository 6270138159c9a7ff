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
//! - No metadata is written; metadata in a file that is read is checked
//!   (an object of strings) and otherwise ignored.
//! - The format is read and written by this module's own code, which the
//!   tests check against the reference implementation (the `safetensors`
//!   crate): each reads what the other writes, and no cut or damaged file
//!   makes it panic. A header is read only up to 100 MB, as the reference
//!   does.
//!
//! # Loading is all or nothing
//! [`load`] and [`from_bytes`] first check the whole file against the
//! model: every tensor of the model must be in the file with the model's
//! dtype and shape, the data must be complete, and the file must hold no
//! tensor the model lacks (such a tensor means the file was written for
//! another model, for example one whose layers have biases). Only then is
//! any tensor written; on an [`Error`] the model is as it was.

mod error;
mod format;
mod layout;

pub use error::Error;

use format::{Dtype, File};
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
    Ok(format::write(collect.tensors))
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
    let file = File::parse(bytes)?;
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
    let mut names: Vec<&str> = file.names().collect();
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
    file: &'f File<'data>,
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
        let (entry, data) = self
            .file
            .tensor(name)
            .ok_or_else(|| Error::Missing { tensor: tensor() })?;
        if entry.dtype != dtype.name() {
            return Err(Error::Dtype {
                tensor: tensor(),
                expected: dtype.name(),
                found: entry.dtype.clone(),
            });
        }
        let expected = layout::file_shape(shape);
        if entry.shape != expected {
            return Err(Error::Shape {
                tensor: tensor(),
                expected,
                found: entry.shape.clone(),
            });
        }
        Ok(layout::decode(shape, data))
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
        let device = t.device().clone();
        *t = Tensor::from_parts(t.shape(), device.upload(&values), device);
    }
}
