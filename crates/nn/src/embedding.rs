//! A lookup table of vectors, Flux's `Embedding`.

use crate::init::{randn, with_default_rng};
use crate::layer::Layer;
use rand::Rng;
use rand::rngs::StdRng;
use typeflux_ad::reverse::Node;
use typeflux_ad::reverse::Param;
use typeflux_ad::reverse::rules::gather::GatherPullback;
use typeflux_core::functor::Functor;
use typeflux_core::{Const, Cpu, Device, Element, Host, Kernels, Tensor, TensorKind};

/// A vocabulary of `V` entries, each a vector of `W` features, Flux's
/// `Embedding(V => W)`: index `i` maps to column `i` of the `W × V` weight.
/// Both sizes are types, so an `Embedding<10_000, 64>` feeds only layers
/// that take 64 features.
///
/// The input is indices, counting from 0 (Flux counts from 1): one `usize`
/// gives a vector of `W`, a slice of `n` indices a batch of `n` columns,
/// one per index in order. The indices are data; the gradient is the
/// weight's, zero in the columns no index chose.
///
/// ```
/// use typeflux_ad::reverse::{gradient, model};
/// use typeflux_core::prelude::*;
/// use typeflux_nn::prelude::*;
///
/// // Flux's `Embedding(3 => 2)` with a known weight.
/// let table = Embedding::<3, 2>::from_weight(Tensor::from_array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]));
/// assert_eq!(table.forward(1).to_vec(), vec![2.0, 5.0]);
/// let words = [2, 0, 2];
/// let x = table.forward(&words[..]); // 2 × 3
/// assert_eq!(x.to_vec(), vec![3.0, 6.0, 1.0, 4.0, 3.0, 6.0]);
///
/// // In a model: each word's vector through a dense layer.
/// let net = Chain((table, Dense::<2, 1>::new(identity)));
/// let target = Batch::<1>::zeros_with((Const, 3));
/// let g = gradient(|m| mse(m.forward(&words[..]), &target), model(&net));
/// assert_eq!(g.0.0.weight.column(1).to_vec(), vec![0.0, 0.0]); // index 1 was not used
/// ```
///
/// # Panics
/// The forward pass panics for an index that is not below `V`.
#[derive(Clone, PartialEq, Functor)]
pub struct Embedding<
    const V: usize,
    const W: usize,
    E: Element = f32,
    D: Device = Cpu,
    T = Tensor<(Const<W>, Const<V>), E, D>,
> {
    /// The `W × V` weight: column `i` is the vector of index `i`.
    pub weight: T,
    /// The element type and device of the weight.
    #[functor(skip)]
    kind: TensorKind<E, D>,
}

impl<const V: usize, const W: usize, E: Element, D: Device> Embedding<V, W, E, D> {
    /// An embedding with a known `W × V` weight.
    pub fn from_weight(weight: Tensor<(Const<W>, Const<V>), E, D>) -> Self {
        Embedding {
            weight,
            kind: TensorKind::new(),
        }
    }
}

impl<const V: usize, const W: usize, E: Element, D: Host> Embedding<V, W, E, D> {
    /// Flux's `Embedding(V => W)`: a weight of standard normal samples
    /// (Flux's `randn32`) from this thread's default generator (see
    /// [`init`](crate::init)).
    ///
    /// ```
    /// use typeflux_core::prelude::*;
    /// use typeflux_nn::prelude::*;
    ///
    /// let table: Embedding<100, 8, f64> = Embedding::new();
    /// assert_eq!(table.weight.shape(), (Const::<8>, Const::<100>));
    /// ```
    pub fn new() -> Self {
        Self::from_weight(with_default_rng(randn))
    }

    /// The same embedding with its weight drawn by `init` from this
    /// thread's default generator: Flux's `init = ...` keyword.
    #[must_use]
    pub fn init(
        self,
        init: impl FnOnce(&mut StdRng) -> Tensor<(Const<W>, Const<V>), E, D>,
    ) -> Self {
        Self::from_weight(with_default_rng(init))
    }

    /// The same embedding with its weight drawn by `init` from `rng`.
    #[must_use]
    pub fn init_with<R: Rng + ?Sized>(
        self,
        rng: &mut R,
        init: impl FnOnce(&mut R) -> Tensor<(Const<W>, Const<V>), E, D>,
    ) -> Self {
        Self::from_weight(init(rng))
    }
}

impl<const V: usize, const W: usize, E: Element, D: Device, T> Embedding<V, W, E, D, T> {
    /// The same embedding holding `weight` in place of its own: a
    /// [`Tied`](crate::tied::Tied) weight that another layer holds too.
    pub fn with_weight<T2: Param<Value = Tensor<(Const<W>, Const<V>), E, D>>>(
        self,
        weight: T2,
    ) -> Embedding<V, W, E, D, T2> {
        Embedding {
            weight,
            kind: self.kind,
        }
    }
}

impl<const V: usize, const W: usize, E: Element, D: Host> Default for Embedding<V, W, E, D> {
    fn default() -> Self {
        Self::new()
    }
}

/// The output of an `Embedding<V, W>` whose weight is `T`, as a tensor of
/// shape `S`: plain for a plain weight, traced otherwise.
pub type EmbeddingOutput<const V: usize, const W: usize, E, D, T, S> =
    <<<T as Param>::Node as Node>::Then<GatherPullback<Const<W>, Const<V>>> as Node>::Finished<
        Tensor<S, E, D>,
    >;

/// One index: its vector of `W` features.
impl<const V: usize, const W: usize, E0, D0, E, D, T> Layer<usize> for Embedding<V, W, E0, D0, T>
where
    E0: Element,
    D0: Device,
    E: Element,
    D: Kernels<E>,
    T: Param<Value = Tensor<(Const<W>, Const<V>), E, D>>,
{
    type Output = EmbeddingOutput<V, W, E, D, T, (Const<W>,)>;

    #[inline]
    #[track_caller]
    fn forward(&self, index: usize) -> Self::Output {
        check(index, V);
        self.weight.traced().gather_column(index).finish()
    }
}

/// A sequence of indices: `W` features × one column per index.
impl<'a, const V: usize, const W: usize, E0, D0, E, D, T> Layer<&'a [usize]>
    for Embedding<V, W, E0, D0, T>
where
    E0: Element,
    D0: Device,
    E: Element,
    D: Kernels<E>,
    T: Param<Value = Tensor<(Const<W>, Const<V>), E, D>>,
{
    type Output = EmbeddingOutput<V, W, E, D, T, (Const<W>, usize)>;

    #[inline]
    #[track_caller]
    fn forward(&self, indices: &'a [usize]) -> Self::Output {
        indices.iter().for_each(|&i| check(i, V));
        self.weight.traced().gather(indices).finish()
    }
}

/// A vector of indices, as its slice.
impl<'a, const V: usize, const W: usize, E0, D0, E, D, T> Layer<&'a Vec<usize>>
    for Embedding<V, W, E0, D0, T>
where
    E0: Element,
    D0: Device,
    E: Element,
    D: Kernels<E>,
    T: Param<Value = Tensor<(Const<W>, Const<V>), E, D>>,
{
    type Output = EmbeddingOutput<V, W, E, D, T, (Const<W>, usize)>;

    #[inline]
    #[track_caller]
    fn forward(&self, indices: &'a Vec<usize>) -> Self::Output {
        self.forward(indices.as_slice())
    }
}

/// Panics, in the layer's words, for an index outside the vocabulary.
#[track_caller]
fn check(index: usize, vocabulary: usize) {
    assert!(
        index < vocabulary,
        "Embedding: index {index} is outside the vocabulary of {vocabulary} (indices count from 0)"
    );
}

/// The weight, as a derived `Debug` would print it.
impl<const V: usize, const W: usize, E: Element, D: Device, T: core::fmt::Debug> core::fmt::Debug
    for Embedding<V, W, E, D, T>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Embedding")
            .field("weight", &self.weight)
            .finish()
    }
}
