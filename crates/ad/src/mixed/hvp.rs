//! Hessian-vector products: a reverse sweep whose elements are dual numbers.

use crate::tape::{Graph, Output, Recording, TapeFloat, Var};
use nalgebra::SVector;
use num_dual::Dual;

/// `(value, gradient, hessian · v)`, from [`hvp`].
pub type ValueGradientHvp<T, const N: usize> = (T, SVector<T, N>, SVector<T, N>);

/// The value, the gradient and the Hessian-vector product `∇²f(x) · v`,
/// without forming the Hessian.
///
/// Forward over reverse: `f` runs once on [`Var`]s, then a forward sweep
/// carries the direction `v` through the recording and a reverse sweep
/// carries adjoints that are dual numbers `∂f/∂u + ε ∂(∇f·v)/∂u`. The cost is a
/// small multiple of one evaluation, whatever `N` is, so this is the product
/// that Newton-Krylov methods want. `f` may branch and loop on values.
///
/// ```
/// use nalgebra::{SVector, vector};
/// use typeflux_ad::{Real, mixed};
///
/// fn f<T: Real, const N: usize>(x: SVector<T, N>) -> T {
///     x[0] * x[0] * x[1] + x[1].sin()
/// }
/// let (y, g, hv) = mixed::hvp(f, vector![1.0, 0.0], vector![1.0, 2.0]);
/// assert_eq!((y, g), (0.0, vector![0.0, 2.0])); // [2xy, x² + cos y]
/// // H = [2y, 2x; 2x, −sin y] = [0, 2; 2, 0] at (1, 0)
/// assert_eq!(hv, vector![4.0, 2.0]);
/// ```
pub fn hvp<F: TapeFloat, const N: usize>(
    f: impl FnOnce(SVector<Var<F>, N>) -> Var<F>,
    x: SVector<F, N>,
    v: SVector<F, N>,
) -> ValueGradientHvp<F, N> {
    let recording = Recording::start();
    let y = f(SVector::from(recording.inputs(x.into())));
    let mut grad = SVector::zeros();
    let mut hv = SVector::zeros();
    recording.with_graph(y, |graph, out| {
        if let Some(out) = out {
            let adj = dual_adjoints(&graph, out, v.as_slice());
            for i in 0..N {
                grad[i] = adj[i].re;
                hv[i] = adj[i].eps;
            }
        }
    });
    (y.value(), grad, hv)
}

/// Adjoints `∂y/∂u + ε ∂(∇y·v)/∂u` of every node `u` up to the output `out`,
/// where the first `v.len()` nodes are the inputs, moved along `v`.
fn dual_adjoints<F: TapeFloat>(graph: &Graph<'_, F>, out: Output<F>, v: &[F]) -> Vec<Dual<F>> {
    // The inputs, and what the output depends on.
    let nodes = &graph.nodes[..v.len().max(out.node + 1)];
    // Forward: the tangent of every node along v.
    let mut tangent = Vec::with_capacity(nodes.len());
    tangent.extend_from_slice(v);
    for node in nodes.iter().skip(v.len()) {
        let mut t = F::zero();
        for (&p, &d) in node.parents.iter().zip(&node.d1) {
            if let Some(p) = graph.local(p) {
                t += d * tangent[p];
            }
        }
        tangent.push(t);
    }
    // Reverse, with dual elements: the partial ∂w/∂p of a node w is itself
    // moved along v, by the second partials.
    let mut adj = vec![Dual::from_re(F::zero()); nodes.len()];
    adj[out.node] = Dual::from_re(out.seed);
    for (w, node) in nodes.iter().enumerate().rev() {
        let a = adj[w];
        if a.re == F::zero() && a.eps == F::zero() {
            continue;
        }
        let [pa, pb] = node.parents.map(|p| graph.local(p));
        let ta = pa.map_or(F::zero(), |p| tangent[p]);
        let tb = pb.map_or(F::zero(), |p| tangent[p]);
        let [daa, dab, dbb] = node.d2;
        for (p, d1, d1_dot) in [
            (pa, node.d1[0], daa * ta + dab * tb),
            (pb, node.d1[1], dab * ta + dbb * tb),
        ] {
            if let Some(p) = p {
                adj[p] += Dual::new(d1, d1_dot) * a;
            }
        }
    }
    adj
}
