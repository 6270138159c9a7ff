//! Dropout, Flux's `Dropout(p)`.

use crate::chain::Link;
use crate::init::with_default_rng;
use crate::isolate::{Isolated, Split, isolate};
use crate::layer::Layer;
use crate::mode::Mode;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::sync::{Arc, Mutex, PoisonError};
use typeflux_ad::reverse::rules::arith::MulLhs;
use typeflux_ad::reverse::{ChainNode, Either, Hole, Member, Pick, Then, Traced};
use typeflux_core::functor::Functor;
use typeflux_core::{Element, Kernels, Shape, Tensor};

/// While training, each element is set to zero with probability `p` and
/// the others are divided by `1 - p`, so that the expected value of every
/// element stays the same: Flux's `Dropout(p)`. Outside training it passes
/// its input through.
///
/// Whether it trains is its [`mode`](Self::mode): in [`Mode::Auto`], the
/// default, only inside a gradient of the model (see [`crate::mode`]);
/// [`trainmode`](crate::mode::trainmode) and
/// [`testmode`](crate::mode::testmode) fix it.
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// let net = Chain((Dense::<3, 8>::new(relu), Dropout::new(0.5).seed(1), Dense::<8, 1>::new(identity)));
/// let (x, y) = (Batch::<3>::ones_with((Const, 4)), Batch::<1>::zeros_with((Const, 4)));
/// let g = gradient(|m| mse(m.forward(&x), &y), model(&net)); // half of the 8 features dropped
/// let plain = net.forward(&x);                                  // none dropped
///
/// let mut drop = Dropout::new(0.25).seed(7);
/// trainmode(&mut drop);
/// let z = drop.forward(Vector::<1000>::ones());
/// let kept = z.iter().filter(|&&v| v != 0.0).count();
/// assert!((700..800).contains(&kept));
/// assert!(z.iter().all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
/// ```
///
/// The zeros are drawn from the layer's own generator: seeded from this
/// thread's default generator (so [`init::seed`](crate::init::seed) makes
/// a program reproducible), or from a seed of its own with
/// [`seed`](Self::seed). Clones of a layer share its generator, as the copy
/// of the model that [`gradient`](typeflux_ad::reverse::gradient) traces
/// must advance the model's own; each forward pass in training draws new
/// zeros. The probability and the generator are not saved in weight files.
#[derive(Clone, Functor)]
pub struct Dropout<M = Mode> {
    /// The probability that an element is dropped, between 0 and 1.
    #[functor(skip)]
    pub p: f64,
    /// Whether the layer trains.
    pub mode: M,
    /// The generator the dropped elements are drawn from.
    #[functor(skip)]
    pub rng: SharedRng,
}

/// A random generator shared by the clones of a layer: each draw advances
/// it for all of them.
#[derive(Clone)]
pub struct SharedRng(Arc<Mutex<StdRng>>);

impl SharedRng {
    /// A generator that starts from `seed`.
    pub fn seed_from_u64(seed: u64) -> Self {
        SharedRng(Arc::new(Mutex::new(StdRng::seed_from_u64(seed))))
    }

    /// Calls `f` with the generator.
    pub fn with<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> T {
        // A generator left by a panic in another thread is still a generator.
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl core::fmt::Debug for SharedRng {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SharedRng")
    }
}

impl Dropout {
    /// Flux's `Dropout(p)`, in [`Mode::Auto`], its generator seeded from
    /// this thread's default generator.
    ///
    /// # Panics
    /// When `p` is not between 0 and 1.
    #[track_caller]
    pub fn new(p: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: the probability {p} is not between 0 and 1"
        );
        Dropout {
            p,
            mode: Mode::Auto,
            rng: SharedRng::seed_from_u64(with_default_rng(|rng| rng.random())),
        }
    }

    /// The same layer with a generator of its own, started from `seed`.
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let (mut a, mut b) = (Dropout::new(0.5).seed(3), Dropout::new(0.5).seed(3));
    /// trainmode(&mut a);
    /// trainmode(&mut b);
    /// let x = Vector::<16>::ones();
    /// assert_eq!(a.forward(&x), b.forward(&x));
    /// ```
    #[must_use]
    pub fn seed(self, seed: u64) -> Self {
        Dropout {
            rng: SharedRng::seed_from_u64(seed),
            ..self
        }
    }
}

impl<M> Dropout<M> {
    /// The multipliers of a tensor of `shape` on `device`: `0` with
    /// probability `p`, `1 / (1 - p)` otherwise.
    fn mask<S: Shape, E: Element, D: Kernels<E>>(&self, shape: S, device: &D) -> Tensor<S, E, D> {
        let keep = E::from_f64(1.0 / (1.0 - self.p)).unwrap_or_else(E::zero);
        let values: Vec<E> = self.rng.with(|rng| {
            (0..shape.num_elements())
                .map(|_| {
                    if rng.random::<f64>() < self.p {
                        E::zero()
                    } else {
                        keep
                    }
                })
                .collect()
        });
        Tensor::from_parts(shape, device.upload(&values), device.clone())
    }
}

/// What a `Dropout` computes behind the hole: `x ⊙ mask` in training,
/// `x` otherwise.
pub type Dropped<S, E, D> =
    Traced<Tensor<S, E, D>, Either<Then<MulLhs<Tensor<S, E, D>, Tensor<S, E, D>>, Hole>, Hole>>;

/// `x ⊙ mask` while training, `x` otherwise, for a tensor of any shape,
/// plain or traced.
impl<X, S, E, D> Layer<X> for Dropout<Mode>
where
    X: Split<Value = Tensor<S, E, D>>,
    S: Shape,
    E: Element,
    D: Kernels<E>,
    ChainNode<X::Node, (Member<<Dropped<S, E, D> as Link>::Node, X::Value>,)>:
        Pick<Tensor<S, E, D>>,
{
    type Output = Isolated<X, Dropped<S, E, D>>;

    #[inline]
    fn forward(&self, x: X) -> Self::Output {
        isolate(x, |x| {
            if self.mode.trains() {
                let mask = self.mask(x.value().shape(), x.value().device());
                (x * mask).left()
            } else {
                x.right()
            }
        })
    }
}

/// The probability and the mode.
impl<M: core::fmt::Debug> core::fmt::Debug for Dropout<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dropout")
            .field("p", &self.p)
            .field("mode", &self.mode)
            .finish()
    }
}

/// Layers with the same probability and mode are equal; the generator is
/// not compared.
impl<M: PartialEq> PartialEq for Dropout<M> {
    fn eq(&self, other: &Self) -> bool {
        self.p == other.p && self.mode == other.mode
    }
}
