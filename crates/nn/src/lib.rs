//! Layers whose feature sizes are types: `Dense`, activations, `Chain`,
//! Flux's common layers, losses, optimisers and weight files, all
//! differentiated by typeflux-ad.
//!
//! `typeflux-nn` is Flux's "Building Layers" and "Stacking It Up" in Rust. A
//! model is a value: a [`Dense`] layer, an activation, a [`Chain`] of them,
//! a layer of your own. Its sizes are part of its type, so a model whose
//! layers do not fit together does not compile, and running it costs what
//! the arithmetic costs.
//!
//! # A layer
//! `Dense::<10, 5>::new(sigmoid)` is Flux's `Dense(10 => 5, σ)`: a 5 × 10
//! weight drawn with `glorot_uniform`, a bias of zeros, and an activation.
//! It maps a vector of 10 features, or 10 features × a batch, to 5 features:
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let layer = Dense::<10, 5>::new(sigmoid);
//! let y: Vector<5> = layer.forward(Vector::<10>::ones());
//! assert!(y.iter().all(|&p| 0.0 < p && p < 1.0));
//!
//! let batch = Batch::<10>::zeros_with((Const, 32)); // 32 samples, a runtime size
//! let y = layer.forward(&batch);
//! assert_eq!(y.shape(), (Const::<5>, 32));
//! ```
//! The keywords of Flux's constructor are methods: `init` (any function of a
//! random generator, see [`init`]) and `bias` (`false`, `true`, or a vector).
//! Flux's own check, `Dense(10 => 2, identity, init = ones)` mapping the
//! columns `ones(10)` and `2·ones(10)` to `[10, 10]` and `[20, 20]`:
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let layer = Dense::<10, 2>::new(identity).init(ones);
//! let x = Batch::<10>::from_fn((Const, 2), |[_, column]| (column + 1) as f32);
//! assert_eq!(layer.forward(&x).to_vec(), vec![10.0, 10.0, 20.0, 20.0]);
//!
//! let affine = Dense::<3, 1>::new(identity).bias(false).init(ones); // Affine(3 => 1, bias=false, init=ones)
//! assert!(affine.bias.is_none());
//! ```
//! Random generators are rand's, re-exported as [`rand`](mod@rand), so that
//! a program seeds them with the version typeflux uses:
//! ```
//! use typeflux_nn::prelude::*;
//! use typeflux_nn::rand::{SeedableRng, rngs::StdRng};
//!
//! let layer = Dense::<3, 2>::new(relu).init_with(&mut StdRng::seed_from_u64(1), randn);
//! ```
//!
//! # Activations
//! Activations ([`activation`]) are zero-sized values with Flux's names:
//! `identity`, `sigmoid`, `relu`, `leakyrelu`, `elu`, `gelu`, `swish`,
//! `softplus`, `tanh`, `softmax` and `logsoftmax` (the last two act on each
//! column). Each is a layer too, and each differentiates by the rule its
//! one declaration in core's table gives it.
//!
//! # Stacking it up
//! [`Chain`] applies its members in order; a member is a layer, an
//! activation, another chain, or any function or closure. The seed's model:
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let model = Chain((Dense::<10, 5>::new(sigmoid), Dense::<5, 2>::new(identity), softmax));
//! let y = model.forward(&Batch::<10>::ones_with((Const, 4)));
//! for column in y.columns() {
//!     assert!((column.iter().sum::<f32>() - 1.0).abs() < 1e-6);
//! }
//!
//! // Flux's `Chain(x -> x^2, x -> x+1)(5) == 26`.
//! assert_eq!(Chain((|x| x * x, |x| x + 1)).forward(5), 26);
//! ```
//! [`compose`] is Flux's `∘`: `compose(outer, inner)` runs `inner` first.
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let m = compose(Dense::<5, 2>::new(identity), Dense::<10, 5>::new(sigmoid)); // Dense(5 => 2) ∘ Dense(10 => 5, σ)
//! let y: Vector<2> = m.forward(Vector::<10>::ones());
//! ```
//!
//! # What the types forbid
//! Each member's output must be the next member's input. Five outputs cannot
//! feed four inputs, and the compiler says so, naming the member by its type
//! and the size it was given: "`Dense<4, 2>` cannot take
//! `Traced<Tensor<(Const<5>,)>, Hole>` as its input" (a member after the
//! first receives its input traced).
//! ```compile_fail
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let model = Chain((Dense::<10, 5>::new(sigmoid), Dense::<4, 2>::new(identity)));
//! let y = model.forward(Vector::<10>::ones());
//! ```
//!
//! # Gradients of models
//! There is one reverse mode, typeflux-ad's, and every layer, chain and
//! loss is written on it: Flux's `gradient(m -> loss(m(x), y), model)` is
//! [`gradient`](typeflux_ad::reverse::gradient) of a closure of the model.
//! The closure receives the model with its parameters traced, runs it as it
//! would run the model, and the gradient comes back as a value of the
//! model's own type (Flux's explicit mode): a `Chain` of `Dense` layers
//! whose `weight` and `bias` hold the gradients.
//! ```
//! use typeflux_ad::reverse::{gradient, model, value_and_gradient};
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let chain = Chain((Dense::<4, 3>::new(tanh), Dense::<3, 2>::new(identity)));
//! let x = Batch::<4>::from_fn((Const, 8), |[i, j]| (i + j) as f32 / 8.0);
//! let y = Batch::<2>::from_fn((Const, 8), |[i, j]| f32::from(u8::from(i == j % 2)));
//!
//! let g = gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&chain));
//! assert_eq!(g.0.0.weight.shape(), chain.0.0.weight.shape());
//!
//! // With respect to the model and the input together:
//! let (l, (gm, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &y), (model(&chain), &x));
//! assert_eq!(gx.shape(), x.shape());
//!
//! // Any loss: a weight penalty added to the data term.
//! let g = gradient(
//!     |m| mse(m.forward(&x), &y) + m.0.0.weight.square().sum() * 1e-4,
//!     model(&chain),
//! );
//! ```
//! A chain adds one node to the traced computation however many members it
//! has; its members' backward passes run side by side.
//!
//! # Losses
//! [`loss`] has every loss of Flux with Flux's meanings and keywords
//! (`agg`, `eps`, `delta`, `gamma`, `beta`, `margin`, `smooth`):
//! [`mse`](loss::mse), [`mae`](loss::mae), [`msle`](loss::msle),
//! [`huber_loss`](loss::huber_loss), [`poisson_loss`](loss::poisson_loss),
//! [`crossentropy`](loss::crossentropy),
//! [`logitcrossentropy`](loss::logitcrossentropy),
//! [`kldivergence`](loss::kldivergence), [`focal_loss`](loss::focal_loss),
//! [`binarycrossentropy`](loss::binarycrossentropy),
//! [`logitbinarycrossentropy`](loss::logitbinarycrossentropy),
//! [`binary_focal_loss`](loss::binary_focal_loss),
//! [`hinge_loss`](loss::hinge_loss),
//! [`squared_hinge_loss`](loss::squared_hinge_loss),
//! [`dice_coeff_loss`](loss::dice_coeff_loss),
//! [`tversky_loss`](loss::tversky_loss) and
//! [`siamese_contrastive_loss`](loss::siamese_contrastive_loss), with
//! [`label_smoothing`](loss::label_smoothing), [`xlogx`](loss::xlogx) and
//! [`xlogy`](loss::xlogy). Each loss takes a plain or a traced prediction.
//!
//! # Training and saving
//! [`optim`] has Optimisers.jl's rules ([`Descent`], [`Momentum`],
//! [`Adam`], [`AdamW`], [`RMSProp`], [`Lion`] and the others), composed by
//! [`OptimiserChain`] with [`ClipGrad`], [`ClipNorm`], [`WeightDecay`] or
//! [`AccumGrad`]: `rule.setup(&model)` builds their state by one walk over
//! the model, and `opt.update(&mut model, &grad)` takes a step; parts of
//! the model can be frozen, and the learning rate follows a
//! [`schedule`](optim::schedule). [`train()`] is Flux's `train!` over one epoch, with any
//! loss closure of the traced model, and [`train_epochs`] runs several with
//! a report after each; both stop at a loss that is not finite, naming the
//! batch ([`TrainError`]), and [`EarlyStopping`] ends training when a
//! validation score stops improving. [`activations`] returns the output of
//! every member of a chain, as Flux's `activations`. [`io`] saves a model's
//! weights as a safetensors file named by the model's structure
//! (`0.weight`, `0.bias`, ...) and loads them back, all or nothing.
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//! use typeflux_nn::{Adam, Rule, io, train};
//!
//! let x = Batch::<2>::from_fn((Const, 8), |[i, j]| (i + j) as f32 / 8.0);
//! let y = Batch::<1>::from_fn((Const, 8), |[_, j]| j as f32 / 8.0);
//! let mut model = Chain((Dense::<2, 4>::new(tanh), Dense::<4, 1>::new(identity)));
//! let mut opt = Adam::new(0.01).setup(&model);
//! let first = train(&mut model, &mut opt, [(&x, &y)], |m, x, y| mse(m.forward(x), y)).unwrap();
//! for _ in 0..100 {
//!     train(&mut model, &mut opt, [(&x, &y)], |m, x, y| mse(m.forward(x), y)).unwrap();
//! }
//! assert!(mse(model.forward(&x), &y).item() < first);
//!
//! let bytes = io::to_bytes(&model).unwrap();
//! let mut copy = Chain((Dense::<2, 4>::new(tanh), Dense::<4, 1>::new(identity)));
//! io::from_bytes(&mut copy, &bytes).unwrap();
//! assert_eq!(copy.forward(&x), model.forward(&x));
//! ```
//!
//! # Tied layers and weights
//! One layer used at several places (Flux's `Chain(m, m)`) is a [`Tied`]
//! handle and its clones. It is one parameter: its gradient is the sum of
//! its places', an optimiser steps it once, a weight file holds it once, and
//! `fmap` keeps the tie. A tensor can be tied too, as the weight of layers
//! generic over it ([`Dense::with_weight`], [`Embedding::with_weight`]). See
//! [`tied`] for the details.
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//! use typeflux_nn::{Descent, Rule, io, train};
//!
//! let shared = Tied::new(Dense::<3, 3>::new(tanh));
//! let mut model = Chain((shared.clone(), Dense::<3, 3>::new(relu), shared));
//! let x = Batch::<3>::from_fn((Const, 4), |[i, j]| (i + j) as f32 / 6.0);
//! let y = Batch::<3>::zeros_with((Const, 4));
//! let mut opt = Descent::new(0.1).setup(&model);
//! train(&mut model, &mut opt, [(&x, &y)], |m, x, y| mse(m.forward(x), y)).unwrap();
//! assert!(Tied::ptr_eq(&model.0.0, &model.0.2));
//!
//! // Saved once, as `0.weight` and `0.bias`; loading keeps the copy's tie.
//! let bytes = io::to_bytes(&model).unwrap();
//! let fresh = Tied::new(Dense::<3, 3>::new(tanh));
//! let mut copy = Chain((fresh.clone(), Dense::<3, 3>::new(relu), fresh));
//! io::from_bytes(&mut copy, &bytes).unwrap();
//! assert_eq!(copy.forward(&x), model.forward(&x));
//! assert!(Tied::ptr_eq(&copy.0.0, &copy.0.2));
//! ```
//!
//! # More layers
//! Flux's common layers, each differentiated by the same engine:
//! [`Embedding`] (indices to vectors), [`Scale`] (a diagonal `Dense`),
//! [`LayerNorm`] and [`BatchNorm`], [`Dropout`], [`SkipConnection`],
//! [`Parallel`] and [`Maxout`] (branches joined by a
//! [`Connection`]), [`Bilinear`], and a [`Chain`]
//! over a `Vec` of layers of one type ([`repeat`]). `Dropout` and
//! `BatchNorm` train inside a gradient of the model and test outside it,
//! unless [`trainmode`] or [`testmode`] says otherwise ([`mode`]);
//! `BatchNorm`'s running statistics are [`State`]: saved with the
//! weights, never trained.
//! ```
//! use typeflux_ad::reverse::{gradient, model};
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let block = SkipConnection::new(Chain((Dense::<4, 4>::new(relu), Dropout::new(0.1))), Plus);
//! let net = Chain((Embedding::<10, 4>::new(), block, LayerNorm::<4>::new(identity), Dense::<4, 2>::new(identity)));
//! let words = [3, 1, 4, 1, 5];
//! let y = Batch::<2>::zeros_with((Const, 5));
//! let g = gradient(|m| mse(m.forward(&words[..]), &y), model(&net));
//! assert_eq!(g.0.2.diag.scale.shape(), (Const::<4>,));
//! ```
//!
//! # Images
//! Batches of images are rank-4 tensors in Flux's layout, width × height ×
//! channels × batch. [`Conv`], [`CrossCor`], [`ConvTranspose`] and
//! [`DepthwiseConv`] (with `stride`, `pad`, `same_pad` and `dilation`),
//! [`MaxPool`], [`MeanPool`], [`GlobalMaxPool`],
//! [`GlobalMeanPool`] and [`Flatten`] compute their output sizes in the
//! type checker, so the `Dense` after a `Flatten` must take exactly the
//! features it produces:
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let net = Chain((
//!     Conv::<3, 3, 1, 8>::new(relu).same_pad(), // 8 × 8 × 8
//!     MaxPool::<2, 2>::new(),                   // 4 × 4 × 8
//!     Conv::<3, 3, 8, 4>::new(relu),            // 2 × 2 × 4
//!     Flatten::new(),                           // 16
//!     Dense::<16, 10>::new(identity),
//! ));
//! let x = Tensor::<(Const<8>, Const<8>, Const<1>, usize)>::zeros_with((Const, Const, Const, 5));
//! assert_eq!(net.forward(&x).shape(), (Const::<10>, 5));
//! ```
//!
//! # Elements
//! Layers are generic over the element: `f32` by default, `f64`, and dual
//! numbers, which run forward-mode derivatives through a whole model.
//! ```
//! use typeflux_core::num_dual::Dual64;
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let layer: Dense<2, 1, Tanh, Dual64> = Dense::new(tanh);
//! let layer = layer.init(ones).bias(false);                      // y = tanh(x₀ + x₁)
//! let x = Vector::<2, Dual64>::from_array([Dual64::new(0.5, 1.0), Dual64::from(0.0)]);
//! let y = layer.forward(x);
//! assert!((y[0].eps - (1.0 - 0.5f64.tanh().powi(2))).abs() < 1e-15); // ∂y/∂x₀
//! ```
//!
//! # Devices
//! Layers are generic over the device too. Small models run fastest on the
//! [`Stack`](typeflux_core::Stack) device, whose static tensors are arrays
//! of exactly their elements: the seed's chain on one sample costs about
//! what hand-written fixed-size arrays cost, with no heap allocation.
//! [`ToDevice`](typeflux_core::ToDevice) copies a model (or a tensor) there;
//! the device is part of the type, so the input moves too. Keep large
//! layers on the `Cpu`: a `Dense<1024, 1024>` on the `Stack` is a 4 MB value.
//! ```
//! use typeflux_ad::reverse::{gradient, model};
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let chain = Chain((Dense::<10, 5>::new(sigmoid), Dense::<5, 2>::new(identity), softmax));
//! let small = chain.to_device(&Stack);
//! let (x, t) = (Vector::<10>::ones(), Vector::<2>::from_array([1.0, 0.0]));
//! let (xs, ts) = (x.to_device(&Stack), t.to_device(&Stack));
//!
//! let g = gradient(|m| mse(m.forward(&xs), &ts), model(&small));
//! let g_cpu = gradient(|m| mse(m.forward(&x), &t), model(&chain));
//! assert_eq!(g.0.1.weight.to_device(&Cpu), g_cpu.0.1.weight); // the same kernels, the same numbers
//! assert_eq!(core::mem::size_of_val(&g.0.1.weight), 10 * 4);
//! ```
#![warn(missing_docs)]
// Traced values name their backward pass in their type.
#![allow(clippy::type_complexity)]

pub mod activation;
pub mod batchnorm;
pub mod bilinear;
pub mod chain;
pub mod connection;
pub mod conv;
pub mod dense;
pub mod dropout;
pub mod embedding;
pub mod fused;
pub mod init;
pub mod io;
pub mod isolate;
pub mod layer;
pub mod loss;
pub mod mode;
pub mod normalise;
pub mod optim;
pub mod pool;
pub mod repeat;
pub mod scale;
pub mod show;
pub mod state;
pub mod tied;
pub mod train;

pub use activation::Activation;
pub use batchnorm::BatchNorm;
pub use bilinear::Bilinear;
pub use chain::{Chain, activations, compose};
pub use connection::{Connection, Max, Maxout, Parallel, Plus, SkipConnection, Times, Vcat};
pub use conv::{Conv, ConvTranspose, CrossCor, DepthwiseConv};
pub use dense::{Dense, IntoBias};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use layer::{Lambda, Layer};
pub use loss::{Aggregate, Loss};
pub use mode::{Mode, automode, testmode, trainmode};
pub use normalise::LayerNorm;
pub use optim::{
    AMSGrad, AccumGrad, AdaBelief, AdaDelta, AdaGrad, AdaMax, Adam, AdamW, ClipGrad, ClipNorm,
    Descent, Lion, Momentum, NAdam, Nesterov, OAdam, Optimiser, OptimiserChain, RAdam, RMSProp,
    Rprop, Rule, SignDecay, WeightDecay, setup,
};
pub use pool::{AdaptiveMeanPool, Flatten, GlobalMaxPool, GlobalMeanPool, MaxPool, MeanPool};
pub use scale::Scale;
pub use show::{Summary, summary};
pub use state::State;
pub use tied::Tied;
pub use train::{
    EarlyStopping, EpochControl, EpochReport, TracedModel, TrainError, train, train_epochs,
};
pub use typeflux_core::rand;

/// The names most programs need: the layer traits, the layers, `Chain`,
/// the activations, the losses, the modes and the initialisers.
pub mod prelude {
    pub use crate::activation::{
        Activation, Elu, Gelu, Identity, LeakyRelu, LogSoftmax, Relu, Sigmoid, Softmax, Softplus,
        Swish, Tanh, elu, gelu, identity, leakyrelu, logsoftmax, relu, sigmoid, softmax, softplus,
        swish, tanh,
    };
    pub use crate::batchnorm::BatchNorm;
    pub use crate::bilinear::Bilinear;
    pub use crate::chain::{Chain, compose};
    pub use crate::connection::{Max, Maxout, Parallel, Plus, SkipConnection, Times, Vcat};
    pub use crate::conv::{Conv, ConvTranspose, CrossCor, DepthwiseConv};
    pub use crate::dense::Dense;
    pub use crate::dropout::Dropout;
    pub use crate::embedding::Embedding;
    pub use crate::init::{glorot_normal, glorot_uniform, ones, randn, zeros};
    pub use crate::layer::{Lambda, Layer};
    pub use crate::loss::{
        Aggregate, BinaryCrossEntropy, BinaryFocalLoss, CrossEntropy, DiceCoeffLoss, FocalLoss,
        HingeLoss, HuberLoss, KlDivergence, LabelSmoothing, LogitBinaryCrossEntropy,
        LogitCrossEntropy, Loss, Mae, Mse, Msle, PoissonLoss, SiameseContrastiveLoss,
        SquaredHingeLoss, TverskyLoss, binary_focal_loss, binarycrossentropy, crossentropy,
        dice_coeff_loss, focal_loss, hinge_loss, huber_loss, kldivergence, label_smoothing,
        logitbinarycrossentropy, logitcrossentropy, mae, mse, msle, poisson_loss,
        siamese_contrastive_loss, squared_hinge_loss, tversky_loss,
    };
    pub use crate::mode::{Mode, automode, testmode, trainmode};
    pub use crate::normalise::LayerNorm;
    pub use crate::pool::{
        AdaptiveMeanPool, Flatten, GlobalMaxPool, GlobalMeanPool, MaxPool, MeanPool,
    };
    pub use crate::scale::Scale;
    pub use crate::tied::Tied;
    pub use typeflux_core::ops::window::{Geometry, Pad, SamePad, Tiled};
    pub use typeflux_core::{Host, Stack, ToDevice};
}
