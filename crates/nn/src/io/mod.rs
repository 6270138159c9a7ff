//! Saving and loading a model's weights as safetensors files.
//!
//! [`save`] writes every tensor of a model to a file, [`load`] reads them
//! back into a model of the same type; [`to_bytes`] and [`from_bytes`] do
//! the same in memory. Tensors are found by one walk over the model
//! (`typeflux_core::functor`) and named by their [`Path`]: `0.weight`,
//! `0.bias`, `1.weight` for a `Chain` of two `Dense` layers. An absent bias
//! is neither written nor expected. State that a layer keeps but does not
//! train ([`State`](crate::state::State): a `BatchNorm`'s running
//! statistics) is written and read as its parameters are. A
//! [`Tied`](crate::tied::Tied) layer or tensor is written once, under the
//! first path that reaches it, and read into the one value its places
//! share; a file written for the model untied holds tensors the tied one
//! lacks, and is refused.
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
//! - Files are written by the reference implementation, the `safetensors`
//!   crate (the one Python's package, candle and burn use), and read with
//!   its entry and dtype types; the checks against the model, and the
//!   messages that name the tensor concerned, are this module's.
//!
//! # Loading is all or nothing
//! [`load`] and [`from_bytes`] first check the whole file against the
//! model: every tensor of the model must be in the file with the model's
//! dtype and shape, the data must be complete, and the file must hold no
//! tensor the model lacks (such a tensor means the file was written for
//! another model, for example one whose layers have biases). Only then is
//! any tensor written; on an [`Error`] the model is as it was.
//!
//! [`load`] reads a file in that order too: the header's length (refused
//! over 100 MB, as the reference does, or past the file's end), the header,
//! the checks, and only then the data, which the checks have bounded to the
//! model's own size. A file that is not a weight file, even an endless one,
//! is refused after at most its first 8 bytes and its claimed header.
//!
//! # Saving replaces the file whole
//! [`save`] writes to a new file in the target's folder, waits until it is
//! on the disk, and renames it over the target: if the save fails at any
//! point, the file that was there is left as it was.

mod error;
mod file;
mod header;
mod layout;

pub use error::Error;

use header::{Header, PREFIX};
use safetensors::tensor::TensorView;
use std::collections::HashSet;
use std::io::Read;
use std::path::Path as FilePath;
use typeflux_core::functor::{Functor, Mut, Path, Ref, Visitor, visit, visit_mut};
use typeflux_core::{Element, Kernels, Shape, Tensor};

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
/// The file is replaced whole or not at all: the bytes go to a new file in
/// the same folder, which is synced to the disk and then renamed over
/// `path`, so a save that fails leaves the previous file as it was. A
/// symbolic link at `path` is followed and kept; a replaced file keeps its
/// permissions.
///
/// # Errors
/// As [`to_bytes`], and [`Error::File`] when the file cannot be written.
pub fn save<M: Functor>(model: &M, path: impl AsRef<FilePath>) -> Result<(), Error> {
    let bytes = to_bytes(model)?;
    let path = path.as_ref();
    file::replace(path, &bytes).map_err(|source| Error::File {
        path: path.to_path_buf(),
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
    let (header, data) = header::split(bytes)?;
    check(model, &header)?;
    write(model, &header, data);
    Ok(())
}

/// Sets the model's tensors from the safetensors file at `path`, or, on an
/// error, leaves the model as it was.
///
/// The file's data is read only once its header has been checked against
/// the model.
///
/// # Errors
/// As [`from_bytes`], and [`Error::File`] when the file cannot be read.
pub fn load<M: Functor>(model: &mut M, path: impl AsRef<FilePath>) -> Result<(), Error> {
    let path = path.as_ref();
    let file_error = |source| Error::File {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(file_error)?;
    // The length is known for a plain file; a device or a pipe is read as far
    // as the header says, and no further.
    let size = file
        .metadata()
        .ok()
        .filter(|meta| meta.is_file())
        .map(|meta| meta.len());
    let prefix = read_at_most(&mut file, PREFIX).map_err(file_error)?;
    let Ok(prefix) = <[u8; PREFIX]>::try_from(&prefix[..]) else {
        return Err(header::too_short(prefix.len()));
    };
    let length = header::length(prefix)?;
    let after_prefix = size.map(|size| size.saturating_sub(PREFIX as u64));
    if let Some(follow) = after_prefix.filter(|&follow| follow < length as u64) {
        return Err(header::cut_short(length, follow));
    }
    let text = read_at_most(&mut file, length).map_err(file_error)?;
    if text.len() < length {
        return Err(header::cut_short(length, text.len() as u64));
    }
    let header = Header::parse(&text)?;
    drop(text);
    if let Some(follow) = after_prefix {
        header.check_data_len(follow - length as u64)?;
    }
    check(model, &header)?;
    // One byte more than the header describes, to tell a longer file.
    let data = read_at_most(&mut file, header.data_len().saturating_add(1)).map_err(file_error)?;
    header.check_data_len(data.len() as u64)?;
    write(model, &header, &data);
    Ok(())
}

/// The next `most` bytes of `file`, or fewer where it ends first; the
/// buffer grows with what is read, not with what a header claims.
fn read_at_most(file: &mut std::fs::File, most: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(most as u64).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Checks every tensor of the model against the header, and the header for
/// tensors the model lacks, without changing the model.
fn check<M: Functor>(model: &M, header: &Header) -> Result<(), Error> {
    let mut check = Check {
        header,
        seen: HashSet::new(),
        error: None,
    };
    visit(model, &mut check);
    if let Some(error) = check.error {
        return Err(error);
    }
    match header.names().find(|name| !check.seen.contains(*name)) {
        Some(extra) => Err(Error::Unexpected {
            tensor: extra.to_string(),
        }),
        None => Ok(()),
    }
}

/// Writes the checked file's tensors into the model.
fn write<M: Functor>(model: &mut M, header: &Header, data: &[u8]) {
    visit_mut(model, &mut Write { header, data });
}

/// Gathers each tensor's name, dtype, shape and bytes, for [`to_bytes`].
struct Collect {
    tensors: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)>,
    error: Option<Error>,
}

impl Visitor for Collect {
    type Access = Ref;

    /// Kept state (running statistics) is saved as the parameters are.
    fn state<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, t: &Tensor<S, E, D>) {
        self.tensor(path, t);
    }

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, t: &Tensor<S, E, D>) {
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

/// Checks each of the model's tensors against the header, in walk order,
/// without changing the model.
struct Check<'h> {
    header: &'h Header,
    seen: HashSet<String>,
    error: Option<Error>,
}

impl Check<'_> {
    fn check<S: Shape, E: Element>(&self, name: &str, shape: S) -> Result<(), Error> {
        let tensor = || name.to_string();
        let Some(dtype) = layout::dtype::<E>() else {
            return Err(Error::Element {
                tensor: tensor(),
                element: layout::element_name::<E>(),
            });
        };
        let info = self
            .header
            .tensor(name)
            .ok_or_else(|| Error::Missing { tensor: tensor() })?;
        if info.dtype != dtype {
            return Err(Error::Dtype {
                tensor: tensor(),
                expected: layout::dtype_name(dtype),
                found: info.dtype.to_string(),
            });
        }
        let expected = layout::file_shape(shape);
        if info.shape != expected {
            return Err(Error::Shape {
                tensor: tensor(),
                expected,
                found: info.shape.clone(),
            });
        }
        Ok(())
    }
}

impl Visitor for Check<'_> {
    type Access = Ref;

    fn state<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, t: &Tensor<S, E, D>) {
        self.tensor(path, t);
    }

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, t: &Tensor<S, E, D>) {
        if self.error.is_some() {
            return;
        }
        match self.check::<S, E>(path.as_str(), t.shape()) {
            Ok(()) => {
                self.seen.insert(path.to_string());
            }
            Err(error) => self.error = Some(error),
        }
    }
}

/// Writes each tensor's elements from the checked file into the model.
struct Write<'h, 'd> {
    header: &'h Header,
    data: &'d [u8],
}

impl Visitor for Write<'_, '_> {
    type Access = Mut;

    fn state<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, t: &mut Tensor<S, E, D>) {
        self.tensor(path, t);
    }

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        path: &Path,
        t: &mut Tensor<S, E, D>,
    ) {
        let (begin, end) = self
            .header
            .tensor(path.as_str())
            .expect("the check found every tensor in the file")
            .data_offsets;
        let values = layout::decode::<S, E>(t.shape(), &self.data[begin..end]);
        let device = t.device().clone();
        *t = Tensor::from_parts(t.shape(), device.upload(&values), device);
    }
}
