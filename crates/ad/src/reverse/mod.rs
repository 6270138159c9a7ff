//! Reverse mode through pullbacks composed at compile time.
//!
//! Reverse mode gives the gradient of a scalar function of many inputs (a
//! loss of a model's parameters) for the price of about two evaluations.
//! Every differentiable tensor operation has a [rule](rules): its value and a
//! [`Pullback`], which maps the cotangent of the value to those of the
//! operands. The function being differentiated receives its inputs as
//! [`Traced`] values; each operation on them calls its rule and appends the
//! pullback to the value's backward pass, whose *type* records the
//! computation. No tape is recorded, nothing is boxed, and the backward pass
//! is ordinary code that the compiler inlines.
//!
//! # Taking gradients
//!
//! [`gradient`] takes a function and the point to differentiate at, and
//! returns the gradient in the shape of the point: one tensor for one
//! tensor, a tuple for a tuple. Flux's
//! `gradient((x, y) -> sum((x .- y).^2), [2, 1], [2, 0])`:
//!
//! ```
//! use typeflux_ad::reverse::{gradient, value_and_gradient};
//! use typeflux_core::prelude::*;
//!
//! let x = Tensor::from_array([2.0, 1.0]);
//! let y = Tensor::from_array([2.0, 0.0]);
//! let (gx, gy) = gradient(|(x, y)| (x - y).square().sum(), (&x, &y));
//! assert_eq!((gx.to_vec(), gy.to_vec()), (vec![0.0, 2.0], vec![-0.0, -2.0]));
//! assert_eq!(format!("({gx}, {gy})"), "([0, 2], [-0, -2])");
//!
//! // The value comes with the gradient; a scalar is an input too (a value
//! // used twice is cloned, see below).
//! let (v, d) = value_and_gradient(|x| x.clone().square() * 3.0 + x * 2.0 + 1.0, 2.0_f64);
//! assert_eq!((v, d), (17.0, 14.0));
//! ```
//!
//! Traced values combine with each other, with tensors (data, which gets no
//! gradient: `&t` clones it into the computation, `t` moves it), with a
//! vector broadcast over a batch, and with scalars. [`pullback`] gives the
//! vector–Jacobian product of a function with any output.
//!
//! # Models: structured and implicit gradients
//!
//! The gradient has the shape of what is differentiated, so the parameters
//! of a model come back as the model does (Flux's explicit style). A
//! linear regression, `loss = sum((y .- (W*x .+ b)).^2)`:
//!
//! ```
//! use rand::SeedableRng;
//! use typeflux_ad::reverse::value_and_gradient;
//! use typeflux_core::prelude::*;
//!
//! let mut rng = rand::rngs::StdRng::seed_from_u64(7);
//! let mut w = Matrix::<2, 5>::rand(&mut rng);
//! let mut b = Vector::<2>::rand(&mut rng);
//! let (x, y) = (Vector::<5>::rand(&mut rng), Vector::<2>::rand(&mut rng));
//!
//! let loss_and_grads = |w: &Matrix<2, 5>, b: &Vector<2>| {
//!     value_and_gradient(|(w, b)| (&y - (w.matmul(&x) + b)).square().sum(), (w, b))
//! };
//! let (before, (dw, db)) = loss_and_grads(&w, &b);
//! w.axpy(-0.1, &dw); // W .-= 0.1 .* W̄
//! b.axpy(-0.1, &db);
//! let (after, _) = loss_and_grads(&w, &b);
//! assert!(after < before);
//! ```
//!
//! A struct that derives `Functor` comes back as itself: with [`model`],
//! the function receives the struct with its fields traced (for a struct
//! generic over its fields' types); with [`fields`], it receives the fields
//! as a tuple (for any such struct, such as a layer with concrete tensor
//! types). Any other type can implement [`Input`]. Flux's implicit style is
//! [`params`]: the gradient comes back as [`Grads`], indexed by the
//! parameters themselves.
//!
//! ```
//! use typeflux_ad::reverse::{gradient, params};
//! use typeflux_core::prelude::*;
//!
//! let w: Matrix<2, 2> = Tensor::from_array([[1.0, 2.0], [3.0, 4.0]]);
//! let b: Vector<2> = Tensor::from_array([1.0, -1.0]);
//! let x: Vector<2> = Tensor::from_array([1.0, 1.0]);
//! let gs = gradient(|(w, b)| (w.matmul(&x) + b).sum(), params((&w, &b)));
//! assert_eq!(gs[&w], Matrix::ones());
//! assert_eq!(gs[&b], Vector::ones());
//! ```
//!
//! # Using a value twice
//!
//! Operations consume traced values, and their values move into the
//! pullbacks that need them, so nothing is copied behind the user's back. A
//! value used twice is [`clone`](Clone::clone)d: the gradient is still right,
//! but the backward pass of everything before the clone runs once per use.
//! Prefer the single-use form where one exists: `d.square()`, not
//! `d.clone() * d`.
//!
//! # Control flow
//!
//! Ordinary Rust code with runtime branches works as long as every branch
//! returns the same traced type: the same operations in the same order,
//! elementwise operations of the table (which all have one rule, so
//! `x.exp()` and `x.tanh()` have one type, as does [`Traced::unary`] with a
//! runtime [`UnaryOp`](typeflux_core::UnaryOp)), or a scalar chosen at run
//! time.
//!
//! ```
//! use typeflux_ad::reverse::gradient;
//! use typeflux_core::prelude::*;
//!
//! let x = Vector::<3>::ones();
//! for scale in [2.0, -1.0] {
//!     let g = gradient(|x| (if scale > 0.0 { x * scale } else { x * -scale }).sum(), &x);
//!     assert_eq!(g, Vector::full(scale.abs()));
//! }
//! ```
//!
//! Branches that apply different operations build different types, and do
//! not compile as they stand:
//!
//! ```compile_fail,E0308
//! use typeflux_ad::reverse::gradient;
//! use typeflux_core::prelude::*;
//!
//! let x = Vector::<3>::ones();
//! let g = gradient(|x| (if true { x.exp() } else { x * 2.0 }).sum(), &x);
//! ```
//!
//! Ending the two branches in [`Traced::left`] and [`Traced::right`] gives
//! them one type, [`Either`] of the two backward passes, and the backward
//! pass follows the branch that was taken:
//!
//! ```
//! use typeflux_ad::reverse::gradient;
//! use typeflux_core::prelude::*;
//!
//! let x = Vector::<3>::ones();
//! let g = gradient(|x| (if true { x.exp().left() } else { (x * 2.0).right() }).sum(), &x);
//! assert_eq!(g, x.exp());
//! ```
//!
//! A loop whose trip count is known only at run time changes the type with
//! every iteration and cannot be traced at all. Such code belongs to the
//! scalar tape, [`crate::tape`], which records the path taken at run time;
//! the recorded graph is confined to that module.
//!
//! # What is kept and what is allocated
//!
//! A pullback keeps only what its derivative needs (an elementwise
//! operation its derivative, computed in the same pass as its value; `+`
//! nothing; a product each operand for the other's gradient). An operation
//! with a constant operand keeps only the pullback toward the traced one.
//! The backward pass allocates the cotangents and nothing else; cotangents
//! that are no longer needed lend their buffers to the next one where the
//! shapes allow. The cotangent of a sum or a mean stays one scalar, a
//! [`Fill`], until it meets a tensor: the gradient of `(x - y).sum_squares()`
//! scales the `x - y` that the fused rule kept, in place, and that buffer
//! becomes `x̄`. Of a binary pullback, the right half borrows the cotangent
//! and the left half then takes it, so `ȳ = -x̄` is one pass and no copy.
//! The pullbacks of `max`, `max_along` and `concat` pass through host
//! memory (the device has no comparison or slicing kernel), and
//! [`Traced::map`] and [`Traced::zip_map`] run on the CPU.
//!
//! # Layers and chains
//!
//! Layers are written on these rules (typeflux-nn's `Dense` is the fused
//! rule [`rules::dense`]; its `Chain` joins its members' backward passes
//! into one [`ChainNode`]), so a model is differentiated by the same
//! [`gradient`] as any other code, and a model of the model's own type
//! comes back.

mod chain;
mod descend;
mod fill;
mod gradient;
mod input;
mod methods;
mod node;
mod ops;
mod params;
mod pullback;
pub mod rules;
mod slots;
mod traced;

pub use chain::{ChainNode, Choose, Member, Members, OwnSlots, Pick, RepeatNode, Shared};
pub use descend::{Descend, StepSlot, descend};
pub use fill::{Cotangent, Fill};
pub use gradient::{gradient, pullback, value_and_gradient};
pub use input::{Fields, Input, Reverse, fields, model};
pub use node::{
    Backward, Bool, Combine, Constant, Either, Hole, Join, Join3, LayerNode, Leaf, No, Node,
    Optional, OuterProduct, Product, Then, Tracked, Tracks, Yes,
};
pub use params::{GradList, Grads, ParamKeys, ParamList, Params, params};
pub use pullback::{Both, Identity, Pullback};
pub use slots::{Accumulate, Field, Locate, Root, Step, TensorSlot, WithHole};
pub use traced::{IntoTraced, Operand, Param, Traced};
