//! Chains of `Dense` layers that their device runs in one pass, chosen by
//! the types and the device, not by the user.
//!
//! A [`Chain`](crate::Chain) asks each member for its [`DenseLink`]
//! ([`Layer::dense_link`](crate::Layer::dense_link)). Only a
//! [`Dense`](crate::Dense) layer on a device that can run chains of them
//! in one pass has one ([`Kernels::dense_chains_or`](typeflux_core::Kernels::dense_chains_or)
//! chooses by the device's type: never on the CPU devices, where the
//! question costs nothing and the one-pass code is not even compiled). When every member has one, the chain's first layer
//! hands the whole chain to the device
//! ([`Kernels::dense_chain`](typeflux_core::Kernels::dense_chain)); a
//! device that declines (a layer too wide, an activation it has no kernel
//! for, the choice turned off) leaves the chain to run layer by layer, as
//! everywhere else. Either way the chain's result, and its backward pass,
//! have the same type: each layer builds its node with typeflux-ad's
//! [`dense_part`](typeflux_ad::reverse::rules::dense::dense_part), whose
//! pullback is its part of the chain's one backward pass
//! ([`rules::dense_chain`](typeflux_ad::reverse::rules::dense_chain)), so
//! `forward`, `gradient` and `train` take the one-pass kernels with no
//! change to the code that calls them.

use core::any::Any;
use std::sync::Arc;
use typeflux_ad::reverse::rules::dense_chain::{ChainTape, Flat};
use typeflux_core::dense_chain::{ChainLayer, ChainParams};
use typeflux_core::{Device, Element};

/// A member of a chain as a device that runs chains of `Dense` layers in
/// one pass sees it. Implemented by [`Dense`](crate::Dense) only (the trait
/// is sealed): a chain run in one pass relies on every member being what
/// its link describes.
pub trait DenseLink: sealed::Sealed {
    /// The layer's sizes, bias and activation.
    fn layer(&self) -> ChainLayer;

    /// Whether a gradient is wanted for the layer's weight or bias.
    fn traced(&self) -> bool;

    /// Appends the layer's weight and bias, flat, to `params`, a
    /// `Vec<ChainParams<Flat<E, D>>>` of the layer's element and device;
    /// `false`, with nothing appended, where `params` is of another.
    fn push_params(&self, params: &mut dyn Any) -> bool;
}

pub(crate) mod sealed {
    /// Only typeflux-nn's `Dense` is a [`DenseLink`](super::DenseLink).
    pub trait Sealed {}
}

/// A chain's run through its members: whether its device runs it in one
/// pass, and, while it does, what that pass computed.
pub struct ChainRun<'a> {
    links: &'a [Option<&'a dyn DenseLink>],
    next: usize,
    state: State,
}

enum State {
    /// Layer by layer.
    Off,
    /// Every member is a link; the first has not yet run.
    Planned,
    /// The device ran the chain in one pass.
    Running(Box<dyn Any>),
}

/// What a chain's one pass left for its layers.
pub(crate) struct Running<E: Element, D: Device> {
    /// The tape of the backward pass, where a gradient is wanted.
    pub(crate) tape: Option<Arc<ChainTape<E, D>>>,
    /// The last layer's output, until the last layer takes it.
    pub(crate) output: Option<Flat<E, D>>,
    /// The batch.
    pub(crate) columns: usize,
}

impl<'a> ChainRun<'a> {
    /// The run of a chain whose members' links are `links`: planned when
    /// every member is a link, layer by layer otherwise.
    #[inline(always)]
    pub fn new(links: &'a [Option<&'a dyn DenseLink>]) -> Self {
        let state = if !links.is_empty() && links.iter().all(Option::is_some) {
            State::Planned
        } else {
            State::Off
        };
        ChainRun {
            links,
            next: 0,
            state,
        }
    }

    /// The next member's index in a run that is not off.
    #[inline(always)]
    pub(crate) fn enter(&mut self) -> Option<usize> {
        if matches!(self.state, State::Off) {
            return None;
        }
        let member = self.next;
        self.next += 1;
        Some(member)
    }

    /// The links of a planned run.
    pub(crate) fn links(&self) -> impl Iterator<Item = &'a dyn DenseLink> + 'a {
        self.links
            .iter()
            .map(|l| l.expect("a planned run has every link"))
    }

    /// The number of members.
    pub(crate) fn len(&self) -> usize {
        self.links.len()
    }

    /// Layer by layer from here on: the device declined the chain.
    pub(crate) fn stop(&mut self) {
        self.state = State::Off;
    }

    /// The device ran the chain in one pass.
    pub(crate) fn start<E: Element, D: Device>(&mut self, running: Running<E, D>) {
        self.state = State::Running(Box::new(running));
    }

    /// What the one pass left, for a layer of element `E` on `D`.
    ///
    /// # Panics
    /// Where the pass is not running, or ran on other elements or another
    /// device (a chain's layers share them, as their types say).
    pub(crate) fn running<E: Element, D: Device>(&mut self) -> &mut Running<E, D> {
        match &mut self.state {
            State::Running(state) => state
                .downcast_mut()
                .expect("the layers of a chain share their element type and device"),
            _ => panic!("a fused chain's layer after the chain's first declined"),
        }
    }
}

/// `params` as the list of flat parameters of layers of element `E` on
/// `D`, if it is one.
pub(crate) fn params_of<E: Element, D: Device>(
    params: &mut dyn Any,
) -> Option<&mut Vec<ChainParams<Flat<E, D>>>> {
    params.downcast_mut()
}
