//! A chain of dense layers as a device may run it in one pass: what the
//! layers are, and what such a pass keeps for its backward pass.
//!
//! A device that can ([`Kernels::dense_chains_or`](crate::Kernels::dense_chains_or))
//! is handed a whole chain of `Dense` layers by typeflux-nn's `Chain`
//! through [`Kernels::dense_chain`](crate::Kernels::dense_chain), and its
//! backward pass by typeflux-ad's rule for such chains through
//! [`Kernels::dense_chain_backward`](crate::Kernels::dense_chain_backward).
//! Every buffer crosses as a flat one (`Buffer<(usize,), E>`, reshaped
//! without a copy), laid out column-major as the tensors are.

use crate::activation::ActivationKind;

/// One `Dense` layer of a chain: `outputs × inputs` weight, an optional
/// bias of `outputs`, and its activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainLayer {
    /// Input features.
    pub inputs: usize,
    /// Output features.
    pub outputs: usize,
    /// Whether it adds a bias.
    pub bias: bool,
    /// What its activation computes.
    pub activation: ActivationKind,
}

/// One layer's parameters: the weight and, where the layer has one, the
/// bias.
pub type ChainParams<B> = (B, Option<B>);

/// What a chain's one pass returns: the last layer's output, and what it
/// kept for the backward pass when asked to.
pub type ChainOutput<B> = (B, Option<ChainKept<B>>);

/// What the forward pass of a chain kept for its backward pass, in
/// whatever layout the device chose, for a batch of `batch` columns.
#[derive(Clone, Debug)]
pub struct ChainKept<B> {
    /// The hidden layers' outputs, where there are any.
    pub outputs: Option<B>,
    /// The activations' slopes, where there are any.
    pub slopes: Option<B>,
    /// The batch.
    pub batch: usize,
}

/// A chain's gradients: the input's cotangent, and each layer's weight
/// and bias gradients, first layer first.
#[derive(Clone, Debug)]
pub struct ChainGradients<B> {
    /// The input's cotangent.
    pub input: B,
    /// Each layer's gradients.
    pub layers: Vec<ChainParams<B>>,
}
