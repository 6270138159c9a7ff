//! How a tensor is laid out in a safetensors file: its dtype, its shape, and
//! the order of its elements.
//!
//! typeflux stores matrices column-major; safetensors (like numpy and
//! PyTorch) reads data row-major in the order of the shape's dims. A matrix
//! is written with its shape as it is, `[rows, cols]` (`[Out, In]` for a
//! `Dense` weight), and its elements reordered row by row, so that element
//! `[i, j]` of the file's array is `w[[i, j]]` of the Rust matrix.

use safetensors::Dtype;
use std::any::{Any, type_name};
use typeflux_core::{Element, Shape};

/// The safetensors name of `E`, for `f32` and `f64`.
pub(super) fn dtype<E: Element>() -> Option<Dtype> {
    let id = core::any::TypeId::of::<E>();
    if id == core::any::TypeId::of::<f32>() {
        Some(Dtype::F32)
    } else if id == core::any::TypeId::of::<f64>() {
        Some(Dtype::F64)
    } else {
        None
    }
}

/// The name a header gives a dtype this module reads and writes.
pub(super) fn dtype_name(dtype: Dtype) -> &'static str {
    if dtype == Dtype::F32 { "F32" } else { "F64" }
}

/// The name of `E`, for messages.
pub(super) fn element_name<E: Element>() -> &'static str {
    type_name::<E>()
}

/// The shape as the file records it: `[]`, `[n]`, `[rows, cols]` or, for
/// images, all four axes.
pub(super) fn file_shape<S: Shape>(shape: S) -> Vec<usize> {
    shape.axes()[..S::RANK].to_vec()
}

/// The bytes the file holds for a tensor of `shape` whose elements are
/// `column_major`, or `None` when `E` has no dtype.
pub(super) fn encode<S: Shape, E: Element>(shape: S, column_major: Vec<E>) -> Option<Vec<u8>> {
    let row_major = to_row_major(shape, column_major);
    let any: &dyn Any = &row_major;
    if let Some(values) = any.downcast_ref::<Vec<f32>>() {
        Some(values.iter().flat_map(|x| x.to_le_bytes()).collect())
    } else {
        any.downcast_ref::<Vec<f64>>()
            .map(|values| values.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

/// The column-major elements of a tensor of `shape` from the file's `bytes`,
/// whose dtype the caller has checked is `E`'s and whose length is the
/// shape's.
pub(super) fn decode<S: Shape, E: Element>(shape: S, bytes: &[u8]) -> Vec<E> {
    let values: Box<dyn Any> = match dtype::<E>() {
        Some(Dtype::F32) => Box::new(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("chunks of 4 bytes")))
                .collect::<Vec<f32>>(),
        ),
        _ => Box::new(
            bytes
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("chunks of 8 bytes")))
                .collect::<Vec<f64>>(),
        ),
    };
    let row_major = *values
        .downcast::<Vec<E>>()
        .expect("decode is called only for f32 and f64 elements");
    to_column_major(shape, row_major)
}

/// The position in a column-major buffer of every element of a row-major
/// one: the file lists the last axis fastest, as safetensors (and numpy)
/// do, and typeflux the first.
fn row_major_order<S: Shape>(shape: S) -> impl Iterator<Item = usize> {
    let rank = S::RANK;
    let axes = shape.axes();
    let mut strides = [1; 4];
    for i in 1..rank {
        strides[i] = strides[i - 1] * axes[i - 1];
    }
    (0..shape.num_elements()).map(move |mut k| {
        let mut at = 0;
        for i in (0..rank).rev() {
            at += (k % axes[i]) * strides[i];
            k /= axes[i];
        }
        at
    })
}

/// Whether at most one axis is longer than 1, so that both orders agree.
fn in_either_order<S: Shape>(shape: S) -> bool {
    shape.axes()[..S::RANK].iter().filter(|&&n| n > 1).count() <= 1
}

fn to_row_major<S: Shape, E: Copy>(shape: S, column_major: Vec<E>) -> Vec<E> {
    if in_either_order(shape) {
        return column_major;
    }
    row_major_order(shape).map(|i| column_major[i]).collect()
}

fn to_column_major<S: Shape, E: Copy>(shape: S, row_major: Vec<E>) -> Vec<E> {
    if in_either_order(shape) {
        return row_major;
    }
    let mut out = row_major.clone();
    for (k, i) in row_major_order(shape).enumerate() {
        out[i] = row_major[k];
    }
    out
}
