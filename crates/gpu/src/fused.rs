//! The fused chains on the device: each pass of [`kernels::fused`] behind
//! a method that checks its buffers, launches it, and (for gradients)
//! sums the blocks' parts in a fixed order.
//!
//! [`kernels::fused`]: crate::kernels::fused

use crate::compute::{GpuFloat, count, length, same_len};
use crate::device::{Gpu, GpuBuffer};
use crate::kernels::{
    FusedChain, FusedGeometry, FusedLayer, FusedPass, FusedProducts, Precision, Reduction, Spec,
};
use crate::runtime::{Arg, Runtime};
use typeflux_core::activation::ActivationKind;
use typeflux_core::dense_chain::{ChainGradients, ChainKept, ChainLayer, ChainOutput, ChainParams};

/// One layer's parameters on the device: the `O × I` weight and, where the
/// layer has one, the bias of `O`.
pub type FusedParams<'a, E, R> = (&'a GpuBuffer<E, R>, Option<&'a GpuBuffer<E, R>>);

/// What the training pass keeps for the backward pass: the hidden layers'
/// outputs and the activations' slopes (absent where there are none).
#[derive(Debug)]
pub struct FusedKept<E, R: Runtime> {
    outputs: Option<GpuBuffer<E, R>>,
    slopes: Option<GpuBuffer<E, R>>,
    batch: usize,
}

/// A layer's gradients: the weight's, and the bias's where it has one.
pub type FusedGradient<E, R> = (GpuBuffer<E, R>, Option<GpuBuffer<E, R>>);

impl FusedChain {
    /// The fused chain of `layers`, or `None` where they do not fuse: too
    /// many, too wide, an activation that is not an operation of the
    /// table, or widths that do not follow one another.
    pub fn of_layers(layers: &[ChainLayer]) -> Option<FusedChain> {
        let first = layers.first()?;
        if layers.len() > crate::kernels::fused::MAX_FUSED_LAYERS {
            return None;
        }
        let mut fused = [FusedLayer::default(); crate::kernels::fused::MAX_FUSED_LAYERS];
        let mut inputs = first.inputs;
        for (l, layer) in layers.iter().enumerate() {
            if layer.inputs != inputs {
                return None;
            }
            inputs = layer.outputs;
            fused[l] = FusedLayer {
                width: u32::try_from(layer.outputs).ok()?,
                bias: layer.bias,
                activation: match layer.activation {
                    ActivationKind::Identity => None,
                    ActivationKind::Table(op) => Some(op),
                    ActivationKind::Other => return None,
                },
            };
        }
        FusedChain::new(u32::try_from(first.inputs).ok()?, &fused[..layers.len()])
    }
}

impl<E, R: Runtime> FusedKept<E, R> {
    fn of(kept: &ChainKept<GpuBuffer<E, R>>) -> Self {
        FusedKept {
            outputs: kept.outputs.clone(),
            slopes: kept.slopes.clone(),
            batch: kept.batch,
        }
    }

    fn into_chain(self) -> ChainKept<GpuBuffer<E, R>> {
        ChainKept {
            outputs: self.outputs,
            slopes: self.slopes,
            batch: self.batch,
        }
    }
}

impl<R: Runtime> Gpu<R> {
    /// A chain of dense layers in one pass, where it fuses and the device
    /// [runs chains in one pass](Self::fused_chains): what
    /// [`Kernels::dense_chain`](typeflux_core::Kernels::dense_chain) does
    /// on the GPU.
    pub(crate) fn chain_forward<E: GpuFloat>(
        &self,
        layers: &[ChainLayer],
        x: &GpuBuffer<E, R>,
        params: &[ChainParams<GpuBuffer<E, R>>],
        keep: bool,
    ) -> Option<ChainOutput<GpuBuffer<E, R>>> {
        if !self.fused_chains() {
            return None;
        }
        let chain = FusedChain::of_layers(layers)?;
        let params: Vec<FusedParams<'_, E, R>> =
            params.iter().map(|(w, b)| (w, b.as_ref())).collect();
        if keep {
            let (y, kept) = self.fused_training(&chain, x, &params);
            Some((y, Some(kept.into_chain())))
        } else {
            Some((self.fused_inference(&chain, x, &params), None))
        }
    }

    /// The backward pass of a chain [`chain_forward`](Self::chain_forward)
    /// ran: what
    /// [`Kernels::dense_chain_backward`](typeflux_core::Kernels::dense_chain_backward)
    /// does on the GPU.
    pub(crate) fn chain_backward<E: GpuFloat>(
        &self,
        layers: &[ChainLayer],
        x: &GpuBuffer<E, R>,
        weights: &[GpuBuffer<E, R>],
        kept: &ChainKept<GpuBuffer<E, R>>,
        dy: &GpuBuffer<E, R>,
    ) -> Option<ChainGradients<GpuBuffer<E, R>>> {
        let chain = FusedChain::of_layers(layers)?;
        let weights: Vec<&GpuBuffer<E, R>> = weights.iter().collect();
        let (input, layers) = self.fused_backward(&chain, x, &weights, &FusedKept::of(kept), dy);
        Some(ChainGradients { input, layers })
    }

    /// The batch of an input of `chain`, with the weights' lengths
    /// checked.
    fn fused_batch<E: GpuFloat>(
        chain: &FusedChain,
        x: &GpuBuffer<E, R>,
        weights: impl ExactSizeIterator<Item = usize>,
    ) -> usize {
        let input = chain.input() as usize;
        length("fused chain", x.len());
        assert!(
            x.len().is_multiple_of(input),
            "fused chain: an input of {} elements is not columns of {input}",
            x.len()
        );
        assert_eq!(
            weights.len(),
            chain.layers().len(),
            "fused chain: weights for {} of {} layers",
            weights.len(),
            chain.layers().len()
        );
        for (l, w) in weights.enumerate() {
            let (o, i) = (chain.layers()[l].width, chain.inputs_of(l));
            assert_eq!(
                w,
                (o * i) as usize,
                "fused chain: layer {l}'s weight of {w} elements, not {o}x{i}"
            );
        }
        x.len() / input
    }

    /// `chain(x)` in one kernel: `x` is `I × n` (column-major), the result
    /// `O × n`. `params` holds each layer's weight and bias.
    ///
    /// # Panics
    /// Where a buffer's length or a bias disagrees with the chain.
    pub fn fused_inference<E: GpuFloat>(
        &self,
        chain: &FusedChain,
        x: &GpuBuffer<E, R>,
        params: &[FusedParams<'_, E, R>],
    ) -> GpuBuffer<E, R> {
        self.fused_forward(chain, x, params, false).0
    }

    /// `chain(x)` as [`fused_inference`](Self::fused_inference), keeping
    /// what [`fused_backward`](Self::fused_backward) needs.
    pub fn fused_training<E: GpuFloat>(
        &self,
        chain: &FusedChain,
        x: &GpuBuffer<E, R>,
        params: &[FusedParams<'_, E, R>],
    ) -> (GpuBuffer<E, R>, FusedKept<E, R>) {
        let (y, kept) = self.fused_forward(chain, x, params, true);
        (y, kept.expect("the training pass keeps its values"))
    }

    fn fused_forward<E: GpuFloat>(
        &self,
        chain: &FusedChain,
        x: &GpuBuffer<E, R>,
        params: &[FusedParams<'_, E, R>],
        keep: bool,
    ) -> (GpuBuffer<E, R>, Option<FusedKept<E, R>>) {
        let n = Self::fused_batch(chain, x, params.iter().map(|(w, _)| w.len()));
        for (l, ((_, b), layer)) in params.iter().zip(chain.layers()).enumerate() {
            assert_eq!(
                b.is_some(),
                layer.bias,
                "fused chain: layer {l}'s bias and the chain disagree"
            );
            if let Some(b) = b {
                same_len("fused chain: bias", b.len(), layer.width as usize);
            }
        }
        let y = self.alloc::<E>(count("fused chain", chain.output() as usize, n) as usize);
        let kept_buffer = |per_column: u32| {
            (keep && per_column > 0)
                .then(|| self.alloc::<E>(count("fused chain", per_column as usize, n) as usize))
        };
        let kept = keep.then(|| FusedKept {
            outputs: kept_buffer(chain.kept_outputs()),
            slopes: kept_buffer(chain.kept_slopes()),
            batch: n,
        });
        if n == 0 {
            return (y, kept);
        }
        let mut args = vec![x.arg(), y.arg()];
        for (w, b) in params {
            args.push(w.arg());
            // An absent bias is never read.
            args.push(b.unwrap_or(w).arg());
        }
        if let Some(kept) = &kept {
            args.push(kept.outputs.as_ref().unwrap_or(x).arg());
            args.push(kept.slopes.as_ref().unwrap_or(x).arg());
        }
        args.push(Arg::U32(n as u32));
        let pass = if keep {
            FusedPass::Training
        } else {
            FusedPass::Inference
        };
        self.fused_launch::<E>(*chain, pass, n, &args);
        (y, kept)
    }

    /// The backward pass of the chain run by
    /// [`fused_training`](Self::fused_training) on `x`: from the output's
    /// cotangent `dy`, the input's, and each layer's gradients (summed
    /// over the batch in a fixed order, so the same on every run).
    ///
    /// # Panics
    /// Where a buffer's length disagrees with the chain or the batch.
    pub fn fused_backward<E: GpuFloat>(
        &self,
        chain: &FusedChain,
        x: &GpuBuffer<E, R>,
        weights: &[&GpuBuffer<E, R>],
        kept: &FusedKept<E, R>,
        dy: &GpuBuffer<E, R>,
    ) -> (GpuBuffer<E, R>, Vec<FusedGradient<E, R>>) {
        let n = Self::fused_batch(chain, x, weights.iter().map(|w| w.len()));
        assert_eq!(kept.batch, n, "fused chain: kept values of another batch");
        // Kept values may come from outside (`Kernels::dense_chain_backward`
        // takes them): each is there, of its widths per column, exactly
        // where the chain has some.
        for (what, buffer, per_column) in [
            ("outputs", &kept.outputs, chain.kept_outputs()),
            ("slopes", &kept.slopes, chain.kept_slopes()),
        ] {
            match buffer {
                Some(b) => same_len(
                    &format!("fused chain: kept {what}"),
                    b.len(),
                    per_column as usize * n,
                ),
                None => assert_eq!(
                    per_column, 0,
                    "fused chain: no kept {what} for a chain that keeps some"
                ),
            }
        }
        same_len("fused chain: dy", dy.len(), chain.output() as usize * n);
        let dx = self.alloc::<E>(x.len());
        let geometry = FusedGeometry::of(E::PRECISION.bytes() as u32);
        let blocks = geometry.blocks(n as u32) as usize;
        let parts: Vec<FusedGradient<E, R>> = chain
            .layers()
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let (o, i) = (layer.width as usize, chain.inputs_of(l) as usize);
                let dw = self.alloc::<E>(count("fused chain", o * i, blocks) as usize);
                let db = layer
                    .bias
                    .then(|| self.alloc::<E>(count("fused chain", o, blocks) as usize));
                (dw, db)
            })
            .collect();
        if n == 0 {
            let grads = chain
                .layers()
                .iter()
                .enumerate()
                .map(|(l, layer)| {
                    let (o, i) = (layer.width as usize, chain.inputs_of(l) as usize);
                    let zeros =
                        |len| typeflux_core::Device::full::<(usize,), E>(self, len, E::zero());
                    (zeros(o * i), layer.bias.then(|| zeros(o)))
                })
                .collect();
            return (dx, grads);
        }
        let mut args = vec![x.arg(), dy.arg()];
        args.extend(weights.iter().map(|w| w.arg()));
        args.push(kept.outputs.as_ref().unwrap_or(x).arg());
        args.push(kept.slopes.as_ref().unwrap_or(x).arg());
        args.push(dx.arg());
        for (dw, db) in &parts {
            args.push(dw.arg());
            args.push(db.as_ref().unwrap_or(dw).arg());
        }
        args.push(Arg::U32(n as u32));
        self.fused_launch::<E>(*chain, FusedPass::Backward, n, &args);
        let sum = |part: &GpuBuffer<E, R>, rows: usize| {
            self.reduce_axis::<(usize, usize), E>(Reduction::Sum, part, rows, blocks, 1)
        };
        let grads = parts
            .iter()
            .zip(chain.layers().iter().enumerate())
            .map(|((dw, db), (l, layer))| {
                let (o, i) = (layer.width as usize, chain.inputs_of(l) as usize);
                (sum(dw, o * i), db.as_ref().map(|db| sum(db, o)))
            })
            .collect();
        (dx, grads)
    }

    /// Launches a pass of a fused chain over a batch of `n > 0`.
    fn fused_launch<E: GpuFloat>(
        &self,
        chain: FusedChain,
        pass: FusedPass,
        n: usize,
        args: &[Arg<'_, R::Memory>],
    ) {
        let geometry = FusedGeometry::of(E::PRECISION.bytes() as u32);
        let blocks = geometry.blocks(n as u32);
        let products = match E::PRECISION {
            Precision::F32 => self.fused_products(),
            Precision::F64 => FusedProducts::Exact,
        };
        // Every buffer in `args` was checked against the chain's widths and
        // the batch `n` (x, y, dy and dx hold `width · n` elements, each
        // weight `O · I`, each bias `O`, the kept values their widths per
        // column, each gradient part one per block); the kernel stores only
        // to columns below `n` and to its own block's part, and never
        // touches an absent bias or slope.
        // SAFETY: by the above, every access of the launch is in bounds.
        unsafe {
            self.launch(
                Spec::Fused {
                    chain,
                    pass,
                    products,
                },
                E::PRECISION,
                [blocks, 1, 1],
                [geometry.threads, 1, 1],
                args,
            )
        }
    }
}
