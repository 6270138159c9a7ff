//! placeholder
#![warn(missing_docs)]

pub mod activation;
pub mod chain;
pub mod dense;
pub mod init;
pub mod layer;
pub mod loss;

pub use activation::Activation;
pub use chain::{Chain, compose};
pub use dense::{Dense, IntoBias};
pub use layer::{Differentiable, Layer};
pub use loss::{Aggregate, Loss};

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
    pub use crate::layer::{Differentiable, Layer};
    pub use crate::loss::{
        Aggregate, Loss, binarycrossentropy, crossentropy, huber_loss, logitbinarycrossentropy,
        logitcrossentropy, mae, mse,
    };
}
