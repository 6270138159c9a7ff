//! A `Chain` of small `Dense` layers on the GPU, run as one fused kernel.

use crate::compute::GpuFloat;
use crate::device::Gpu;
use crate::kernels::{FusedChain, FusedLayer};
use crate::runtime::Runtime;
use typeflux_core::activation::{Activation, ActivationKind};
use typeflux_core::{Const, Tensor};
use typeflux_nn::{Chain, Dense, Layer};

/// A model the GPU can run as one fused kernel ([`kernels::fused`]): a
/// [`Chain`] of 1 to 8 [`Dense`] layers on a [`Gpu`], each with an
/// activation of the elementwise table or none, with or without bias.
/// Whether it fuses is decided by its types (the widths, the
/// activations) and its bias: [`fused_chain`](Self::fused_chain).
///
/// [`Layer::forward`], `gradient` and `train` take the fused kernels by
/// themselves for such a chain (see the crate's docs, "Whole chains in one
/// kernel"); this trait says whether a chain qualifies, and runs the
/// inference pass whatever the device's setting
/// ([`Gpu::set_fused_chains`]).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_gpu::FusedModel;
/// use typeflux_nn::prelude::*;
///
/// fn predict<R: typeflux_gpu::Runtime>(
///     model: &Chain<(Dense<2, 64, Tanh, f32, typeflux_gpu::Gpu<R>>, Dense<64, 1, Identity, f32, typeflux_gpu::Gpu<R>>)>,
///     x: &Batch<2, f32, typeflux_gpu::Gpu<R>>,
/// ) -> Batch<1, f32, typeflux_gpu::Gpu<R>> {
///     // One kernel for the whole chain, as `model.forward(x)` runs it too.
///     model.forward_fused(x)
/// }
/// ```
///
/// [`kernels::fused`]: crate::kernels::fused
pub trait FusedModel<E: GpuFloat, R: Runtime> {
    /// A batch of the first layer's inputs.
    type Input;
    /// A batch of the last layer's outputs.
    type Output;

    /// The chain the fused kernels are written for, or `None` where a
    /// layer does not qualify (wider than
    /// [`MAX_FUSED_WIDTH`](crate::kernels::fused::MAX_FUSED_WIDTH), or an
    /// activation that is not an operation of the table).
    fn fused_chain(&self) -> Option<FusedChain>;

    /// [`forward`](Layer::forward) in one kernel where the chain fuses
    /// ([`fused_chain`](Self::fused_chain)), even where the device's
    /// setting is off, and layer by layer otherwise. The two agree up to
    /// rounding: the fused kernel sums each product in the order of its
    /// inner index with `fma`.
    fn forward_fused(&self, x: &Self::Input) -> Self::Output;
}

/// A layer of `width` outputs as the fused kernels take it.
fn layer(width: usize, bias: bool, activation: ActivationKind) -> Option<FusedLayer> {
    let activation = match activation {
        ActivationKind::Identity => None,
        ActivationKind::Table(op) => Some(op),
        ActivationKind::Other => return None,
    };
    Some(FusedLayer {
        width: u32::try_from(width).ok()?,
        bias,
        activation,
    })
}

/// `FusedModel` for chains of the listed layers: `[I O A i]` is member `i`,
/// a `Dense<I, O, A>`.
macro_rules! fused_model {
    ($D0:ident, $Last:ident; $([$I:ident $O:ident $A:ident $i:tt])+) => {
        impl<E, R, const $D0: usize, $(const $O: usize, $A,)+> FusedModel<E, R>
            for Chain<($(Dense<$I, $O, $A, E, Gpu<R>>,)+)>
        where
            E: GpuFloat,
            R: Runtime,
            $($A: Activation,)+
            for<'a> Self: Layer<
                &'a Tensor<(Const<$D0>, usize), E, Gpu<R>>,
                Output = Tensor<(Const<$Last>, usize), E, Gpu<R>>,
            >,
        {
            type Input = Tensor<(Const<$D0>, usize), E, Gpu<R>>;
            type Output = Tensor<(Const<$Last>, usize), E, Gpu<R>>;

            fn fused_chain(&self) -> Option<FusedChain> {
                let layers = [$(layer(
                    $O,
                    self.0.$i.bias.is_some(),
                    self.0.$i.activation.kind(),
                )?,)+];
                FusedChain::new(u32::try_from($D0).ok()?, &layers)
            }

            fn forward_fused(&self, x: &Self::Input) -> Self::Output {
                let Some(chain) = self.fused_chain() else {
                    return Layer::forward(self, x);
                };
                let params = [$((
                    self.0.$i.weight.buffer(),
                    self.0.$i.bias.as_ref().map(Tensor::buffer),
                ),)+];
                let y = x.device().fused_inference(&chain, x.buffer(), &params);
                Tensor::from_parts((Const, x.shape().1), y, x.device().clone())
            }
        }
    };
}

fused_model!(D0, D1; [D0 D1 A1 0]);
fused_model!(D0, D2; [D0 D1 A1 0] [D1 D2 A2 1]);
fused_model!(D0, D3; [D0 D1 A1 0] [D1 D2 A2 1] [D2 D3 A3 2]);
fused_model!(D0, D4; [D0 D1 A1 0] [D1 D2 A2 1] [D2 D3 A3 2] [D3 D4 A4 3]);
fused_model!(D0, D5; [D0 D1 A1 0] [D1 D2 A2 1] [D2 D3 A3 2] [D3 D4 A4 3] [D4 D5 A5 4]);
fused_model!(
    D0, D6;
    [D0 D1 A1 0] [D1 D2 A2 1] [D2 D3 A3 2] [D3 D4 A4 3] [D4 D5 A5 4] [D5 D6 A6 5]
);
fused_model!(
    D0, D7;
    [D0 D1 A1 0] [D1 D2 A2 1] [D2 D3 A3 2] [D3 D4 A4 3] [D4 D5 A5 4] [D5 D6 A6 5]
    [D6 D7 A7 6]
);
fused_model!(
    D0, D8;
    [D0 D1 A1 0] [D1 D2 A2 1] [D2 D3 A3 2] [D3 D4 A4 3] [D4 D5 A5 4] [D5 D6 A6 5]
    [D6 D7 A7 6] [D7 D8 A8 7]
);
