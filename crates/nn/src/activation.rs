//! Activation functions: zero-sized types, each with its derivative, in forms
//! that stay finite for any finite input.
//!
//! Each activation is a unit struct with a lowercase constant of the same
//! name (`sigmoid: Sigmoid`), so that models read as in Flux:
//! `Dense::<10, 5>::new(sigmoid)`, `Chain((dense, softmax))`. An activation is
//! a [`Layer`] and [`Differentiable`] by itself, with no parameters.
//!
//! Everything is generic over the element, so an activation runs with `f32`,
//! `f64` and dual numbers alike.

use crate::layer::{Descend, Differentiable, Layer};
use typeflux_core::functor::Functor;
use typeflux_core::{Cpu, Device, Element, Host, Shape, Tensor, ToDevice};

/// A function applied to a layer's output, with its pullback, for tensors of
/// elements `E` on device `D`.
///
/// Elementwise activations get this from [`Elementwise`]; [`Softmax`] and
/// [`LogSoftmax`] act on each column (each sample of a batch) as a whole.
/// Shapes are a vector (one column) or features × batch.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an activation for tensors of `{E}` on `{D}`",
    label = "expected an activation such as `identity`, `sigmoid`, `relu` or `softmax`",
    note = "an activation of your own implements `Elementwise` (for a function of one element) \
            or `Activation` (for a function of whole columns)"
)]
pub trait Activation<E: Element, D: Device = Cpu>: Copy + Default + Send + Sync + 'static {
    /// Applies the activation to `x`, in place.
    fn activate<S: Shape>(self, x: &mut Tensor<S, E, D>);

    /// Applies the activation to `x` in place, and returns the closure that
    /// turns the gradient with respect to the result into the gradient with
    /// respect to `x`, in place.
    fn activate_pullback<S: Shape>(
        self,
        x: &mut Tensor<S, E, D>,
    ) -> impl FnOnce(&mut Tensor<S, E, D>) + use<Self, E, D, S>;
}

/// An activation that acts on each element on its own: one function of a
/// number and its derivative. Implementing it makes a type an [`Activation`].
///
/// ```
/// use typeflux_nn::activation::Elementwise;
/// use typeflux_nn::prelude::*;
///
/// assert_eq!(sigmoid.apply(0.0), 0.5);
/// assert_eq!(relu.value_and_derivative(-2.0), (0.0, 0.0));
/// assert!(softplus.apply(1.0e4f32).is_finite());
/// ```
pub trait Elementwise: Copy + Default + Send + Sync + 'static {
    /// The function at `x`.
    fn apply<E: Element>(self, x: E) -> E;

    /// The function and its derivative at `x`, sharing their work.
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E);

    /// The derivative at `x`.
    #[inline]
    fn derivative<E: Element>(self, x: E) -> E {
        self.value_and_derivative(x).1
    }
}

impl<A: Elementwise, E: Element, D: Host> Activation<E, D> for A {
    #[inline]
    fn activate<S: Shape>(self, x: &mut Tensor<S, E, D>) {
        x.map_inplace(|v| self.apply(v));
    }

    /// Computes the slopes in the same pass as the values, so the backward
    /// pass is one multiplication.
    #[inline]
    fn activate_pullback<S: Shape>(
        self,
        x: &mut Tensor<S, E, D>,
    ) -> impl FnOnce(&mut Tensor<S, E, D>) + use<A, E, D, S> {
        // One pass that writes the values over `x` and collects the slopes
        // into a new buffer (a clone of a large `x` would share its block,
        // and the first write would copy it only to overwrite it).
        let shape = x.shape();
        let slopes = D::collect::<S, E, _>(x.iter_mut().map(|v| {
            let (value, slope) = self.value_and_derivative(*v);
            *v = value;
            slope
        }));
        let slope = Tensor::from_parts(shape, slopes, *x.device());
        move |dy: &mut Tensor<S, E, D>| *dy *= &slope
    }
}

/// `E` from an `f64` constant.
#[inline(always)]
fn lit<E: Element>(x: f64) -> E {
    E::from_f64(x).expect("a finite constant converts to every element type")
}

/// `1 / (1 + e⁻ˣ)`, with `exp` only ever of a number ≤ 0.
#[inline(always)]
pub(crate) fn stable_sigmoid<E: Element>(x: E) -> E {
    if x >= E::zero() {
        (E::one() + (-x).exp()).recip()
    } else {
        let e = x.exp();
        e / (E::one() + e)
    }
}

/// `ln(1 + eˣ)` as `ln(1 + e^-|x|) + max(x, 0)`.
#[inline(always)]
pub(crate) fn stable_softplus<E: Element>(x: E) -> E {
    let positive = if x > E::zero() { x } else { E::zero() };
    (-x.abs()).exp().ln_1p() + positive
}

/// `tanh x`. Floats use their own `tanh`; dual numbers, whose `tanh` is
/// `sinh / cosh` and overflows past |x| ≈ 710, go through `exp_m1(-2|x|)`.
#[inline(always)]
fn stable_tanh<E: Element>(x: E) -> E {
    if E::NDERIV == 0 {
        return x.tanh();
    }
    let t = (x.abs() * lit::<E>(-2.0)).exp_m1();
    let magnitude = -t / (t + lit::<E>(2.0));
    if x < E::zero() { -magnitude } else { magnitude }
}

macro_rules! activations {
    ($($(#[$doc:meta])* $Type:ident $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Functor)]
        pub struct $Type;

        $(#[$doc])*
        #[allow(non_upper_case_globals)]
        pub const $name: $Type = $Type;

        /// Nothing to copy: the activation itself.
        impl<D2: Device> ToDevice<D2> for $Type {
            type Output = $Type;

            #[inline(always)]
            fn to_device(&self, _: &D2) -> $Type {
                $Type
            }
        }

        impl<S: Shape, E: Element, D: Device> Layer<Tensor<S, E, D>> for $Type
        where
            $Type: Activation<E, D>,
        {
            type Output = Tensor<S, E, D>;

            #[inline]
            fn forward(&self, mut x: Tensor<S, E, D>) -> Tensor<S, E, D> {
                self.activate(&mut x);
                x
            }
        }

        impl<'a, S: Shape, E: Element, D: Device> Layer<&'a Tensor<S, E, D>> for $Type
        where
            $Type: Activation<E, D>,
        {
            type Output = Tensor<S, E, D>;

            #[inline]
            fn forward(&self, x: &'a Tensor<S, E, D>) -> Tensor<S, E, D> {
                let mut y = x.clone();
                self.activate(&mut y);
                y
            }
        }

        impl<S: Shape, E: Element, D: Device> Differentiable<Tensor<S, E, D>> for $Type
        where
            $Type: Activation<E, D>,
        {
            type InputGradient = Tensor<S, E, D>;

            #[inline]
            fn pullback(
                &self,
                x: Tensor<S, E, D>,
            ) -> (
                Tensor<S, E, D>,
                impl FnOnce(Tensor<S, E, D>) -> (Self, Tensor<S, E, D>),
            ) {
                let mut y = x;
                let back = self.activate_pullback(&mut y);
                (y, move |mut dy| {
                    back(&mut dy);
                    ($Type, dy)
                })
            }
        }

        /// A borrowed input gets no gradient, so nothing is kept for the
        /// backward pass.
        impl<'a, S: Shape, E: Element, D: Device> Differentiable<&'a Tensor<S, E, D>> for $Type
        where
            $Type: Activation<E, D>,
        {
            type InputGradient = ();

            #[inline]
            fn pullback(
                &self,
                x: &'a Tensor<S, E, D>,
            ) -> (Tensor<S, E, D>, impl FnOnce(Tensor<S, E, D>) -> (Self, ())) {
                (self.forward(x), |_| ($Type, ()))
            }
        }

        /// No parameters: the pullback alone.
        impl<S: Shape, E: Element, D: Device> Descend<Tensor<S, E, D>> for $Type
        where
            $Type: Activation<E, D>,
        {
            #[inline]
            fn descend<R>(
                &mut self,
                x: Tensor<S, E, D>,
                _eta: f64,
                rest: impl FnOnce(Tensor<S, E, D>) -> (R, Tensor<S, E, D>),
            ) -> (R, Tensor<S, E, D>) {
                let mut y = x;
                let back = self.activate_pullback(&mut y);
                let (result, mut dy) = rest(y);
                back(&mut dy);
                (result, dy)
            }
        }

        impl<'a, S: Shape, E: Element, D: Device> Descend<&'a Tensor<S, E, D>> for $Type
        where
            $Type: Activation<E, D>,
        {
            #[inline]
            fn descend<R>(
                &mut self,
                x: &'a Tensor<S, E, D>,
                _eta: f64,
                rest: impl FnOnce(Tensor<S, E, D>) -> (R, Tensor<S, E, D>),
            ) -> (R, ()) {
                (rest(self.forward(x)).0, ())
            }
        }
    )*};
}

activations! {
    /// `x`: no activation, Flux's `identity`. Costs nothing, forwards or
    /// backwards, on every device.
    Identity identity;
    /// `σ(x) = 1 / (1 + e⁻ˣ)`, Flux's `sigmoid` (`σ`).
    Sigmoid sigmoid;
    /// `max(x, 0)`, Flux's `relu`; its derivative at 0 is 0.
    Relu relu;
    /// `x` for `x > 0`, `0.01·x` otherwise: Flux's `leakyrelu` with its
    /// default slope.
    LeakyRelu leakyrelu;
    /// `x` for `x ≥ 0`, `eˣ - 1` otherwise: Flux's `elu` with `α = 1`.
    Elu elu;
    /// `x/2 · (1 + tanh(√(2/π)·(x + 0.044715·x³)))`: Flux's `gelu`, the tanh
    /// approximation.
    Gelu gelu;
    /// `x · σ(x)`, Flux's `swish`.
    Swish swish;
    /// `ln(1 + eˣ)`, Flux's `softplus`.
    Softplus softplus;
    /// `tanh x`, Flux's `tanh`.
    Tanh tanh;
    /// `eˣ / Σ eˣ` over each column (the features of one sample), Flux's
    /// `softmax`: each column of the result sums to 1.
    Softmax softmax;
    /// `x - ln Σ eˣ` over each column, Flux's `logsoftmax`: the logarithm of
    /// [`softmax`], without its rounding to 0.
    LogSoftmax logsoftmax;
}

impl<E: Element, D: Device> Activation<E, D> for Identity {
    #[inline(always)]
    fn activate<S: Shape>(self, _: &mut Tensor<S, E, D>) {}

    #[inline(always)]
    fn activate_pullback<S: Shape>(
        self,
        _: &mut Tensor<S, E, D>,
    ) -> impl FnOnce(&mut Tensor<S, E, D>) + use<E, D, S> {
        |_: &mut Tensor<S, E, D>| {}
    }
}

impl Elementwise for Sigmoid {
    #[inline(always)]
    fn apply<E: Element>(self, x: E) -> E {
        stable_sigmoid(x)
    }

    #[inline(always)]
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E) {
        let s = stable_sigmoid(x);
        (s, s * (E::one() - s))
    }
}

impl Elementwise for Relu {
    #[inline(always)]
    fn apply<E: Element>(self, x: E) -> E {
        if x > E::zero() { x } else { E::zero() }
    }

    #[inline(always)]
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E) {
        if x > E::zero() {
            (x, E::one())
        } else {
            (E::zero(), E::zero())
        }
    }
}

/// The slope of [`LeakyRelu`] below zero.
const LEAKY_SLOPE: f64 = 0.01;

impl Elementwise for LeakyRelu {
    #[inline(always)]
    fn apply<E: Element>(self, x: E) -> E {
        if x > E::zero() {
            x
        } else {
            x * lit::<E>(LEAKY_SLOPE)
        }
    }

    #[inline(always)]
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E) {
        if x > E::zero() {
            (x, E::one())
        } else {
            let a = lit::<E>(LEAKY_SLOPE);
            (x * a, a)
        }
    }
}

impl Elementwise for Elu {
    #[inline(always)]
    fn apply<E: Element>(self, x: E) -> E {
        if x >= E::zero() { x } else { x.exp_m1() }
    }

    #[inline(always)]
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E) {
        if x >= E::zero() {
            (x, E::one())
        } else {
            let y = x.exp_m1();
            (y, y + E::one())
        }
    }
}

/// `√(2/π)`.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of the tanh approximation of GELU.
const GELU_CUBIC: f64 = 0.044_715;

impl Elementwise for Gelu {
    #[inline(always)]
    fn apply<E: Element>(self, x: E) -> E {
        let u = x * lit::<E>(SQRT_2_OVER_PI) * (E::one() + x * x * lit::<E>(GELU_CUBIC));
        x * lit::<E>(0.5) * (E::one() + stable_tanh(u))
    }

    #[inline(always)]
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E) {
        let half = lit::<E>(0.5);
        let c = lit::<E>(SQRT_2_OVER_PI);
        let x2 = x * x;
        let u = x * c * (E::one() + x2 * lit::<E>(GELU_CUBIC));
        let t = stable_tanh(u);
        let du = c * (E::one() + x2 * lit::<E>(3.0 * GELU_CUBIC));
        let y = x * half * (E::one() + t);
        let dy = half * (E::one() + t) + x * half * (E::one() - t * t) * du;
        (y, dy)
    }
}

impl Elementwise for Swish {
    #[inline(always)]
    fn apply<E: Element>(self, x: E) -> E {
        x * stable_sigmoid(x)
    }

    #[inline(always)]
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E) {
        let s = stable_sigmoid(x);
        let y = x * s;
        (y, s + y * (E::one() - s))
    }
}

impl Elementwise for Softplus {
    #[inline(always)]
    fn apply<E: Element>(self, x: E) -> E {
        stable_softplus(x)
    }

    #[inline(always)]
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E) {
        (stable_softplus(x), stable_sigmoid(x))
    }
}

impl Elementwise for Tanh {
    #[inline(always)]
    fn apply<E: Element>(self, x: E) -> E {
        stable_tanh(x)
    }

    #[inline(always)]
    fn value_and_derivative<E: Element>(self, x: E) -> (E, E) {
        let y = stable_tanh(x);
        (y, E::one() - y * y)
    }
}

/// The columns of a vector (one) or of a features × batch matrix, as
/// mutable slices; nothing for a tensor without elements.
#[inline(always)]
fn columns_mut<S: Shape, E: Element, D: Host>(
    x: &mut Tensor<S, E, D>,
) -> core::slice::ChunksExactMut<'_, E> {
    let rows = x.shape().dims()[0].max(1);
    x.as_mut_slice().chunks_exact_mut(rows)
}

/// The largest element of a non-empty column.
#[inline(always)]
fn column_max<E: Element>(col: &[E]) -> E {
    col[1..]
        .iter()
        .fold(col[0], |m, &v| if v > m { v } else { m })
}

/// Softmax of each column in place, shifted by the column's maximum so that
/// no `exp` overflows.
#[inline]
pub(crate) fn softmax_columns<S: Shape, E: Element, D: Host>(x: &mut Tensor<S, E, D>) {
    for col in columns_mut(x) {
        let max = column_max(col);
        let mut sum = E::zero();
        for v in col.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        let inv = sum.recip();
        for v in col.iter_mut() {
            *v *= inv;
        }
    }
}

/// Log-softmax of each column in place: `x - max - ln Σ e^(x - max)`.
#[inline]
pub(crate) fn logsoftmax_columns<S: Shape, E: Element, D: Host>(x: &mut Tensor<S, E, D>) {
    for col in columns_mut(x) {
        let max = column_max(col);
        let sum = col.iter().fold(E::zero(), |s, &v| s + (v - max).exp());
        let shift = max + sum.ln();
        for v in col.iter_mut() {
            *v -= shift;
        }
    }
}

impl<E: Element, D: Host> Activation<E, D> for Softmax {
    #[inline]
    fn activate<S: Shape>(self, x: &mut Tensor<S, E, D>) {
        softmax_columns(x);
    }

    /// Backwards, per column: `dx = y ⊙ (dy - Σ dy ⊙ y)`.
    #[inline]
    fn activate_pullback<S: Shape>(
        self,
        x: &mut Tensor<S, E, D>,
    ) -> impl FnOnce(&mut Tensor<S, E, D>) + use<E, D, S> {
        softmax_columns(x);
        let y = x.clone();
        move |dy: &mut Tensor<S, E, D>| {
            let rows = y.shape().dims()[0].max(1);
            for (d, y) in columns_mut(dy).zip(y.as_slice().chunks_exact(rows)) {
                let dot = d.iter().zip(y).fold(E::zero(), |s, (&d, &y)| s + d * y);
                for (d, &y) in d.iter_mut().zip(y) {
                    *d = y * (*d - dot);
                }
            }
        }
    }
}

impl<E: Element, D: Host> Activation<E, D> for LogSoftmax {
    #[inline]
    fn activate<S: Shape>(self, x: &mut Tensor<S, E, D>) {
        logsoftmax_columns(x);
    }

    /// Backwards, per column: `dx = dy - softmax(x) · Σ dy`, with
    /// `softmax(x) = e^y`.
    #[inline]
    fn activate_pullback<S: Shape>(
        self,
        x: &mut Tensor<S, E, D>,
    ) -> impl FnOnce(&mut Tensor<S, E, D>) + use<E, D, S> {
        logsoftmax_columns(x);
        let y = x.clone();
        move |dy: &mut Tensor<S, E, D>| {
            let rows = y.shape().dims()[0].max(1);
            for (d, y) in columns_mut(dy).zip(y.as_slice().chunks_exact(rows)) {
                let total = d.iter().fold(E::zero(), |s, &d| s + d);
                for (d, &y) in d.iter_mut().zip(y) {
                    *d -= y.exp() * total;
                }
            }
        }
    }
}
