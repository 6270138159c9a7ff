//! The layer traits: a forward pass, and a pullback for the backward pass.

/// A model piece that maps an input `X` to an output: a [`Dense`](crate::Dense)
/// layer, an activation, a [`Chain`](crate::Chain), or any plain function or
/// closure `Fn(X) -> Y`.
///
/// A layer is implemented once per input type it accepts, so an input of the
/// wrong size is a compile error: a `Dense<10, 5>` is a
/// `Layer<Tensor<(Const<10>,)>>` and not a `Layer<Tensor<(Const<4>,)>>`.
///
/// Layers with parameters take their input either by value or by reference:
/// `model.forward(&x)` leaves the caller's batch where it is, and the output of
/// one layer moves into the next without a copy.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let double = |x: Vector<3>| x * 2.0;
/// assert_eq!(double.forward(Vector::<3>::ones()).to_vec(), vec![2.0; 3]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take `{X}` as its input",
    label = "this layer does not accept `{X}`",
    note = "a layer's input must have the feature size, element type and device the layer was \
            built for (`to_device` moves a tensor or a model); in a `Chain`, each member's output \
            is the next member's input, so neighbouring sizes must agree"
)]
pub trait Layer<X> {
    /// What the layer returns for an input `X`.
    type Output;

    /// Applies the layer: Flux's `m(x)`.
    fn forward(&self, x: X) -> Self::Output;
}

/// A layer that can also run backwards: its [`pullback`](Self::pullback)
/// returns the output together with a closure that maps the gradient of a
/// scalar loss with respect to the output to the gradients with respect to
/// the layer and to its input.
///
/// The gradient with respect to the layer is a value of the layer's own type,
/// as in Flux's explicit mode: a [`Dense`](crate::Dense) whose `weight` and
/// `bias` hold their gradients, a [`Chain`](crate::Chain) of such layers. An
/// optimiser walks the model and its gradient side by side, field by field.
///
/// The gradient with respect to the input depends on how the input was
/// passed. An owned tensor is a variable and gets its gradient (which a
/// [`Chain`](crate::Chain) needs to go on backwards); a borrowed tensor is data,
/// and its gradient is `()`: `model.pullback(&batch)` skips the work of
/// differentiating with respect to the batch.
///
/// Pullbacks compose at compile time: a chain's pullback is one closure that
/// holds its members' closures, with no tape and no boxing.
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let layer = Dense::<2, 1>::new(identity).init(ones); // y = x₀ + x₁
/// let x = Vector::<2>::from_array([3.0, 4.0]);
///
/// let (y, back) = layer.pullback(x.clone());
/// assert_eq!(y.to_vec(), vec![7.0]);
/// let (grad, dx) = back(Vector::<1>::ones()); // dL/dy = 1
/// assert_eq!(grad.weight.to_vec(), vec![3.0, 4.0]); // dL/dW = x
/// assert_eq!(dx.to_vec(), vec![1.0, 1.0]); // dL/dx = Wᵀ
///
/// let (_, back) = layer.pullback(&x); // borrowed: no input gradient
/// let (grad, ()) = back(Vector::<1>::ones());
/// assert_eq!(grad.bias.unwrap().to_vec(), vec![1.0]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take `{X}` as its input, or cannot be differentiated",
    label = "this layer cannot run backwards from `{X}`",
    note = "plain functions and closures run forwards only; a trainable model is built from \
            layers, activations and chains of them, whose neighbouring sizes must agree"
)]
pub trait Differentiable<X>: Layer<X> + Sized {
    /// The gradient with respect to the input: the input's own type for an
    /// owned tensor, `()` for a borrowed one.
    type InputGradient;

    /// The output, and the closure that pulls an output gradient back to the
    /// gradients with respect to the layer and to the input.
    fn pullback(
        &self,
        x: X,
    ) -> (
        Self::Output,
        impl FnOnce(Self::Output) -> (Self, Self::InputGradient),
    );
}

/// Plain functions and closures are layers without parameters, so that
/// `Chain((|x| x * x, |x| x + 1))` works as in Flux. They run forwards only:
/// a closure has no rule for its derivative, so a model that is trained is
/// built from types that implement [`Differentiable`].
///
/// A layer given the wrong input would otherwise be reported as "not a
/// closure"; `do_not_recommend` keeps the error on the layer and its input.
#[diagnostic::do_not_recommend]
impl<F, X, Y> Layer<X> for F
where
    F: Fn(X) -> Y,
{
    type Output = Y;

    #[inline(always)]
    fn forward(&self, x: X) -> Y {
        self(x)
    }
}

/// A differentiable layer that takes a step of plain gradient descent during
/// its own backward pass: every parameter `p` becomes `p − η · ∂L/∂p` as soon
/// as its gradient is known, so the gradient is never stored. A dense
/// layer's weight is updated by its weight-gradient product itself
/// (`W += −η · δ · xᵀ`, one pass over `W`), where
/// [`pullback`](Differentiable::pullback) followed by an optimiser writes
/// the gradient and then reads it again in a separate update.
///
/// The layers after this one and the loss come in as `rest`, which maps this
/// layer's output to its own result (the loss, say) and the gradient with
/// respect to that output. [`Descent::step`](crate::Descent::step) is the
/// way in for a whole model.
///
/// Implemented by [`Dense`](crate::Dense), the activations and
/// [`Chain`](crate::Chain)s of them. Other optimisers keep state per
/// parameter and go through [`pullback`](Differentiable::pullback) and
/// [`Optimiser::update`](crate::Optimiser::update).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let mut layer = Dense::<2, 1>::new(identity).init(ones); // y = x₀ + x₁
/// let x = Vector::<2>::from_array([3.0, 4.0]);
/// // Loss y itself: dL/dy = 1, so dL/dW = x and dL/db = 1.
/// let (y, dx) = layer.descend(x, 0.5, |y| (y.clone(), Vector::<1>::ones()));
/// assert_eq!(y.to_vec(), vec![7.0]);
/// assert_eq!(dx.to_vec(), vec![1.0, 1.0]); // with the weights before the step
/// assert_eq!(layer.weight.to_vec(), vec![1.0 - 1.5, 1.0 - 2.0]);
/// assert_eq!(layer.bias.unwrap().to_vec(), vec![-0.5]);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot take a descent step from `{X}`",
    label = "this model cannot fold descent into its backward pass from `{X}`",
    note = "`Descent::step` and `descend` need a model built from `Dense` layers, activations and \
            chains of them, whose neighbouring sizes agree; closures run forwards only, and other \
            layers train through `pullback` and an optimiser's `update`"
)]
pub trait Descend<X>: Differentiable<X> {
    /// Runs forward on `x`, hands the output to `rest`, pulls the gradient
    /// `rest` returns back through this layer while stepping its parameters
    /// with learning rate `eta`, and returns `rest`'s result with the
    /// gradient with respect to the input (computed with the parameters as
    /// they were before the step).
    fn descend<R>(
        &mut self,
        x: X,
        eta: f64,
        rest: impl FnOnce(Self::Output) -> (R, Self::Output),
    ) -> (R, Self::InputGradient);
}
