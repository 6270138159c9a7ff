//! Reduction rules (`sum`, `mean`, `max`, and the same along an axis)
//! against forward mode and central differences, in `f64` and `f32`, on a
//! `3 × batch` matrix with a runtime batch and on a vector. Each is also
//! differentiated through the traced method. Tolerances are in
//! `reverse_support`.

mod reverse_support;

use proptest::prelude::*;
use reverse_support::*;
use typeflux_ad::reverse::{Pullback, gradient, rules::reduce};
use typeflux_core::{Const, Tensor};

/// For each reduction: the rule's value is the core method's, its pullback
/// agrees with both references, and the traced method gives the same
/// gradient. Inputs are at least `gap` apart, so that a maximum does not
/// change under the perturbations of central differences.
macro_rules! reductions {
    ($($name:ident: rule $rule:expr, traced |$t:ident| $traced:expr, core |$x:ident| $core:expr,
        x $sx:expr, y $sy:expr;)*) => {$(
        mod $name {
            use super::*;

            fn check<E: Float>(cols: usize, vx: &[f64], vdy: &[f64]) {
                let x = fill::<_, E>($sx(cols), vx);
                let dy = fill::<_, E>($sy(cols), vdy);

                let (y, back) = $rule(x.clone());
                assert_eq!(y, { let $x = &x; $core });
                let dx = back.pullback(dy.clone());
                assert_references(
                    stringify!($name),
                    &dx,
                    &forward_vjp(&x, &dy, |x| { let $x = &x; $core }),
                    &central_vjp(&x, &dy, |x| { let $x = &x; $core }),
                );

                let traced = gradient(|$t| ($traced * &dy).sum(), &x);
                assert_eq!(traced, dx, "traced");
            }

            fn inputs(gap: f64) -> impl Strategy<Value = (usize, Vec<f64>, Vec<f64>)> {
                batch_size()
                    .prop_flat_map(|c| (Just(c), values(3 * c.max(2)), values(3 * c.max(2))))
                    .prop_filter("maxima need separated values", move |(_, x, _)| {
                        well_separated(x, gap)
                    })
            }

            proptest! {
                #[test]
                fn f64((cols, x, dy) in inputs(1e-3)) {
                    check::<f64>(cols, &x, &dy);
                }

                #[test]
                fn f32((cols, x, dy) in inputs(0.1)) {
                    check::<f32>(cols, &x, &dy);
                }
            }
        }
    )*};
}

reductions! {
    sum: rule reduce::sum, traced |x| x.sum(), core |x| Tensor::scalar(x.sum()),
        x |c| (Const::<3>, c), y |_| ();
    mean: rule reduce::mean, traced |x| x.mean(), core |x| Tensor::scalar(x.mean()),
        x |c| (Const::<3>, c), y |_| ();
    max: rule reduce::max, traced |x| x.max(), core |x| Tensor::scalar(x.max()),
        x |c| (Const::<3>, c), y |_| ();
    // One sum per column: over the features.
    sum_along_0: rule reduce::sum_along::<0, _, _, _>, traced |x| x.sum_along::<0>(),
        core |x| x.sum_along::<0>(), x |c| (Const::<3>, c), y |c| (c,);
    // One sum per row: over the batch.
    sum_along_1: rule reduce::sum_along::<1, _, _, _>, traced |x| x.sum_along::<1>(),
        core |x| x.sum_along::<1>(), x |c| (Const::<3>, c), y |_| (Const::<3>,);
    sum_along_vector: rule reduce::sum_along::<0, _, _, _>, traced |x| x.sum_along::<0>(),
        core |x| x.sum_along::<0>(), x |_| (Const::<5>,), y |_| ();
    mean_along_0: rule reduce::mean_along::<0, _, _, _>, traced |x| x.mean_along::<0>(),
        core |x| x.mean_along::<0>(), x |c| (Const::<3>, c), y |c| (c,);
    mean_along_1: rule reduce::mean_along::<1, _, _, _>, traced |x| x.mean_along::<1>(),
        core |x| x.mean_along::<1>(), x |c| (Const::<3>, c), y |_| (Const::<3>,);
    mean_along_vector: rule reduce::mean_along::<0, _, _, _>, traced |x| x.mean_along::<0>(),
        core |x| x.mean_along::<0>(), x |_| (Const::<5>,), y |_| ();
    max_along_0: rule reduce::max_along::<0, _, _, _>, traced |x| x.max_along::<0>(),
        core |x| x.max_along::<0>(), x |c| (Const::<3>, c), y |c| (c,);
    max_along_1: rule reduce::max_along::<1, _, _, _>, traced |x| x.max_along::<1>(),
        core |x| x.max_along::<1>(), x |c| (Const::<3>, c), y |_| (Const::<3>,);
    max_along_vector: rule reduce::max_along::<0, _, _, _>, traced |x| x.max_along::<0>(),
        core |x| x.max_along::<0>(), x |_| (Const::<5>,), y |_| ();
}

/// Equal maxima: the gradient goes to the first, as the kernel picks it.
#[test]
fn max_of_equals_goes_to_the_first() {
    let x: Tensor<(Const<2>, Const<3>), f64> =
        Tensor::from_array([[1.0, 7.0, 7.0], [7.0, 0.0, 2.0]]);
    // column-major: 1, 7, 7, 0, 7, 2
    let g = gradient(|x| x.max(), &x);
    assert_eq!(g.to_vec(), vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let g = gradient(|x| x.max_along::<1>().sum(), &x);
    assert_eq!(g.to_vec(), vec![0.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
}
