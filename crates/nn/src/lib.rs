//! Layers whose feature sizes are types: `Dense`, activations, `Chain`,
//! losses, and their pullbacks.
//!
//! `typeflux-nn` is Flux's "Building Layers" and "Stacking It Up" in Rust. A
//! model is a value: a [`Dense`] layer, an activation, a [`Chain`] of them.
//! Its sizes are part of its type, so a model whose layers do not fit together
//! does not compile, and running it costs what the arithmetic costs.
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
//!
//! # Activations
//! Activations ([`activation`]) are zero-sized values with Flux's names:
//! `identity`, `sigmoid`, `relu`, `leakyrelu`, `elu`, `gelu`, `swish`,
//! `softplus`, `tanh`, `softmax` and `logsoftmax` (the last two act on each
//! column). Each one is a layer too, and each has its derivative, in
//! forms that stay finite for any finite input:
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::activation::Elementwise;
//! use typeflux_nn::prelude::*;
//!
//! assert_eq!(sigmoid.apply(0.0), 0.5);
//! assert_eq!(sigmoid.apply(-1.0e4f32), 0.0); // no overflow in e^(1e4)
//!
//! let p = softmax.forward(Vector::<3>::from_array([1.0e4, 0.0, -1.0e4]));
//! assert_eq!(p.to_vec(), vec![1.0, 0.0, 0.0]);
//! ```
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
//! feed four inputs, and the compiler says so: "`Dense<4, 2>` cannot take
//! `Tensor<(Const<5>,)>` as its input".
//! ```compile_fail
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let model = Chain((Dense::<10, 5>::new(sigmoid), Dense::<4, 2>::new(identity)));
//! let y = model.forward(Vector::<10>::ones());
//! ```
//! Closures run forwards only: they have no derivative rule, so a chain with
//! one has no pullback.
//! ```compile_fail
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let model = Chain((Dense::<3, 3>::new(identity), |x: Vector<3>| x * 2.0));
//! let (y, back) = model.pullback(Vector::<3>::ones());
//! ```
//! A parameter-free function that must be trained through is written as a
//! unit struct implementing [`Layer`] and [`Differentiable`], as the
//! activations are.
//!
//! # Pullbacks and gradients
//! [`Differentiable::pullback`] runs the model forwards and returns the output
//! with a closure that runs it backwards. The closure takes the gradient of a
//! loss with respect to the output and returns the gradient with respect to
//! the model, as a model of the same type (Flux's explicit mode), and with
//! respect to the input. A borrowed input is treated as data: its gradient is
//! `()`, and the work for it is skipped.
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let model = Chain((Dense::<4, 3>::new(tanh), Dense::<3, 2>::new(identity)));
//! let x = Batch::<4>::ones_with((Const, 8));
//! let target = Batch::<2>::zeros_with((Const, 8));
//!
//! let (y, back) = model.pullback(&x);
//! let (loss, dy) = mse.value_and_gradient(&y, &target);
//! let (grad, ()) = back(dy);
//!
//! // `grad` is a `Chain` of two `Dense`: one gradient per parameter.
//! let Chain((first, second)) = &grad;
//! assert_eq!(first.weight.shape(), model.0.0.weight.shape());
//! assert!(second.bias.is_some());
//!
//! // A step of gradient descent, parameter by parameter.
//! let mut model = model;
//! model.0.0.weight.axpy(-0.1, &first.weight);
//! model.0.1.weight.axpy(-0.1, &second.weight);
//! assert!(mse.value(&model.forward(&x), &target) < loss);
//! ```
//! Optimisers do the same for every parameter with one walk over the model
//! and its gradient side by side (`typeflux_core::functor::walk`): `Dense`
//! and the activations derive `Functor`, and a chain is walked as its tuple,
//! so the first layer's weight is called `0.weight`.
//!
//! Pullbacks compose at compile time: a chain's pullback is one closure
//! holding its members' closures. For the seed's model on one `Vector<10>` of
//! `f32`, forward and backward allocate nothing.
//!
//! # Losses
//! [`loss`] has Flux's losses with Flux's meanings, each with its gradient
//! with respect to the prediction: [`mse`](loss::mse), [`mae`](loss::mae),
//! [`huber_loss`](loss::huber_loss), [`crossentropy`](loss::crossentropy),
//! [`logitcrossentropy`](loss::logitcrossentropy),
//! [`binarycrossentropy`](loss::binarycrossentropy) and
//! [`logitbinarycrossentropy`](loss::logitbinarycrossentropy).
//!
//! # Training and saving
//! [`optim`] has Optimisers.jl's rules ([`Descent`], [`Momentum`],
//! [`Nesterov`], [`Adam`], [`AdamW`]): `rule.setup(&model)` builds their
//! state by one walk over the model, and `opt.update(&mut model, &grad)`
//! takes a step. [`train()`] is Flux's `train!` over one epoch, and
//! [`train_epochs`] runs several with a report after each. [`io`] saves a
//! model's weights as a safetensors file named by the model's structure
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
//! let first = train(&mut model, &mut opt, [(&x, &y)], mse);
//! for _ in 0..100 {
//!     train(&mut model, &mut opt, [(&x, &y)], mse);
//! }
//! assert!(mse.value(&model.forward(&x), &y) < first);
//!
//! let bytes = io::to_bytes(&model).unwrap();
//! let mut copy = Chain((Dense::<2, 4>::new(tanh), Dense::<4, 1>::new(identity)));
//! io::from_bytes(&mut copy, &bytes).unwrap();
//! assert_eq!(copy.forward(&x), model.forward(&x));
//! ```
//!
//! Plain descent can also be folded into the backward pass:
//! [`Descent::step`] runs forward, the loss, and backward, stepping each
//! parameter as soon as its gradient is known ([`Descend`]), so no gradient is
//! held for the whole model and each weight is read and written once.
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//! use typeflux_nn::Descent;
//!
//! let x = Batch::<2>::from_fn((Const, 8), |[i, j]| (i + j) as f32 / 8.0);
//! let y = Batch::<1>::from_fn((Const, 8), |[_, j]| j as f32 / 8.0);
//! let mut model = Chain((Dense::<2, 4>::new(tanh), Dense::<4, 1>::new(identity)));
//! let descent = Descent::new(0.1);
//! let step = |model: &mut _| descent.step(model, &x, |p| mse.value_and_gradient(&p, &y));
//! let first = step(&mut model);
//! for _ in 0..100 {
//!     step(&mut model);
//! }
//! assert!(mse.value(&model.forward(&x), &y) < first);
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
//! Layers are generic over the device too, the last type parameter. Small
//! models run fastest on the [`Stack`](typeflux_core::Stack) device, whose
//! static tensors are arrays of exactly their elements: the seed's chain on
//! one sample costs about what hand-written fixed-size arrays cost, with no
//! heap allocation. [`ToDevice`](typeflux_core::ToDevice) copies a model
//! (or a tensor) there, or a layer is built there directly
//! (`let d: Dense<10, 5, Sigmoid, f32, Stack> = Dense::new(sigmoid);`); the
//! device is part of the type, so the input moves too. Keep large layers on the `Cpu`: a `Dense<1024, 1024>` on the
//! `Stack` is a 4 MB value.
//! ```
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let model = Chain((Dense::<10, 5>::new(sigmoid), Dense::<5, 2>::new(identity), softmax));
//! let small = model.to_device(&Stack);
//! let (x, t) = (Vector::<10>::ones(), Vector::<2>::from_array([1.0, 0.0]));
//! let (xs, ts) = (x.to_device(&Stack), t.to_device(&Stack));
//!
//! let (y, back) = small.pullback(&xs);
//! let (loss, dy) = mse.value_and_gradient(&y, &ts);
//! let (grad, ()) = back(dy);
//! assert_eq!(loss, mse.value(&model.forward(&x), &t));  // the same kernels, the same numbers
//! assert_eq!(core::mem::size_of_val(&grad.0.1.weight), 10 * 4);
//! ```
#![warn(missing_docs)]
// A pullback returns its output with a closure, `(Y, impl FnOnce(..) -> ..)`,
// which no type alias can name on stable Rust.
#![allow(clippy::type_complexity)]

pub mod activation;
pub mod chain;
pub mod dense;
pub mod init;
pub mod io;
pub mod layer;
pub mod loss;
pub mod optim;
pub mod train;

pub use activation::Activation;
pub use chain::{Chain, compose};
pub use dense::{Dense, IntoBias};
pub use layer::{Descend, Differentiable, Layer};
pub use loss::{Aggregate, Loss};
pub use optim::{Adam, AdamW, Descent, Momentum, Nesterov, Optimiser, Rule, setup};
pub use train::{EpochReport, train, train_epochs};

/// The names most programs need: the layer traits, `Dense`, `Chain`, the
/// activations, the losses and the initialisers.
pub mod prelude {
    pub use crate::activation::{
        Activation, Elu, Gelu, Identity, LeakyRelu, LogSoftmax, Relu, Sigmoid, Softmax, Softplus,
        Swish, Tanh, elu, gelu, identity, leakyrelu, logsoftmax, relu, sigmoid, softmax, softplus,
        swish, tanh,
    };
    pub use crate::chain::{Chain, compose};
    pub use crate::dense::Dense;
    pub use crate::init::{glorot_normal, glorot_uniform, ones, randn, zeros};
    pub use crate::layer::{Descend, Differentiable, Layer};
    pub use crate::loss::{
        Aggregate, Loss, binarycrossentropy, crossentropy, huber_loss, logitbinarycrossentropy,
        logitcrossentropy, mae, mse,
    };
    pub use typeflux_core::{Host, Stack, ToDevice};
}
