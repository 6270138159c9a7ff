//! The thread-local tape: recorded nodes, nested recordings and the reverse
//! sweep.
//!
//! Each thread holds one tape per float type. A recording owns the nodes it
//! pushed, from its start to the end of the buffer; a recording opened inside
//! another one stacks on top and is truncated away when it ends, so the buffer
//! is allocated once per thread and reused by every later recording.

use super::Var;
use core::cell::RefCell;
use core::marker::PhantomData;
use num_dual::{DualNum, DualNumFloat};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::LocalKey;

/// The index of an absent parent, and the node of a constant.
pub(crate) const NONE: u32 = u32::MAX;

/// The recording id of a constant: valid in every recording.
pub(crate) const CONSTANT: u32 = 0;

/// One elementary operation `v = φ(a, b)` (or `φ(a)`): its parents and the
/// local first and second partial derivatives, which is all that first- and
/// second-order sweeps need.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<F> {
    /// Absolute indices of `a` and `b`; [`NONE`] where absent.
    pub(crate) parents: [u32; 2],
    /// `[∂φ/∂a, ∂φ/∂b]`.
    pub(crate) d1: [F; 2],
    /// `[∂²φ/∂a², ∂²φ/∂a∂b, ∂²φ/∂b²]`.
    pub(crate) d2: [F; 3],
}

/// The nodes of one thread, for one float type.
#[derive(Debug)]
pub struct Tape<F> {
    nodes: Vec<Node<F>>,
    /// Ids of the open recordings, innermost last.
    open: Vec<u32>,
    adjoints: Vec<F>,
}

/// Ids are unique across threads, so a `Var` sent to another thread, or kept
/// past the end of its recording, is recognised as foreign rather than read
/// as some other node.
static NEXT_ID: AtomicU32 = AtomicU32::new(CONSTANT + 1);

mod sealed {
    use super::Tape;
    use core::cell::RefCell;
    use std::thread::LocalKey;

    pub trait Sealed: Sized + 'static {
        fn tape() -> &'static LocalKey<RefCell<Tape<Self>>>;
        fn with_tape<R>(f: impl FnOnce(&mut Tape<Self>) -> R) -> R;
    }
}

/// The float types a [`Var`] is built on: `f64` and `f32`, each with its own
/// thread-local tape.
pub trait TapeFloat: DualNumFloat + DualNum<Primitive = Self> + sealed::Sealed {}

macro_rules! tape_float {
    ($($float:ident => $key:ident),*) => {$(
        thread_local! {
            static $key: RefCell<Tape<$float>> = const { RefCell::new(Tape::new()) };
        }
        impl sealed::Sealed for $float {
            fn tape() -> &'static LocalKey<RefCell<Tape<$float>>> {
                &$key
            }
            #[inline(always)]
            fn with_tape<R>(f: impl FnOnce(&mut Tape<$float>) -> R) -> R {
                $key.with(|cell| f(&mut cell.borrow_mut()))
            }
        }
        impl TapeFloat for $float {}
    )*};
}

tape_float!(f64 => TAPE_F64, f32 => TAPE_F32);

/// Runs `f` on this thread's tape for `F`.
#[inline(always)]
pub(crate) fn with_tape<F: TapeFloat, R>(f: impl FnOnce(&mut Tape<F>) -> R) -> R {
    <F as sealed::Sealed>::with_tape(f)
}

impl<F: TapeFloat> Tape<F> {
    const fn new() -> Self {
        Tape {
            nodes: Vec::new(),
            open: Vec::new(),
            adjoints: Vec::new(),
        }
    }

    /// Pushes a node with the given partials with respect to the nodes of
    /// `parents` (a constant stands for no parent) and returns the variable
    /// holding `value`.
    #[inline(always)]
    pub(crate) fn push(
        &mut self,
        value: F,
        parents: [Var<F>; 2],
        d1: [F; 2],
        d2: [F; 3],
    ) -> Var<F> {
        let [a, b] = parents;
        let Some(&id) = self.open.last() else {
            misuse(a, b, &self.open)
        };
        for v in [a, b] {
            if v.recording != CONSTANT && v.recording != id {
                misuse(a, b, &self.open);
            }
        }
        let index = self.nodes.len();
        if index >= NONE as usize {
            too_long()
        }
        self.nodes.push(Node {
            parents: [a.node, b.node],
            d1,
            d2,
        });
        Var {
            value,
            scale: F::one(),
            node: index as u32,
            recording: id,
        }
    }
}

#[cold]
#[inline(never)]
fn too_long() -> ! {
    panic!("tape: a recording exceeded {} nodes", NONE - 1)
}

/// Explains why a `Var` cannot be used here.
#[cold]
#[inline(never)]
fn misuse<F: TapeFloat>(a: Var<F>, b: Var<F>, open: &[u32]) -> ! {
    let foreign = [a, b]
        .into_iter()
        .find(|v| v.recording != CONSTANT && Some(&v.recording) != open.last())
        .map_or(CONSTANT, |v| v.recording);
    if open.contains(&foreign) {
        panic!(
            "tape: a Var of an enclosing recording was used inside a nested one; the nested \
             gradient would treat it as a constant and return a wrong derivative. Pass its \
             value (`x.value()`) if a constant is meant, or differentiate the outer function \
             in forward mode (typeflux_ad::forward) or with typeflux_ad::mixed"
        )
    } else {
        panic!(
            "tape: a Var was used after its recording ended or on another thread; a Var is \
             valid only inside the closure passed to the tape function that created it"
        )
    }
}

/// An open recording on this thread's tape; closing it (on drop, also when
/// the user's function panics) removes its nodes.
pub(crate) struct Recording<F: TapeFloat> {
    id: u32,
    start: u32,
    // A recording belongs to its thread's tape.
    _not_send: PhantomData<*const F>,
}

/// The node a recording's result reads, and `∂result/∂node`, where a reverse
/// sweep starts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Output<F> {
    pub(crate) node: usize,
    pub(crate) seed: F,
}

/// The nodes of a finished recording, indexed from its first node, which is
/// what the sweeps of [`crate::mixed`] read.
pub(crate) struct Graph<'t, F> {
    /// The recording's nodes; parents are absolute indices, see [`Self::local`].
    pub(crate) nodes: &'t [Node<F>],
    start: u32,
}

/// A parent that is not there, in [`Graph::parents`].
pub(crate) const ABSENT: usize = usize::MAX;

impl<F> Graph<'_, F> {
    /// The index within [`Self::nodes`] of an absolute parent index, `None`
    /// for an absent parent.
    #[inline(always)]
    pub(crate) fn local(&self, parent: u32) -> Option<usize> {
        (parent != NONE).then(|| (parent - self.start) as usize)
    }

    /// The parents of node `u` as indices within [`Self::nodes`], [`ABSENT`]
    /// where absent.
    #[inline(always)]
    pub(crate) fn parents(&self, u: usize) -> [usize; 2] {
        self.nodes[u].parents.map(|p| {
            if p == NONE {
                ABSENT
            } else {
                (p - self.start) as usize
            }
        })
    }
}

impl<F: TapeFloat> Recording<F> {
    /// Opens a recording on top of any that are open.
    pub(crate) fn start() -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        // After 2³² recordings the ids wrap; skip the constants' id.
        let id = if id == CONSTANT {
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        } else {
            id
        };
        let start = with_tape::<F, _>(|t| {
            let start = t.nodes.len() as u32;
            t.open.push(id);
            start
        });
        Recording {
            id,
            start,
            _not_send: PhantomData,
        }
    }

    /// `n` fresh input variables with the given values, nodes `0..n` of the
    /// recording.
    pub(crate) fn inputs<const N: usize>(&self, x: [F; N]) -> [Var<F>; N] {
        with_tape::<F, _>(|t| {
            x.map(|v| t.push(v, [Var::constant(v); 2], [F::zero(); 2], [F::zero(); 3]))
        })
    }

    /// Input variables for a slice of values.
    pub(crate) fn input_slice(&self, x: &[F]) -> Vec<Var<F>> {
        with_tape::<F, _>(|t| {
            x.iter()
                .map(|&v| t.push(v, [Var::constant(v); 2], [F::zero(); 2], [F::zero(); 3]))
                .collect()
        })
    }

    /// Checks that `y` is a constant or a variable of this recording and
    /// returns its node within the recording (`None` for a constant).
    fn output(&self, y: Var<F>) -> Option<Output<F>> {
        if y.recording == CONSTANT {
            return None;
        }
        if y.recording != self.id {
            with_tape::<F, _>(|t| misuse(y, y, &t.open))
        }
        Some(Output {
            node: (y.node - self.start) as usize,
            seed: y.scale,
        })
    }

    /// Reverse sweep from `y`: writes `∂y/∂xᵢ` for the first `grad.len()`
    /// nodes (the inputs) into `grad`.
    pub(crate) fn gradient(&self, y: Var<F>, grad: &mut [F]) {
        let Some(out) = self.output(y) else {
            grad.fill(F::zero());
            return;
        };
        with_tape::<F, _>(|t| {
            // The inputs, and what the output depends on.
            let len = grad.len().max(out.node + 1);
            let nodes = &t.nodes[self.start as usize..][..len];
            let adj = &mut t.adjoints;
            adj.clear();
            adj.resize(nodes.len(), F::zero());
            adj[out.node] = out.seed;
            let start = self.start;
            for (v, node) in nodes.iter().enumerate().rev() {
                let a = adj[v];
                // Nothing flows back through a node whose adjoint is zero.
                if a == F::zero() {
                    continue;
                }
                for (&p, &d) in node.parents.iter().zip(&node.d1) {
                    if p != NONE {
                        adj[(p - start) as usize] += d * a;
                    }
                }
            }
            grad.copy_from_slice(&adj[..grad.len()]);
        })
    }

    /// Runs `sweep` on the recording's nodes and the output `y` (`None` when
    /// `y` is a constant).
    pub(crate) fn with_graph<R>(
        &self,
        y: Var<F>,
        sweep: impl FnOnce(Graph<'_, F>, Option<Output<F>>) -> R,
    ) -> R {
        let out = self.output(y);
        with_tape::<F, _>(|t| {
            let graph = Graph {
                nodes: &t.nodes[self.start as usize..],
                start: self.start,
            };
            sweep(graph, out)
        })
    }
}

impl<F: TapeFloat> Drop for Recording<F> {
    fn drop(&mut self) {
        // The tape is gone only while the thread itself is being torn down,
        // and then there is nothing left to clean.
        let _ = <F as sealed::Sealed>::tape().try_with(|t| {
            let mut t = t.borrow_mut();
            debug_assert_eq!(t.open.last(), Some(&self.id));
            t.open.pop();
            t.nodes.truncate(self.start as usize);
        });
    }
}
