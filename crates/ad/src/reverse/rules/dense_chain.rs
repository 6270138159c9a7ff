//! A chain of dense layers that a device ran in one pass, as one rule.
//!
//! typeflux-nn's `Chain` of `Dense` layers asks its device to run the whole
//! chain at once ([`Kernels::dense_chain`]); where the device does, every
//! layer's value comes from that pass, and every layer's pullback is its
//! part of one backward pass of the chain ([`ChainPart`]), run by the last
//! layer's pullback from the chain's output cotangent
//! ([`Kernels::dense_chain_backward`]) and handed out to the others as the
//! chain's node reaches them. The math is [`dense`](super::dense)'s, layer
//! after layer: `δ_L = σ_L'(z_L) ⊙ ȳ`, `W̄_l = δ_l·x_lᵀ`, `b̄_l = Σ δ_l`,
//! `δ_{l-1} = σ_{l-1}'(z_{l-1}) ⊙ W_lᵀ·δ_l`, `x̄ = W_1ᵀ·δ_1`.
//!
//! Inside such a chain, the values passed between its layers (and their
//! cotangents) stay in the device's pass: what a layer hands the next is an
//! empty batch of the right features, which the next layer, itself a part
//! of the same pass, never reads. Only the chain's input, its output and
//! their cotangents are whole tensors.

use std::sync::{Arc, Mutex};
use typeflux_core::dense_chain::{ChainGradients, ChainKept, ChainLayer};
use typeflux_core::{Device, Element, Kernels};

/// A buffer of a device, flat: how buffers cross to a fused pass.
pub type Flat<E, D> = <D as Device>::Buffer<(usize,), E>;

/// What a chain's one-pass forward kept for its backward pass, shared by
/// its layers' pullbacks.
pub struct ChainTape<E: Element, D: Device> {
    device: D,
    layers: Vec<ChainLayer>,
    x: Flat<E, D>,
    weights: Vec<Flat<E, D>>,
    kept: ChainKept<Flat<E, D>>,
    /// The gradients of the last backward pass, each taken by its layer.
    pending: Mutex<Pending<Flat<E, D>>>,
}

/// Gradients computed by the last layer's pullback, not yet taken by their
/// layers.
struct Pending<B> {
    input: Option<B>,
    layers: Vec<Option<(B, Option<B>)>>,
}

impl<E: Element, D: Device> core::fmt::Debug for ChainTape<E, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChainTape")
            .field("layers", &self.layers)
            .field("batch", &self.kept.batch)
            .finish()
    }
}

impl<E: Element, D: Kernels<E>> ChainTape<E, D> {
    /// The tape of a chain of `layers` that `device` ran on `x` with the
    /// weights `weights`, keeping `kept`.
    ///
    /// # Panics
    /// Where there are not as many weights as layers.
    pub fn new(
        device: D,
        layers: Vec<ChainLayer>,
        x: Flat<E, D>,
        weights: Vec<Flat<E, D>>,
        kept: ChainKept<Flat<E, D>>,
    ) -> Arc<Self> {
        assert_eq!(
            layers.len(),
            weights.len(),
            "a fused chain of {} layers with {} weights",
            layers.len(),
            weights.len()
        );
        let pending = Pending {
            input: None,
            layers: layers.iter().map(|_| None).collect(),
        };
        Arc::new(ChainTape {
            device,
            layers,
            x,
            weights,
            kept,
            pending: Mutex::new(pending),
        })
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending<Flat<E, D>>> {
        // The gradients are only ever replaced or taken whole: a poisoned
        // lock holds no half-written state.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Layer `layer`'s part of a chain's one-pass backward pass: the pullback
/// a layer of a fused chain keeps instead of its own operands.
pub struct ChainPart<E: Element, D: Device> {
    tape: Arc<ChainTape<E, D>>,
    layer: usize,
}

impl<E: Element, D: Device> Clone for ChainPart<E, D> {
    fn clone(&self) -> Self {
        ChainPart {
            tape: self.tape.clone(),
            layer: self.layer,
        }
    }
}

impl<E: Element, D: Device> core::fmt::Debug for ChainPart<E, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChainPart")
            .field("layer", &self.layer)
            .field("of", &self.tape.layers.len())
            .finish()
    }
}

/// A layer's gradients from a fused chain: its weight's, its bias's where
/// it has one, and the chain input's for the first layer.
pub type PartGradients<B> = (B, Option<B>, Option<B>);

impl<E: Element, D: Kernels<E>> ChainPart<E, D> {
    /// Layer `layer` of the chain of `tape`.
    ///
    /// # Panics
    /// Where the chain has no such layer.
    pub fn new(tape: Arc<ChainTape<E, D>>, layer: usize) -> Self {
        assert!(
            layer < tape.layers.len(),
            "layer {layer} of a fused chain of {}",
            tape.layers.len()
        );
        ChainPart { tape, layer }
    }

    /// Which layer of the chain this is, from 0.
    pub fn layer(&self) -> usize {
        self.layer
    }

    /// Whether this is the chain's last layer, whose pullback runs the
    /// backward pass.
    pub fn is_last(&self) -> bool {
        self.layer + 1 == self.tape.layers.len()
    }

    /// This layer's gradients. The last layer's pullback is given the
    /// chain output's cotangent `dy` and runs the chain's backward pass;
    /// the layers before it take what that pass computed, as the chain's
    /// node reaches them, last to first.
    ///
    /// # Panics
    /// Where the last layer is not given `dy`, or an earlier one is
    /// reached before the last layer's pullback ran.
    pub fn pullback(self, dy: Option<&Flat<E, D>>) -> PartGradients<Flat<E, D>> {
        let tape = &self.tape;
        let mut pending = tape.pending();
        if self.is_last() {
            let dy = dy.expect("the last layer of a fused chain pulls back the chain's cotangent");
            let ChainGradients { input, layers } = tape
                .device
                .dense_chain_backward(&tape.layers, &tape.x, &tape.weights, &tape.kept, dy)
                .expect("a device that ran a chain in one pass runs its backward pass");
            assert_eq!(
                layers.len(),
                tape.layers.len(),
                "a fused chain's backward pass returned gradients for {} of {} layers",
                layers.len(),
                tape.layers.len()
            );
            pending.input = Some(input);
            pending.layers = layers.into_iter().map(Some).collect();
        }
        let (dw, db) = pending.layers[self.layer]
            .take()
            .expect("a layer of a fused chain pulls back after the chain's last layer");
        let dx = if self.layer == 0 {
            pending.input.take()
        } else {
            None
        };
        (dw, db, dx)
    }
}
