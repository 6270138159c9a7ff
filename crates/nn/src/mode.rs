//! Train and test mode: Flux's `trainmode!` and `testmode!`.
//!
//! [`Dropout`](crate::Dropout) and [`BatchNorm`](crate::BatchNorm) behave
//! differently while a model trains. Each holds a [`Mode`] as a child (a
//! leaf of the model's tree, neither saved nor trained), so one walk sets
//! every such layer of a model, however deeply it is nested:
//! [`trainmode`], [`testmode`] and [`automode`].
//!
//! In [`Mode::Auto`], the default, a layer trains when it is
//! differentiated, as Flux's layers do inside a gradient: tracing a model
//! for [`gradient`](typeflux_ad::reverse::gradient), [`train`](crate::train())
//! or [`descend`](typeflux_ad::reverse::descend) turns its `Auto` into
//! [`Train`](Mode::Train) in the traced copy, and the model itself keeps
//! `Auto`. A model run on its own, or differentiated with respect to its
//! input alone (the model then is not traced), is in test mode.
//!
//! ```
//! use typeflux_ad::reverse::{gradient, model};
//! use typeflux_core::prelude::*;
//! use typeflux_nn::prelude::*;
//!
//! let mut net = Chain((Dense::<4, 4>::new(relu), Dropout::new(0.5)));
//! let x = Batch::<4>::ones_with((Const, 8));
//! assert_eq!(net.forward(&x), net.0.0.forward(&x)); // Auto, outside a gradient: no dropout
//!
//! trainmode(&mut net); // Flux's trainmode!(net)
//! assert_eq!(net.0.1.mode, Mode::Train);
//! testmode(&mut net);  // Flux's testmode!(net)
//! assert_eq!(net.0.1.mode, Mode::Test);
//! automode(&mut net);  // Flux's testmode!(net, :auto)
//! assert_eq!(net.0.1.mode, Mode::Auto);
//! ```

use core::any::Any;
use typeflux_ad::reverse::{Descend, Reverse};
use typeflux_core::functor::{Functor, Leaf, Mut, Path, Trace, TraceMut, Visitor, visit_mut};
use typeflux_core::jet::Lift;
use typeflux_core::{Device, ToDevice};

/// Whether a layer that behaves differently in training trains: Flux's
/// `active` field (`nothing`, `true`, `false`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Train when differentiated (inside a gradient of the model), test
    /// otherwise: Flux's `active = nothing`.
    #[default]
    Auto,
    /// Always train: Flux's `trainmode!`.
    Train,
    /// Never train: Flux's `testmode!`.
    Test,
}

impl Mode {
    /// Whether a layer in this mode trains when it runs: only in
    /// [`Train`](Mode::Train), which a traced model's `Auto` has become.
    #[inline]
    pub fn trains(self) -> bool {
        self == Mode::Train
    }

    /// The mode inside a gradient of the model: `Auto` trains there.
    #[inline]
    fn differentiated(self) -> Mode {
        match self {
            Mode::Auto => Mode::Train,
            mode => mode,
        }
    }
}

/// A mode is a leaf of a model's tree: walks that set modes find it, and
/// weight files and optimisers pass it over.
impl Leaf for Mode {}

/// A mode moves to another device as it is.
impl<D2: Device> ToDevice<D2> for Mode {
    type Output = Mode;

    #[inline]
    fn to_device(&self, _: &D2) -> Mode {
        *self
    }
}

/// A mode stays as it is in another precision.
impl<E2> typeflux_core::ToElement<E2> for Mode {
    type Output = Mode;

    #[inline]
    fn to_element(&self) -> Mode {
        *self
    }
}

/// Traced for a gradient, `Auto` trains; the gradient keeps the mode as it
/// was.
impl<P> Trace<Reverse, P> for Mode {
    type Traced = Mode;
    type Slots = Mode;
    type Grads = Mode;

    #[inline]
    fn trace(self, _: &Reverse) -> (Mode, Mode) {
        (self.differentiated(), self)
    }

    #[inline]
    fn grads(mode: Mode) -> Mode {
        mode
    }
}

/// Traced for a step of descent, `Auto` trains.
impl<'a, P> TraceMut<'a, Descend, P> for Mode {
    type Traced = Mode;
    type Slots = Mode;
    type Grads = Mode;

    #[inline]
    fn trace_mut(&'a mut self, _: &Descend) -> (Mode, Mode) {
        (self.differentiated(), *self)
    }

    #[inline]
    fn grads(mode: Mode) -> Mode {
        mode
    }
}

/// Cast to another element type, the mode stays: a cast is no gradient.
impl<J, P> Trace<Lift<J>, P> for Mode {
    type Traced = Mode;
    type Slots = ();
    type Grads = ();

    #[inline]
    fn trace(self, _: &Lift<J>) -> (Mode, ()) {
        (self, ())
    }

    #[inline]
    fn grads((): ()) {}
}

/// Sets every [`Mode`] in `model` to `mode`.
pub fn set_mode<M: Functor>(model: &mut M, mode: Mode) {
    visit_mut(model, &mut SetMode(mode));
}

/// Every layer of `model` trains, inside a gradient or not: Flux's
/// `trainmode!(model)`.
pub fn trainmode<M: Functor>(model: &mut M) {
    set_mode(model, Mode::Train);
}

/// No layer of `model` trains, not even inside a gradient: Flux's
/// `testmode!(model)`.
pub fn testmode<M: Functor>(model: &mut M) {
    set_mode(model, Mode::Test);
}

/// Every layer of `model` trains when differentiated and only then, the
/// default: Flux's `testmode!(model, :auto)`.
pub fn automode<M: Functor>(model: &mut M) {
    set_mode(model, Mode::Auto);
}

/// The walk behind [`set_mode`].
struct SetMode(Mode);

impl Visitor for SetMode {
    type Access = Mut;

    fn leaf<L: Leaf>(&mut self, _: &Path, leaf: &mut L) {
        if let Some(mode) = (leaf as &mut dyn Any).downcast_mut::<Mode>() {
            *mode = self.0;
        }
    }
}
