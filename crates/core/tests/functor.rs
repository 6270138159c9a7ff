//! `#[derive(Functor)]` and the walks built on it: the examples of Functors.jl's
//! `@functor` docs, paths for weight files, walks over tensors and lock-step
//! walks for optimisers.

use std::any::Any;
use typeflux_core::functor::{
    self, Functor, Leaf, Mapper, Mut, Path, Rebuild, Ref, Visitor, children, fmap, fmap_with,
    visit, visit_mut, walk,
};
use typeflux_core::{Element, Kernels, Matrix, Shape, Tensor, Vector};

// ---- The seed's examples -------------------------------------------------

#[derive(Functor, Debug, PartialEq, Clone)]
struct Foo<X, Y> {
    x: X,
    y: Y,
}

#[derive(Functor, Debug, PartialEq)]
#[functor(a, c)]
struct TwoThirds<A, B, C> {
    a: A,
    b: B,
    c: C,
}

#[derive(Functor, Debug, PartialEq)]
struct TwoThirdsSkip<A, B, C> {
    a: A,
    #[functor(skip)]
    b: B,
    c: C,
}

#[derive(Functor, Debug, PartialEq)]
struct OneChild3 {
    #[functor(skip)]
    x: i32,
    y: i32,
    #[functor(skip)]
    z: i32,
}

#[test]
fn children_of_foo_are_its_fields_with_names() {
    let foo = Foo { x: 1, y: 2 };
    assert_eq!(children(&foo), (&1, &2));
    assert_eq!(Foo::<i32, i32>::NAMES, ["x", "y"]);
    assert_eq!(foo.into_children(), ((1, 2), ()));
}

#[test]
fn functor_of_foo_rebuilds_from_new_children() {
    let (ch, re) = functor::functor(Foo { x: 1, y: 2 });
    assert_eq!(ch, (1, 2));
    assert_eq!(re((10, 20)), Foo { x: 10, y: 20 });
}

#[test]
fn two_thirds_children_are_the_listed_fields() {
    let (ch2, re3) = functor::functor(TwoThirds {
        a: 10,
        b: 20,
        c: 30,
    });
    assert_eq!(ch2, (10, 30));
    assert_eq!(TwoThirds::<i32, i32, i32>::NAMES, ["a", "c"]);
    // Type-changing: the children are bare type parameters used nowhere else.
    let rebuilt: TwoThirds<&str, i32, &str> = re3(("ten", "thirty"));
    assert_eq!(
        rebuilt,
        TwoThirds {
            a: "ten",
            b: 20,
            c: "thirty"
        }
    );
}

#[test]
fn skip_on_a_field_is_the_same_as_listing_the_others() {
    let (ch2, re3) = functor::functor(TwoThirdsSkip {
        a: 10,
        b: 20,
        c: 30,
    });
    assert_eq!(ch2, (10, 30));
    assert_eq!(TwoThirdsSkip::<i32, i32, i32>::NAMES, ["a", "c"]);
    assert_eq!(
        re3(("ten", "thirty")),
        TwoThirdsSkip {
            a: "ten",
            b: 20,
            c: "thirty"
        }
    );
}

#[test]
fn fmap_recurses_into_children_and_leaves_the_rest() {
    let m = TwoThirds {
        a: Foo { x: 1, y: 2 },
        b: Foo { x: 3, y: 4 },
        c: 56,
    };
    assert_eq!(
        fmap(|x: i32| 10 * x, m),
        TwoThirds {
            a: Foo { x: 10, y: 20 },
            b: Foo { x: 3, y: 4 },
            c: 560
        }
    );
}

#[test]
fn fmap_one_child3_doubles_only_y() {
    assert_eq!(
        fmap(|x: i32| 2 * x, OneChild3 { x: 1, y: 2, z: 3 }),
        OneChild3 { x: 1, y: 4, z: 3 }
    );
}

#[test]
fn fmap_maps_only_leaves_of_the_closures_type() {
    let m = (
        Foo {
            x: 1_i32,
            y: 2.5_f64,
        },
        vec![3_i32, 4],
        "label",
        Some(5.0_f32),
    );
    assert_eq!(
        fmap(|x: f64| -x, m.clone()),
        (Foo { x: 1, y: -2.5 }, vec![3, 4], "label", Some(5.0))
    );
    assert_eq!(
        fmap(|x: i32| x + 1, m.clone()),
        (Foo { x: 2, y: 2.5 }, vec![4, 5], "label", Some(5.0))
    );
    assert_eq!(
        fmap(|s: &str| if s == "label" { "new" } else { s }, m.clone()).2,
        "new"
    );
    assert_eq!(fmap(|x: u8| x, m.clone()), m);
}

// ---- The derive on every kind of struct ----------------------------------

#[derive(Functor, Debug, PartialEq)]
struct Pair(f32, f32);

#[derive(Functor, Debug, PartialEq)]
#[functor(2, 0)]
struct Triple<A, B, C>(A, B, C);

#[derive(Functor, Debug, PartialEq)]
struct Unit;

/// Functors.jl's `@functor Frozen ()`: fields, but no children.
#[derive(Functor, Debug, PartialEq)]
#[functor()]
struct Frozen {
    weight: f32,
    scale: f64,
}

#[derive(Functor, Debug, PartialEq)]
struct Empty {}

/// Not a functor: fine in a field that is skipped.
#[derive(Debug, PartialEq)]
struct Config {
    name: &'static str,
}

#[derive(Functor)]
struct WithConfig {
    weight: f32,
    #[functor(skip)]
    config: Config,
    #[functor(skip)]
    activation: fn(f32) -> f32,
}

/// Bounds and where clauses are kept; a parameter with a bound keeps its type.
#[derive(Functor, Debug, PartialEq)]
struct Bounded<T: Copy + Default, U>
where
    U: Clone,
{
    t: T,
    u: U,
    #[functor(skip)]
    default: T,
}

#[derive(Functor, Debug, PartialEq)]
struct Buffer<const N: usize> {
    data: [f32; N],
}

#[derive(Functor, Debug, PartialEq)]
struct Borrowing<'a> {
    value: f64,
    #[functor(skip)]
    label: &'a str,
}

#[derive(Functor, Debug, PartialEq)]
struct Keyword {
    r#type: f32,
}

#[test]
fn tuple_structs_are_named_by_index() {
    assert_eq!(children(&Pair(1.0, 2.0)), (&1.0, &2.0));
    assert_eq!(Pair::NAMES, ["0", "1"]);
    assert_eq!(fmap(|x: f32| x * 3.0, Pair(1.0, 2.0)), Pair(3.0, 6.0));
}

#[test]
fn a_list_on_a_tuple_struct_uses_indices_in_its_order() {
    let (ch, re) = functor::functor(Triple(1, "b", 3.0));
    assert_eq!(ch, (3.0, 1));
    assert_eq!(Triple::<i32, &str, f64>::NAMES, ["2", "0"]);
    assert_eq!(re(("c", 'a')), Triple('a', "b", "c"));
    assert_eq!(leaf_names(&Triple(1, "b", 3.0)), ["2", "0"]);
}

#[test]
fn an_empty_list_means_no_children() {
    let frozen = Frozen {
        weight: 2.0,
        scale: 3.0,
    };
    assert_eq!(children(&frozen), ());
    assert_eq!(Frozen::NAMES, [] as [&str; 0]);
    assert!(leaf_names(&frozen).is_empty());
    // fmap passes over it: neither field is a child.
    assert_eq!(fmap(|x: f32| x * 10.0, (1.0f32, frozen)).1.weight, 2.0);
    let (ch, re) = functor::functor(Frozen {
        weight: 5.0,
        scale: 6.0,
    });
    assert_eq!(ch, ());
    assert_eq!(
        re(()),
        Frozen {
            weight: 5.0,
            scale: 6.0
        }
    );
}

#[test]
fn structs_without_children_are_rebuilt_as_they_were() {
    assert_eq!(children(&Unit), ());
    assert_eq!(Unit::NAMES, [] as [&str; 0]);
    assert_eq!(functor::functor(Unit).1(()), Unit);
    assert_eq!(fmap(|x: i32| x, Empty {}), Empty {});
    assert!(leaf_names(&Unit).is_empty());
}

#[test]
fn skipped_fields_need_no_functor_impl() {
    fn double(x: f32) -> f32 {
        2.0 * x
    }
    let m = WithConfig {
        weight: 1.5,
        config: Config { name: "dense" },
        activation: double,
    };
    assert_eq!(leaf_names(&m), ["weight"]);
    let m = fmap(|w: f32| w + 1.0, m);
    assert_eq!(m.weight, 2.5);
    assert_eq!(m.config, Config { name: "dense" });
    assert_eq!((m.activation)(2.0), 4.0);
}

#[test]
fn bounded_parameters_keep_their_types() {
    let b = Bounded {
        t: 1_u8,
        u: 2.0_f64,
        default: 0,
    };
    assert_eq!(children(&b), (&1, &2.0));
    let (ch, re) = functor::functor(b);
    assert_eq!(ch, (1, 2.0));
    let rebuilt: Bounded<u8, f64> = re((7, 8.0));
    assert_eq!(
        rebuilt,
        Bounded {
            t: 7,
            u: 8.0,
            default: 0
        }
    );
    // `U` is bounded only in the where clause, so it stays too.
    fn output_is_self<T: Rebuild<(u8, f64), Output = T>>() {}
    output_is_self::<Bounded<u8, f64>>();
}

/// One parameter for two children, a default, and a const parameter after it.
#[derive(Functor, Debug, PartialEq)]
struct Shared<T = f32, const N: usize = 2> {
    x: T,
    y: T,
    n: [u8; N],
}

#[test]
fn a_parameter_shared_by_children_changes_for_all_of_them() {
    let (ch, re) = functor::functor(Shared {
        x: 1.0,
        y: 2.0,
        n: [3, 4],
    });
    assert_eq!(ch, (1.0, 2.0, [3, 4]));
    let rebuilt: Shared<&str, 2> = re(("one", "two", [5, 6]));
    assert_eq!(
        rebuilt,
        Shared {
            x: "one",
            y: "two",
            n: [5, 6]
        }
    );
}

#[test]
fn const_generic_structs() {
    let b = Buffer {
        data: [1.0, 2.0, 3.0],
    };
    assert_eq!(leaf_names(&b), ["data.0", "data.1", "data.2"]);
    assert_eq!(
        fmap(|x: f32| -x, b),
        Buffer {
            data: [-1.0, -2.0, -3.0]
        }
    );
}

#[test]
fn structs_with_lifetimes() {
    let label = String::from("borrowed");
    let b = Borrowing {
        value: 1.0,
        label: &label,
    };
    assert_eq!(leaf_names(&b), ["value"]);
    assert_eq!(
        fmap(|x: f64| x + 1.0, b),
        Borrowing {
            value: 2.0,
            label: "borrowed"
        }
    );
}

#[test]
fn raw_identifiers_are_named_without_r_hash() {
    assert_eq!(Keyword::NAMES, ["type"]);
    assert_eq!(leaf_names(&Keyword { r#type: 1.0 }), ["type"]);
}

/// A re-export, as a user crate that reaches typeflux through another crate
/// would have it.
mod reexport {
    pub use typeflux_core as tf;
}

#[derive(Functor, Debug, PartialEq)]
#[functor(crate = reexport::tf)]
struct ThroughReexport {
    w: f32,
}

#[derive(Functor, Debug, PartialEq)]
#[functor(crate = ::typeflux_core, w)]
struct ExplicitCrateAndList {
    w: f32,
    v: f32,
}

#[test]
fn the_crate_path_can_be_given() {
    assert_eq!(
        fmap(|x: f32| x * 2.0, ThroughReexport { w: 1.0 }),
        ThroughReexport { w: 2.0 }
    );
    assert_eq!(ExplicitCrateAndList::NAMES, ["w"]);
}

// ---- Containers ------------------------------------------------------------

#[test]
fn containers_are_their_own_children() {
    assert_eq!(children(&Some(1)), Some(&1));
    assert_eq!(children(&None::<i32>), None);
    assert_eq!(children(&vec![1, 2]), &[1, 2][..]);
    assert_eq!(children(&[1, 2]), &[1, 2]);
    assert_eq!(children(&(1, "a")), (&1, &"a"));
    assert_eq!(<(i32, i32, i32)>::NAMES, ["0", "1", "2"]);
    assert_eq!(functor::functor(vec![1, 2]).1(vec!["a"]), vec!["a"]);
    assert_eq!(functor::functor(Some(1)).1(Some('x')), Some('x'));
    assert_eq!(functor::functor((1, 2)).1(("a", 'b')), ("a", 'b'));
    assert_eq!(functor::functor([1, 2]).1([3.0, 4.0]), [3.0, 4.0]);
}

#[test]
fn leaves_have_no_children_and_rebuild_to_themselves() {
    assert_eq!(children(&1.5_f32), ());
    assert_eq!(functor::functor(7_usize).1(()), 7);
    assert_eq!(functor::functor(String::from("s")).1(()), "s");
}

#[test]
fn tuples_of_one_and_sixteen_elements() {
    assert_eq!(leaf_names(&(1,)), ["0"]);
    let sixteen = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let names = leaf_names(&sixteen);
    assert_eq!(names.len(), 16);
    assert_eq!(names[15], "15");
    let doubled = fmap(|x: i32| 2 * x, sixteen);
    assert_eq!((doubled.0, doubled.15), (0, 30));
    let rebuilt = functor::functor(sixteen).1(doubled);
    assert_eq!((rebuilt.0, rebuilt.15), (0, 30));
}

#[test]
fn a_user_leaf_type() {
    #[derive(Debug, PartialEq, Clone, Copy)]
    enum Activation {
        Relu,
        Tanh,
    }
    impl Leaf for Activation {}

    let m = (Activation::Relu, 1.0_f32);
    assert_eq!(leaf_names(&m), ["0", "1"]);
    let swapped = fmap(|_: Activation| Activation::Tanh, m);
    assert_eq!(swapped, (Activation::Tanh, 1.0));
}

// ---- Paths -----------------------------------------------------------------

/// Every leaf's path, tensors included.
fn leaf_names<T: Functor>(x: &T) -> Vec<String> {
    struct Names(Vec<String>);
    impl Visitor for Names {
        type Access = Ref;
        fn tensor<S: Shape, E: Element, D: Kernels<E>>(
            &mut self,
            path: &Path,
            _: &Tensor<S, E, D>,
        ) {
            self.0.push(path.to_string());
        }
        fn leaf<L: Leaf>(&mut self, path: &Path, _: &L) {
            self.0.push(path.to_string());
        }
    }
    let mut names = Names(Vec::new());
    visit(x, &mut names);
    names.0
}

#[derive(Functor, Debug, PartialEq, Clone)]
struct Affine<const I: usize, const O: usize> {
    weight: Matrix<O, I>,
    bias: Option<Vector<O>>,
}

impl<const I: usize, const O: usize> Affine<I, O> {
    fn new(bias: bool) -> Self {
        Affine {
            weight: Tensor::from_fn((typeflux_core::Const, typeflux_core::Const), |[r, c]| {
                (r * I + c) as f32
            }),
            bias: bias.then(Vector::<O>::ones),
        }
    }
}

#[test]
fn paths_are_tuple_positions_then_field_names() {
    let chain = (
        (Affine::<3, 2>::new(true), Affine::<2, 2>::new(false)),
        Affine::<2, 1>::new(true),
    );
    assert_eq!(
        leaf_names(&chain),
        ["0.0.weight", "0.0.bias", "0.1.weight", "1.weight", "1.bias"]
    );

    let chain = (Affine::<3, 2>::new(true), Affine::<2, 1>::new(true));
    assert_eq!(
        leaf_names(&chain),
        ["0.weight", "0.bias", "1.weight", "1.bias"]
    );
}

#[test]
fn vec_elements_are_named_by_index() {
    #[derive(Functor)]
    struct Stack {
        layers: Vec<Affine<2, 2>>,
    }
    let stack = Stack {
        layers: vec![Affine::new(false), Affine::new(true)],
    };
    assert_eq!(
        leaf_names(&stack),
        ["layers.0.weight", "layers.1.weight", "layers.1.bias"]
    );
}

#[test]
fn a_walk_can_start_below_the_root() {
    struct Names(Vec<String>);
    impl Visitor for Names {
        type Access = Ref;
        fn leaf<L: Leaf>(&mut self, path: &Path, _: &L) {
            self.0.push(path.to_string());
        }
    }
    let mut path = Path::new();
    path.push("encoder");
    let mut names = Names(Vec::new());
    Foo { x: 1, y: 2 }.visit(&mut path, &mut names);
    assert_eq!(names.0, ["encoder.x", "encoder.y"]);
    assert_eq!(path.as_str(), "encoder");
}

#[test]
fn one_path_buffer_serves_the_whole_walk() {
    /// Records where the path's text lives at each leaf.
    struct Addresses(Vec<*const u8>);
    impl Visitor for Addresses {
        type Access = Ref;
        fn tensor<S: Shape, E: Element, D: Kernels<E>>(
            &mut self,
            path: &Path,
            _: &Tensor<S, E, D>,
        ) {
            self.0.push(path.as_str().as_ptr());
        }
    }
    let chain = (
        Affine::<3, 2>::new(true),
        Affine::<2, 1>::new(true),
        Affine::<1, 1>::new(true),
    );
    let mut path = Path::new();
    // The first walk grows the buffer to the longest name; later ones reuse it.
    chain.visit(&mut path, &mut Addresses(Vec::new()));
    let mut addresses = Addresses(Vec::new());
    chain.visit(&mut path, &mut addresses);
    assert_eq!(addresses.0.len(), 6);
    assert!(addresses.0.iter().all(|&a| a == addresses.0[0]));
}

#[test]
fn path_push_and_pop() {
    let mut path = Path::new();
    assert_eq!(path.as_str(), "");
    path.push("0");
    path.push("weight");
    assert_eq!(path.to_string(), "0.weight");
    path.pop();
    path.push_index(12);
    assert_eq!(path.as_str(), "0.12");
    assert_eq!(format!("{path:?}"), "\"0.12\"");
    path.pop();
    path.pop();
    assert_eq!(path.as_str(), "");
}

#[test]
#[should_panic(expected = "Path::pop at the root")]
fn popping_the_root_panics() {
    Path::new().pop();
}

// ---- Tensors, and the walks an optimiser makes ----------------------------

/// Counts parameters: the optimiser and summary code's simplest visitor.
struct Count(usize);

impl Visitor for Count {
    type Access = Ref;
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, t: &Tensor<S, E, D>) {
        self.0 += t.len();
    }
}

/// Sets every tensor to zero, as before accumulating a gradient.
struct Zero;

impl Visitor for Zero {
    type Access = Mut;
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, t: &mut Tensor<S, E, D>) {
        *t = t.zeros_like();
    }
}

/// Gradient descent: `p -= lr · g` at every tensor.
struct Descent {
    lr: f64,
}

impl Visitor for Descent {
    type Access = (Mut, Ref);
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (p, g): (&mut Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        p.axpy(
            E::from_f64(-self.lr).expect("a learning rate fits any element"),
            g,
        );
    }
}

/// Momentum: `v = ρ v + g; p -= lr · v`, with the velocity a model-shaped
/// state walked along with parameters and gradient.
struct Momentum {
    lr: f64,
    rho: f64,
}

impl Visitor for Momentum {
    type Access = (Mut, Ref, Mut);
    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (p, g, v): (&mut Tensor<S, E, D>, &Tensor<S, E, D>, &mut Tensor<S, E, D>),
    ) {
        let rho = E::from_f64(self.rho).expect("ρ fits any element");
        let mut next = g.clone();
        next.axpy(rho, v);
        *v = next;
        p.axpy(
            E::from_f64(-self.lr).expect("a learning rate fits any element"),
            v,
        );
    }
}

#[test]
fn counting_parameters() {
    let chain = (Affine::<3, 2>::new(true), Affine::<2, 1>::new(false));
    let mut count = Count(0);
    visit(&chain, &mut count);
    assert_eq!(count.0, 6 + 2 + 2);
}

#[test]
fn zeroing_through_visit_mut() {
    let mut chain = (Affine::<3, 2>::new(true), Affine::<2, 1>::new(true));
    visit_mut(&mut chain, &mut Zero);
    assert!(
        chain
            .0
            .weight
            .iter()
            .chain(chain.1.bias.as_ref().unwrap().iter())
            .all(|&x| x == 0.0)
    );
}

#[test]
fn descent_walks_parameters_and_gradient_together() {
    let mut model = (Affine::<2, 2>::new(true), Affine::<2, 1>::new(true));
    let before = model.clone();
    let mut grad = model.clone();
    visit_mut(&mut grad, &mut Zero);
    grad.0.weight[[1, 0]] = 10.0;
    grad.1.bias = Some(Vector::from_array([-10.0]));

    walk((&mut model, &grad), &mut Descent { lr: 0.1 });

    assert_eq!(model.0.weight[[1, 0]], before.0.weight[[1, 0]] - 1.0);
    assert_eq!(model.0.weight[[0, 0]], before.0.weight[[0, 0]]);
    assert_eq!(model.1.bias.as_ref().unwrap()[0], 2.0);
    assert_eq!(model.1.weight, before.1.weight);
}

#[test]
fn momentum_walks_three_structures() {
    let mut model = Affine::<1, 1>::new(true);
    let grad = Affine {
        weight: Matrix::from_array([[1.0]]),
        bias: Some(Vector::from_array([2.0])),
    };
    let mut velocity = grad.clone();
    visit_mut(&mut velocity, &mut Zero);
    let mut step = Momentum { lr: 0.5, rho: 0.5 };

    walk((&mut model, &grad, &mut velocity), &mut step);
    assert_eq!((velocity.weight[[0, 0]], model.weight[[0, 0]]), (1.0, -0.5));
    walk((&mut model, &grad, &mut velocity), &mut step);
    assert_eq!(
        (velocity.weight[[0, 0]], model.weight[[0, 0]]),
        (1.5, -1.25)
    );
    assert_eq!(model.bias.unwrap()[0], 1.0 - 1.0 - 1.5);
}

#[test]
fn four_structures_in_lock_step() {
    /// Adam's moments, without bias correction: the shape of its walk.
    struct Moments;
    impl Visitor for Moments {
        type Access = (Mut, Ref, Mut, Mut);
        fn leaf<L: Leaf>(&mut self, _: &Path, (p, g, m, v): (&mut L, &L, &mut L, &mut L)) {
            let [p, m, v] = [p, m, v].map(|x| (x as &mut dyn Any).downcast_mut::<f64>().unwrap());
            let g = (g as &dyn Any).downcast_ref::<f64>().unwrap();
            *m = 0.9 * *m + 0.1 * g;
            *v = 0.9 * *v + 0.1 * g * g;
            *p -= *m / v.sqrt();
        }
    }
    let mut p = Foo { x: 1.0, y: 1.0 };
    let (mut m, mut v) = (Foo { x: 0.0, y: 0.0 }, Foo { x: 0.0, y: 0.0 });
    walk(
        (&mut p, &Foo { x: 2.0, y: -4.0 }, &mut m, &mut v),
        &mut Moments,
    );
    assert_eq!(m, Foo { x: 0.2, y: -0.4 });
    assert!((p.x - (1.0 - 0.2 / 0.4_f64.sqrt())).abs() < 1e-12);
    assert!((p.y - (1.0 + 0.4 / 1.6_f64.sqrt())).abs() < 1e-12);
}

#[test]
fn an_absent_gradient_leaves_its_parameter_alone() {
    let mut model = Affine::<1, 1>::new(true);
    let grad = Affine {
        weight: Matrix::from_array([[1.0]]),
        bias: None,
    };
    walk((&mut model, &grad), &mut Descent { lr: 1.0 });
    assert_eq!((model.weight[[0, 0]], model.bias.unwrap()[0]), (-1.0, 1.0));
}

#[test]
#[should_panic(expected = "`Vec`s walked together differ in length at `layers`")]
fn vecs_of_different_lengths_cannot_be_walked_together() {
    #[derive(Functor)]
    struct Stack {
        layers: Vec<f64>,
    }
    struct Nothing;
    impl Visitor for Nothing {
        type Access = (Mut, Ref);
    }
    let mut a = Stack {
        layers: vec![1.0, 2.0],
    };
    walk((&mut a, &Stack { layers: vec![1.0] }), &mut Nothing);
}

#[test]
fn fmap_over_tensors_of_one_type() {
    let chain = (Affine::<2, 2>::new(true), Affine::<2, 1>::new(true));
    let doubled = fmap(
        |w: Matrix<2, 2>| w.scalar_op(typeflux_core::BinaryOp::Mul, 2.0),
        chain.clone(),
    );
    assert_eq!(doubled.0.weight.as_slice(), &[0.0, 4.0, 2.0, 6.0]);
    assert_eq!(doubled.0.bias, chain.0.bias);
    assert_eq!(doubled.1, chain.1);
}

#[test]
fn a_mapper_sees_paths_and_every_tensor_type() {
    /// Loads tensors by name from a flat list, as a weight file would.
    struct Load(Vec<(&'static str, Vec<f32>)>);
    impl Mapper for Load {
        fn tensor<S: Shape, E: Element, D: Kernels<E>>(
            &mut self,
            path: &Path,
            t: Tensor<S, E, D>,
        ) -> Tensor<S, E, D> {
            let Some((_, values)) = self.0.iter().find(|(name, _)| *name == path.as_str()) else {
                return t;
            };
            let values: Vec<E> = values.iter().map(|&v| E::from_f32(v).unwrap()).collect();
            Tensor::from_parts(t.shape(), t.device().upload(&values), t.device().clone())
        }
    }
    let chain = (Affine::<1, 1>::new(true), Affine::<1, 2>::new(true));
    let loaded = fmap_with(
        &mut Load(vec![("0.bias", vec![7.0]), ("1.weight", vec![8.0, 9.0])]),
        chain.clone(),
    );
    assert_eq!(loaded.0.weight, chain.0.weight);
    assert_eq!(loaded.0.bias.unwrap().as_slice(), &[7.0]);
    assert_eq!(loaded.1.weight.as_slice(), &[8.0, 9.0]);
}

#[test]
fn a_tensor_is_a_leaf() {
    let t = Vector::<3>::ones();
    assert_eq!(children(&t), ());
    assert_eq!(functor::functor(t.clone()).1(()), t);
    assert_eq!(leaf_names(&t), [""]);
}
