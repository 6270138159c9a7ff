//! typeflux: automatic differentiation and neural networks where every feature
//! size is a type.
//!
//! This facade re-exports the workspace's crates; most programs need only
//! `use typeflux::prelude::*;`.
//!
//! | crate | what it holds |
//! |---|---|
//! | [`typeflux_core`] | dims, shapes, [`Tensor`], CPU kernels, functor traversal |
//! | [`ad`] | forward mode (dual numbers), reverse mode (pullbacks), mixed modes |
//! | [`nn`] | layers, `Chain`, activations, losses, optimisers, weight files |
//! | `gpu` | the GPU device (the default feature `gpu`) |
//!
//! ```
//! use typeflux::prelude::*;
//!
//! fn f<T: Real>(x: T) -> T {
//!     x * x * 3.0 + x * 2.0 + 1.0
//! }
//! fn df<T: Real>(x: T) -> T {
//!     derivative(f, x)
//! }
//! assert_eq!(df(2.0), 14.0);
//! assert_eq!(derivative(df, 2.0), 6.0);
//! ```
//!
//! The prelude also holds what training needs: layers, losses, `model` and
//! `gradient`, the optimisers (`OptimiserChain` and `ClipNorm` among them),
//! `train`, and the walks over a model's tensors (`fmap_elements`,
//! `named_tensors`, `norm`).
//! ```
//! use typeflux::prelude::*;
//!
//! let mut chain = Chain((Dense::<2, 3>::new(tanh), Dense::<3, 1>::new(identity)));
//! let (x, y) = (Batch::<2>::ones_with((Const, 4)), Batch::<1>::zeros_with((Const, 4)));
//! let grad = gradient(|m| mse(m.forward(&x), &y), model(&chain));
//! println!("gradient norm {}", norm(&grad));
//! for t in named_tensors::<f32>(&grad) {
//!     println!("{}: {:?}", t.name, t.shape); // 0.0.weight: [3, 2], ...
//! }
//! let mut opt = OptimiserChain((ClipNorm::new(1.0), Adam::default())).setup(&chain);
//! opt.update(&mut chain, &grad);
//! ```
//!
//! # Mode in the name
//! [`gradient`](prelude::gradient) is reverse mode, for tensors and
//! models; [`forward_gradient`](prelude::forward_gradient) and
//! [`forward_hessian`](prelude::forward_hessian) are forward mode, on
//! nalgebra's fixed-size vectors; [`derivative`](prelude::derivative)
//! is forward mode, as it is for one variable.
//!
//! # Threads
//! Large products run on rayon's thread pool: [`set_threads`] sizes it from
//! code (as `RAYON_NUM_THREADS` does), [`with_threads`] runs a closure with
//! a pool of its own.
//!
//! # The crates typeflux builds on
//! [`nalgebra`](mod@nalgebra), [`num_dual`] and [`rand`](mod@rand) are
//! re-exported, so a program uses the versions typeflux was built with
//! without naming them in its `Cargo.toml`. nalgebra's `vector!` and
//! `matrix!` expand to paths that start with `nalgebra`, which
//! `use typeflux::nalgebra;` puts in scope.
//! ```
//! use typeflux::nalgebra::{self, vector};
//! use typeflux::num_dual::Dual64;
//! use typeflux::prelude::*;
//! use typeflux::rand::{SeedableRng, rngs::StdRng};
//!
//! let layer = Dense::<2, 1>::new(identity).init_with(&mut StdRng::seed_from_u64(3), randn);
//! let (v, g) = forward_gradient(|x| x[0] * x[1], vector![2.0, 5.0]);
//! assert_eq!((v, g), (10.0, vector![5.0, 2.0]));
//! let x = Dual64::new(3.0, 1.0); // 3, with derivative 1
//! assert_eq!((x * x).eps, 6.0);
//! ```
#![warn(missing_docs)]

pub use typeflux_ad as ad;
pub use typeflux_core::*;
#[cfg(feature = "gpu")]
pub use typeflux_gpu as gpu;
pub use typeflux_nn as nn;

/// The names most programs need: tensors, derivatives, layers, losses,
/// optimisers, training loops and traversal.
pub mod prelude {
    pub use typeflux_ad::reverse::model;
    pub use typeflux_ad::{
        DualNum, Grads, Traced, Var, derivative, forward_diaghessian, forward_gradient,
        forward_hessian, gradient, jacobian, lift, params, partial, pullback, second_derivative,
        second_partial, third_derivative, value_and_derivative, value_and_gradient,
    };
    pub use typeflux_core::functor::{
        Functor, NamedTensor, children, clip_norm, deep_clone, destructure, fcollect, fmap,
        fmap_elements, fmapstructure, functor, named_tensors, norm, set_tensor_at, tensor_at,
    };
    pub use typeflux_core::prelude::*;
    pub use typeflux_nn::prelude::*;
    pub use typeflux_nn::{
        AMSGrad, AccumGrad, AdaBelief, AdaDelta, AdaGrad, AdaMax, Adam, AdamW, BatchNorm, ClipGrad,
        ClipNorm, Descent, Dropout, EarlyStopping, EpochReport, Lion, Momentum, NAdam, Nesterov,
        OAdam, Optimiser, OptimiserChain, RAdam, RMSProp, Rprop, Rule, SignDecay, WeightDecay,
        setup, train, train_epochs,
    };
}

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "gpu"))]
pub struct ReadmeDoctests;
