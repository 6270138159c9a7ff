//! Forward over reverse in all `N` directions at once, over a recording.
//!
//! The reverse sweep's elements are dual numbers with `N` tangent
//! directions: the adjoint `∂y/∂u` of a node `u` and its tangent
//! `∂(∂y/∂u)/∂x`. The tangents of the inputs' adjoints are the rows of the
//! Hessian. Each tangent is stored on the band of directions it can be
//! nonzero in ([`Banded`]), so the arithmetic is that of dense `N`-wide duals
//! restricted to where they are not known to vanish: exact, and `O(N)` for a
//! banded Hessian.

use super::banded::{Band, Banded};
use crate::tape::{ABSENT, Graph, Output, TapeFloat};

/// The adjoints and adjoint tangents of every node of a recording.
pub(super) struct SecondOrder<F> {
    /// `∂y/∂u` for every node `u`.
    pub(super) adjoint: Vec<F>,
    /// `∂(∂y/∂u)/∂x` for every node `u`.
    pub(super) adjoint_tangent: Banded<F>,
}

/// Runs the sweeps from the output `out`; the first `n` nodes are the inputs.
pub(super) fn second_order<F: TapeFloat>(
    graph: &Graph<'_, F>,
    out: Output<F>,
    n: usize,
) -> SecondOrder<F> {
    // The inputs, and what the output depends on.
    let m = n.max(out.node + 1);
    let tangent = tangents(graph, m, n);
    let zero = F::zero();

    // Reverse, scalars only: the adjoints ∂y/∂w, and the bands the adjoint
    // tangents ∂(∂y/∂w)/∂x will need. Node w's band is final when w is
    // reached, since everything that uses w comes after it.
    let mut adjoint = vec![zero; m];
    adjoint[out.node] = out.seed;
    let mut bands = vec![Band::EMPTY; m];
    for w in (n..m).rev() {
        let (a, band) = (adjoint[w], bands[w]);
        if a == zero && band.is_empty() {
            continue;
        }
        let node = &graph.nodes[w];
        let [pa, pb] = graph.parents(w);
        let [daa, dab, dbb] = node.d2;
        for (p, d1, [dpa, dpb]) in [(pa, node.d1[0], [daa, dab]), (pb, node.d1[1], [dab, dbb])] {
            if p == ABSENT {
                break;
            }
            adjoint[p] += d1 * a;
            let mut b = bands[p];
            if d1 != zero {
                b = b.hull(band);
            }
            if a != zero {
                if dpa != zero {
                    b = b.hull(tangent.band(pa));
                }
                if dpb != zero && pb != ABSENT {
                    b = b.hull(tangent.band(pb));
                }
            }
            bands[p] = b;
        }
    }

    // Reverse again, with dual elements: the adjoint of w and its tangent
    // flow to each parent p as
    //   ∂y/∂p         += ∂w/∂p · ∂y/∂w                  (done above)
    //   ∂(∂y/∂p)/∂x   += ∂w/∂p · ∂(∂y/∂w)/∂x + ∂y/∂w · Σ_q ∂²w/∂p∂q · ∂q/∂x.
    let mut adjoint_tangent = Banded::zeros(&bands);
    for w in (n..m).rev() {
        let (a, has_tangent) = (adjoint[w], !bands[w].is_empty());
        if a == zero && !has_tangent {
            continue;
        }
        let node = &graph.nodes[w];
        let [pa, pb] = graph.parents(w);
        let [daa, dab, dbb] = node.d2;
        for (p, d1, [dpa, dpb]) in [(pa, node.d1[0], [daa, dab]), (pb, node.d1[1], [dab, dbb])] {
            if p == ABSENT {
                break;
            }
            if has_tangent && d1 != zero {
                adjoint_tangent.add_own(p, w, d1);
            }
            if a != zero {
                if dpa != zero {
                    adjoint_tangent.add(p, tangent.get(pa), a * dpa);
                }
                if dpb != zero && pb != ABSENT {
                    adjoint_tangent.add(p, tangent.get(pb), a * dpb);
                }
            }
        }
    }
    SecondOrder {
        adjoint,
        adjoint_tangent,
    }
}

/// The tangents `∂u/∂x` of the first `m` nodes that a second partial
/// multiplies, and of those they are computed from; the others (a running
/// sum, whose tangent is as wide as everything summed so far) are left zero,
/// never formed.
fn tangents<F: TapeFloat>(graph: &Graph<'_, F>, m: usize, n: usize) -> Banded<F> {
    let zero = F::zero();
    let nodes = &graph.nodes[..m];
    let mut needed = vec![false; m];
    for (w, node) in nodes.iter().enumerate().skip(n).rev() {
        if needed[w] || node.d2 != [zero; 3] {
            for p in graph.parents(w) {
                if p != ABSENT {
                    needed[p] = true;
                }
            }
        }
    }
    let mut tangent = Banded::with_capacity(m);
    for i in 0..n {
        tangent.push_unit(i);
    }
    // Every node after the inputs has a first parent.
    for (u, node) in nodes.iter().enumerate().skip(n) {
        if needed[u] {
            let [pa, pb] = graph.parents(u);
            let b = (pb != ABSENT).then(|| (pb, node.d1[1]));
            tangent.push_combination((pa, node.d1[0]), b);
        } else {
            tangent.push_zero();
        }
    }
    tangent
}
