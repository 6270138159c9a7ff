//! The fully connected layer, Flux's `Dense`.

use crate::activation::{Activation, Identity};
use crate::init::{glorot_uniform, with_default_rng};
use crate::layer::{Descend, Differentiable, Layer};
use rand::Rng;
use rand::rngs::StdRng;
use typeflux_core::functor::Functor;
use typeflux_core::{Const, Cpu, Device, Dim, Element, Host, MatMul, Shape, Tensor};

/// `y = activation(W·x .+ b)`: `I` input features to `O` output features.
///
/// The sizes are part of the type, so a `Dense<10, 5>` accepts only inputs of
/// 10 features: a vector `(Const<10>,)` or a batch `(Const<10>, B)`, `B` a
/// [`Const`] or a `usize` known at run time. The output has 5 features and
/// the same batch.
///
/// The weight is `O × I`, as in Flux (`W*x`); the bias is optional and, when
/// absent, is neither stored nor trained. The activation is a zero-sized type
/// such as [`sigmoid`](crate::activation::sigmoid).
///
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// // Flux's `Dense(10 => 2, identity, init = ones)`.
/// let layer = Dense::<10, 2>::new(identity).init(ones);
/// let mut x = Matrix::<10, 2>::ones();
/// x.as_mut_slice()[10..].fill(2.0); // columns ones(10) and 2·ones(10)
/// assert_eq!(layer.forward(&x).to_vec(), vec![10.0, 10.0, 20.0, 20.0]);
/// ```
///
/// The gradient of a `Dense` is a `Dense` (see [`Differentiable`]): its
/// `weight` and `bias` hold the gradients of the loss with respect to the
/// weight and bias.
///
/// The device is the last type parameter; `to_device` (from the derive's
/// [`ToDevice`](typeflux_core::ToDevice)) copies the layer to another:
/// ```
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let layer = Dense::<10, 5>::new(sigmoid);
/// let on_stack: Dense<10, 5, Sigmoid, f32, Stack> = layer.to_device(&Stack);
/// let x = Vector::<10>::ones();
/// assert_eq!(on_stack.forward(&x.to_device(&Stack)).to_device(&Cpu), layer.forward(&x));
/// ```
#[derive(Clone, Debug, Functor)]
pub struct Dense<const I: usize, const O: usize, A = Identity, E: Element = f32, D: Device = Cpu> {
    /// The `O × I` weight matrix.
    pub weight: Tensor<(Const<O>, Const<I>), E, D>,
    /// The bias, added to every column; `None` for a layer without one.
    pub bias: Option<Tensor<(Const<O>,), E, D>>,
    /// The activation, applied after the bias.
    #[functor(skip)]
    pub activation: A,
}

impl<const I: usize, const O: usize, E: Element, D: Host> Dense<I, O, Identity, E, D> {
    /// Flux's `Dense(I => O, activation)`: weights drawn with
    /// [`glorot_uniform`] from this thread's default generator (see
    /// [`init`](crate::init)), and a bias of zeros.
    ///
    /// ```
    /// use typeflux_nn::prelude::*;
    ///
    /// let layer = Dense::<10, 5>::new(sigmoid);
    /// assert!(layer.weight.iter().all(|w| w.abs() <= (6.0f32 / 15.0).sqrt()));
    /// assert_eq!(layer.bias.unwrap().to_vec(), vec![0.0; 5]);
    /// ```
    ///
    /// Elements other than `f32` are picked by the type the result is given:
    /// `let layer: Dense<10, 5, Sigmoid, f64> = Dense::new(sigmoid);`.
    pub fn new<A: Activation<E, D>>(activation: A) -> Dense<I, O, A, E, D> {
        Dense {
            weight: with_default_rng(glorot_uniform),
            bias: Some(Tensor::zeros()),
            activation,
        }
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Host> Dense<I, O, A, E, D> {
    /// The same layer with its weight drawn by `init` from this thread's
    /// default generator: Flux's `init = ...` keyword. Any function of a
    /// generator that returns an `O × I` matrix will do, such as
    /// [`ones`](crate::init::ones) or [`randn`](crate::init::randn).
    #[must_use]
    pub fn init(
        self,
        init: impl FnOnce(&mut StdRng) -> Tensor<(Const<O>, Const<I>), E, D>,
    ) -> Self {
        Dense {
            weight: with_default_rng(init),
            ..self
        }
    }

    /// The same layer with its weight drawn by `init` from `rng`.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use typeflux_nn::prelude::*;
    ///
    /// let mut rng = StdRng::seed_from_u64(1);
    /// let a = Dense::<3, 2>::new(relu).init_with(&mut rng, glorot_uniform);
    /// let mut rng = StdRng::seed_from_u64(1);
    /// let b = Dense::<3, 2>::new(tanh).init_with(&mut rng, glorot_uniform);
    /// assert_eq!(a.weight, b.weight);
    /// ```
    #[must_use]
    pub fn init_with<R: Rng + ?Sized>(
        self,
        rng: &mut R,
        init: impl FnOnce(&mut R) -> Tensor<(Const<O>, Const<I>), E, D>,
    ) -> Self {
        Dense {
            weight: init(rng),
            ..self
        }
    }

    /// The same layer with another bias, Flux's `bias = ...` keyword:
    /// `true` for zeros, `false` for none, or a vector of `O` values.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// assert!(Dense::<3, 2>::new(relu).bias(false).bias.is_none());
    /// let b = Dense::<3, 2>::new(relu).bias(Vector::<2>::from_array([1.0, 2.0]));
    /// assert_eq!(b.bias.unwrap().to_vec(), vec![1.0, 2.0]);
    /// ```
    #[must_use]
    pub fn bias(self, bias: impl IntoBias<O, E, D>) -> Self {
        Dense {
            bias: bias.into_bias(),
            ..self
        }
    }
}

/// What [`Dense::bias`] accepts, as Flux's `create_bias`: `true` (zeros),
/// `false` (no bias), a vector of `O` values, or an `Option` of one.
pub trait IntoBias<const O: usize, E: Element, D: Device = Cpu> {
    /// The bias to store.
    fn into_bias(self) -> Option<Tensor<(Const<O>,), E, D>>;
}

impl<const O: usize, E: Element, D: Host> IntoBias<O, E, D> for bool {
    #[inline]
    fn into_bias(self) -> Option<Tensor<(Const<O>,), E, D>> {
        self.then(Tensor::zeros)
    }
}

impl<const O: usize, E: Element, D: Device> IntoBias<O, E, D> for Tensor<(Const<O>,), E, D> {
    #[inline]
    fn into_bias(self) -> Option<Tensor<(Const<O>,), E, D>> {
        Some(self)
    }
}

impl<const O: usize, E: Element, D: Device> IntoBias<O, E, D>
    for Option<Tensor<(Const<O>,), E, D>>
{
    #[inline]
    fn into_bias(self) -> Option<Tensor<(Const<O>,), E, D>> {
        self
    }
}

type Weight<const I: usize, const O: usize, E, D> = Tensor<(Const<O>, Const<I>), E, D>;
type Bias<const O: usize, E, D> = Tensor<(Const<O>,), E, D>;

/// The shapes a `Dense<I, O>` maps, a vector or a batch, and the products its
/// backward pass needs for each.
trait Columns<const I: usize, const O: usize>: Shape {
    /// The output shape: `O` features, the same batch.
    type Out: Shape;

    /// `W·x`.
    fn product<E: Element, D: Device>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<Self, E, D>,
    ) -> Tensor<Self::Out, E, D>;

    /// `z .+ b`, in `z`'s buffer where the device allows.
    fn add_bias<E: Element, D: Device>(z: &mut Tensor<Self::Out, E, D>, b: &Bias<O, E, D>);

    /// `dz · xᵀ`.
    fn weight_gradient<E: Element, D: Device>(
        dz: &Tensor<Self::Out, E, D>,
        x: &Tensor<Self, E, D>,
    ) -> Weight<I, O, E, D>;

    /// `w += alpha · dz · xᵀ` in place.
    fn add_weight_gradient<E: Element, D: Device>(
        w: &mut Weight<I, O, E, D>,
        alpha: E,
        dz: &Tensor<Self::Out, E, D>,
        x: &Tensor<Self, E, D>,
    );

    /// `dz` summed over the batch.
    fn bias_gradient<E: Element, D: Device>(dz: Tensor<Self::Out, E, D>) -> Bias<O, E, D>;

    /// `Wᵀ · dz`.
    fn input_gradient<E: Element, D: Device>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<Self::Out, E, D>,
    ) -> Tensor<Self, E, D>;
}

impl<const I: usize, const O: usize> Columns<I, O> for (Const<I>,) {
    type Out = (Const<O>,);

    #[inline(always)]
    fn product<E: Element, D: Device>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<Self, E, D>,
    ) -> Tensor<(Const<O>,), E, D> {
        w.matmul(x)
    }

    #[inline(always)]
    fn add_bias<E: Element, D: Device>(z: &mut Tensor<(Const<O>,), E, D>, b: &Bias<O, E, D>) {
        *z += b;
    }

    #[inline(always)]
    fn weight_gradient<E: Element, D: Device>(
        dz: &Tensor<(Const<O>,), E, D>,
        x: &Tensor<Self, E, D>,
    ) -> Weight<I, O, E, D> {
        dz.outer(x)
    }

    #[inline(always)]
    fn add_weight_gradient<E: Element, D: Device>(
        w: &mut Weight<I, O, E, D>,
        alpha: E,
        dz: &Tensor<(Const<O>,), E, D>,
        x: &Tensor<Self, E, D>,
    ) {
        w.add_outer(alpha, dz, x);
    }

    #[inline(always)]
    fn bias_gradient<E: Element, D: Device>(dz: Tensor<(Const<O>,), E, D>) -> Bias<O, E, D> {
        dz
    }

    #[inline(always)]
    fn input_gradient<E: Element, D: Device>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<(Const<O>,), E, D>,
    ) -> Tensor<Self, E, D> {
        dz.vecmat(w)
    }
}

impl<const I: usize, const O: usize, B: Dim> Columns<I, O> for (Const<I>, B) {
    type Out = (Const<O>, B);

    #[inline(always)]
    fn product<E: Element, D: Device>(
        w: &Weight<I, O, E, D>,
        x: &Tensor<Self, E, D>,
    ) -> Tensor<(Const<O>, B), E, D> {
        w.matmul(x)
    }

    #[inline(always)]
    fn add_bias<E: Element, D: Device>(z: &mut Tensor<(Const<O>, B), E, D>, b: &Bias<O, E, D>) {
        *z += b;
    }

    #[inline(always)]
    fn weight_gradient<E: Element, D: Device>(
        dz: &Tensor<(Const<O>, B), E, D>,
        x: &Tensor<Self, E, D>,
    ) -> Weight<I, O, E, D> {
        dz.matmul_t(x)
    }

    #[inline(always)]
    fn add_weight_gradient<E: Element, D: Device>(
        w: &mut Weight<I, O, E, D>,
        alpha: E,
        dz: &Tensor<(Const<O>, B), E, D>,
        x: &Tensor<Self, E, D>,
    ) {
        w.add_matmul_t(alpha, dz, x);
    }

    #[inline(always)]
    fn bias_gradient<E: Element, D: Device>(dz: Tensor<(Const<O>, B), E, D>) -> Bias<O, E, D> {
        dz.sum_along::<1>()
    }

    #[inline(always)]
    fn input_gradient<E: Element, D: Device>(
        w: &Weight<I, O, E, D>,
        dz: &Tensor<(Const<O>, B), E, D>,
    ) -> Tensor<Self, E, D> {
        w.t_matmul(dz)
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Device> Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    /// `W·x .+ b`, before the activation.
    #[inline(always)]
    fn affine<S: Columns<I, O>>(&self, x: &Tensor<S, E, D>) -> Tensor<S::Out, E, D> {
        let mut z = S::product(&self.weight, x);
        if let Some(b) = &self.bias {
            S::add_bias(&mut z, b);
        }
        z
    }

    #[inline(always)]
    fn apply<S: Columns<I, O>>(&self, x: &Tensor<S, E, D>) -> Tensor<S::Out, E, D> {
        let mut y = self.affine(x);
        self.activation.activate(&mut y);
        y
    }

    /// The gradient as a layer: `weight`, and the bias gradient from `dz`
    /// when this layer has a bias.
    #[inline(always)]
    fn gradient<S: Columns<I, O>>(
        &self,
        weight: Weight<I, O, E, D>,
        dz: Tensor<S::Out, E, D>,
    ) -> Self {
        Dense {
            weight,
            bias: self.bias.is_some().then(|| S::bias_gradient(dz)),
            activation: self.activation,
        }
    }

    /// The pullback from an owned input, which the closure keeps for the
    /// weight gradient and which gets its own gradient.
    #[inline(always)]
    fn pullback_owned<S: Columns<I, O>>(
        &self,
        x: Tensor<S, E, D>,
    ) -> (
        Tensor<S::Out, E, D>,
        impl FnOnce(Tensor<S::Out, E, D>) -> (Self, Tensor<S, E, D>),
    ) {
        let mut y = self.affine(&x);
        let activation_back = self.activation.activate_pullback(&mut y);
        (y, move |mut dz| {
            activation_back(&mut dz);
            let weight = S::weight_gradient(&dz, &x);
            let dx = S::input_gradient(&self.weight, &dz);
            (self.gradient::<S>(weight, dz), dx)
        })
    }

    /// The pullback from a borrowed input: no input gradient, and no
    /// `Wᵀ·dz` to compute.
    #[inline(always)]
    fn pullback_borrowed<S: Columns<I, O>>(
        &self,
        x: &Tensor<S, E, D>,
    ) -> (
        Tensor<S::Out, E, D>,
        impl FnOnce(Tensor<S::Out, E, D>) -> (Self, ()),
    ) {
        let mut y = self.affine(x);
        let activation_back = self.activation.activate_pullback(&mut y);
        (y, move |mut dz| {
            activation_back(&mut dz);
            let weight = S::weight_gradient(&dz, x);
            (self.gradient::<S>(weight, dz), ())
        })
    }

    /// The backward pass's descent step once `dz` (after the activation's
    /// pullback) is known: the weight through its product, the bias by the
    /// batch sum of `dz`.
    #[inline(always)]
    fn step<S: Columns<I, O>>(&mut self, eta: f64, dz: Tensor<S::Out, E, D>, x: &Tensor<S, E, D>) {
        let minus_eta =
            E::from_f64(-eta).expect("an f64 learning rate converts to every element type");
        S::add_weight_gradient(&mut self.weight, minus_eta, &dz, x);
        if let Some(b) = &mut self.bias {
            b.axpy(minus_eta, &S::bias_gradient(dz));
        }
    }

    /// [`Descend`] from an owned input, which gets its gradient.
    #[inline(always)]
    fn descend_owned<S: Columns<I, O>, R>(
        &mut self,
        x: Tensor<S, E, D>,
        eta: f64,
        rest: impl FnOnce(Tensor<S::Out, E, D>) -> (R, Tensor<S::Out, E, D>),
    ) -> (R, Tensor<S, E, D>) {
        let mut y = self.affine(&x);
        let activation_back = self.activation.activate_pullback(&mut y);
        let (result, mut dz) = rest(y);
        activation_back(&mut dz);
        let dx = S::input_gradient(&self.weight, &dz);
        self.step::<S>(eta, dz, &x);
        (result, dx)
    }

    /// [`Descend`] from a borrowed input: no input gradient.
    #[inline(always)]
    fn descend_borrowed<S: Columns<I, O>, R>(
        &mut self,
        x: &Tensor<S, E, D>,
        eta: f64,
        rest: impl FnOnce(Tensor<S::Out, E, D>) -> (R, Tensor<S::Out, E, D>),
    ) -> (R, ()) {
        let mut y = self.affine(x);
        let activation_back = self.activation.activate_pullback(&mut y);
        let (result, mut dz) = rest(y);
        activation_back(&mut dz);
        self.step::<S>(eta, dz, x);
        (result, ())
    }
}

// The input kinds, each with its own impl so that a wrong size is reported
// as this layer not taking that input: a vector or a batch, owned or
// borrowed.

impl<const I: usize, const O: usize, A, E: Element, D: Device> Layer<Tensor<(Const<I>,), E, D>>
    for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    type Output = Tensor<(Const<O>,), E, D>;

    #[inline]
    fn forward(&self, x: Tensor<(Const<I>,), E, D>) -> Tensor<(Const<O>,), E, D> {
        self.apply(&x)
    }
}

impl<'a, const I: usize, const O: usize, A, E: Element, D: Device>
    Layer<&'a Tensor<(Const<I>,), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    type Output = Tensor<(Const<O>,), E, D>;

    #[inline]
    fn forward(&self, x: &'a Tensor<(Const<I>,), E, D>) -> Tensor<(Const<O>,), E, D> {
        self.apply(x)
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Device, B: Dim>
    Layer<Tensor<(Const<I>, B), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    type Output = Tensor<(Const<O>, B), E, D>;

    #[inline]
    fn forward(&self, x: Tensor<(Const<I>, B), E, D>) -> Tensor<(Const<O>, B), E, D> {
        self.apply(&x)
    }
}

impl<'a, const I: usize, const O: usize, A, E: Element, D: Device, B: Dim>
    Layer<&'a Tensor<(Const<I>, B), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    type Output = Tensor<(Const<O>, B), E, D>;

    #[inline]
    fn forward(&self, x: &'a Tensor<(Const<I>, B), E, D>) -> Tensor<(Const<O>, B), E, D> {
        self.apply(x)
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Device>
    Differentiable<Tensor<(Const<I>,), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    type InputGradient = Tensor<(Const<I>,), E, D>;

    #[inline]
    fn pullback(
        &self,
        x: Tensor<(Const<I>,), E, D>,
    ) -> (
        Tensor<(Const<O>,), E, D>,
        impl FnOnce(Tensor<(Const<O>,), E, D>) -> (Self, Tensor<(Const<I>,), E, D>),
    ) {
        self.pullback_owned(x)
    }
}

impl<'a, const I: usize, const O: usize, A, E: Element, D: Device>
    Differentiable<&'a Tensor<(Const<I>,), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    type InputGradient = ();

    #[inline]
    fn pullback(
        &self,
        x: &'a Tensor<(Const<I>,), E, D>,
    ) -> (
        Tensor<(Const<O>,), E, D>,
        impl FnOnce(Tensor<(Const<O>,), E, D>) -> (Self, ()),
    ) {
        self.pullback_borrowed(x)
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Device, B: Dim>
    Differentiable<Tensor<(Const<I>, B), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    type InputGradient = Tensor<(Const<I>, B), E, D>;

    #[inline]
    fn pullback(
        &self,
        x: Tensor<(Const<I>, B), E, D>,
    ) -> (
        Tensor<(Const<O>, B), E, D>,
        impl FnOnce(Tensor<(Const<O>, B), E, D>) -> (Self, Tensor<(Const<I>, B), E, D>),
    ) {
        self.pullback_owned(x)
    }
}

impl<'a, const I: usize, const O: usize, A, E: Element, D: Device, B: Dim>
    Differentiable<&'a Tensor<(Const<I>, B), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    type InputGradient = ();

    #[inline]
    fn pullback(
        &self,
        x: &'a Tensor<(Const<I>, B), E, D>,
    ) -> (
        Tensor<(Const<O>, B), E, D>,
        impl FnOnce(Tensor<(Const<O>, B), E, D>) -> (Self, ()),
    ) {
        self.pullback_borrowed(x)
    }
}

// Descent folded into the backward pass, for the same four input kinds.

impl<const I: usize, const O: usize, A, E: Element, D: Device> Descend<Tensor<(Const<I>,), E, D>>
    for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    #[inline]
    fn descend<R>(
        &mut self,
        x: Tensor<(Const<I>,), E, D>,
        eta: f64,
        rest: impl FnOnce(Tensor<(Const<O>,), E, D>) -> (R, Tensor<(Const<O>,), E, D>),
    ) -> (R, Tensor<(Const<I>,), E, D>) {
        self.descend_owned(x, eta, rest)
    }
}

impl<'a, const I: usize, const O: usize, A, E: Element, D: Device>
    Descend<&'a Tensor<(Const<I>,), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    #[inline]
    fn descend<R>(
        &mut self,
        x: &'a Tensor<(Const<I>,), E, D>,
        eta: f64,
        rest: impl FnOnce(Tensor<(Const<O>,), E, D>) -> (R, Tensor<(Const<O>,), E, D>),
    ) -> (R, ()) {
        self.descend_borrowed(x, eta, rest)
    }
}

impl<const I: usize, const O: usize, A, E: Element, D: Device, B: Dim>
    Descend<Tensor<(Const<I>, B), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    #[inline]
    fn descend<R>(
        &mut self,
        x: Tensor<(Const<I>, B), E, D>,
        eta: f64,
        rest: impl FnOnce(Tensor<(Const<O>, B), E, D>) -> (R, Tensor<(Const<O>, B), E, D>),
    ) -> (R, Tensor<(Const<I>, B), E, D>) {
        self.descend_owned(x, eta, rest)
    }
}

impl<'a, const I: usize, const O: usize, A, E: Element, D: Device, B: Dim>
    Descend<&'a Tensor<(Const<I>, B), E, D>> for Dense<I, O, A, E, D>
where
    A: Activation<E, D>,
{
    #[inline]
    fn descend<R>(
        &mut self,
        x: &'a Tensor<(Const<I>, B), E, D>,
        eta: f64,
        rest: impl FnOnce(Tensor<(Const<O>, B), E, D>) -> (R, Tensor<(Const<O>, B), E, D>),
    ) -> (R, ()) {
        self.descend_borrowed(x, eta, rest)
    }
}
