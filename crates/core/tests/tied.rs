//! Tied nodes in walks: each is met once, at its first path; `fmap` maps it
//! once and keeps the tie; several structures walked together step into
//! their tied nodes together.

use typeflux_core::functor::{
    Mut, Path, Ref, Tied, Visitor, deep_clone, fcollect, fmap, fmap_elements, named_tensors, visit,
    walk,
};
use typeflux_core::prelude::*;
use typeflux_core::{Element, Kernels, Shape};

/// The path of every tensor, in the order of the walk.
struct Names(Vec<String>);

impl Visitor for Names {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, path: &Path, _: &Tensor<S, E, D>) {
        self.0.push(path.to_string());
    }
}

fn names(x: &impl typeflux_core::functor::Functor) -> Vec<String> {
    let mut names = Names(Vec::new());
    visit(x, &mut names);
    names.0
}

#[test]
fn a_tied_tensor_is_visited_once_at_its_first_path() {
    let a = Tied::new(Vector::<2, f64>::ones());
    let b = Tied::new(Vector::<2, f64>::zeros());
    let model = (b.clone(), (a.clone(), Some(b.clone())), vec![a.clone(), a]);
    assert_eq!(names(&model), ["0", "1.0"]);
    // Each walk starts afresh.
    assert_eq!(names(&model), ["0", "1.0"]);
    assert_eq!(fcollect::<f64>(&model), ["", "0", "1", "1.0"]);
}

#[test]
fn untied_copies_are_visited_at_every_place() {
    let v = Vector::<2, f64>::ones();
    let tied = Tied::new(v.clone());
    assert_eq!(names(&(tied.clone(), tied)), ["0"]);
    // Two ties of equal values are two nodes.
    assert_eq!(names(&(Tied::new(v.clone()), Tied::new(v))), ["0", "1"]);
}

#[test]
fn a_tie_inside_a_tie_is_met_once() {
    let inner = Tied::new(Vector::<2, f64>::ones());
    let outer = Tied::new((inner.clone(), Vector::<3, f64>::ones()));
    let model = (outer.clone(), inner, outer);
    assert_eq!(names(&model), ["0.0", "0.1"]);

    let mapped = fmap_elements(|x: f64| x + 1.0, model);
    assert!(Tied::ptr_eq(&mapped.0, &mapped.2));
    assert!(Tied::ptr_eq(&mapped.0.read().0, &mapped.1));
    assert_eq!(mapped.1.read().to_vec(), [2.0, 2.0]);
    assert_eq!(mapped.0.read().1.to_vec(), [2.0; 3]);
}

#[test]
fn fmap_maps_a_tied_node_once_into_one_new_handle() {
    let old = Tied::new(Vector::<2, f64>::from_array([1.0, 2.0]));
    let model = (old.clone(), Vector::<2, f64>::ones(), old.clone());
    let mut calls = 0;
    let new = fmap(
        |v: Vector<2, f64>| {
            calls += 1;
            v * 10.0
        },
        model,
    );
    assert_eq!(calls, 2);
    assert!(Tied::ptr_eq(&new.0, &new.2));
    assert!(!Tied::ptr_eq(&new.0, &old));
    assert_eq!(new.0.read().to_vec(), [10.0, 20.0]);
    assert_eq!(old.read().to_vec(), [1.0, 2.0]);
    assert_eq!(new.1.to_vec(), [10.0, 10.0]);
}

#[test]
fn many_ties_map_each_to_a_handle_of_its_own() {
    let model: Vec<Tied<Vector<2, f64>>> =
        (0..50).map(|i| Tied::new(Vector::full(i as f64))).collect();
    let new = fmap(|v: Vector<2, f64>| v + 1.0, model);
    for (i, tied) in new.iter().enumerate() {
        assert_eq!(tied.read().to_vec(), [i as f64 + 1.0; 2]);
    }
    assert_eq!(names(&new).len(), 50);
}

#[test]
fn deep_clone_keeps_ties_and_shares_nothing() {
    let a = Tied::new(Vector::<2, f64>::ones());
    let model = (a.clone(), a);
    let copy = deep_clone(&model);
    assert!(Tied::ptr_eq(&copy.0, &copy.1));
    copy.0.write()[0] = 5.0;
    assert_eq!(model.1.read()[0], 1.0);
    assert_eq!(copy.1.read()[0], 5.0);
}

/// `p += g · h` over three structures, and over four with a count.
struct Step3;

impl Visitor for Step3 {
    type Access = (Mut, Ref, Ref);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (p, g, h): (&mut Tensor<S, E, D>, &Tensor<S, E, D>, &Tensor<S, E, D>),
    ) {
        *p += &(g * h);
    }
}

struct Step4(usize);

impl Visitor for Step4 {
    type Access = (Mut, Ref, Mut, Ref);

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(
        &mut self,
        _: &Path,
        (p, g, m, _): (
            &mut Tensor<S, E, D>,
            &Tensor<S, E, D>,
            &mut Tensor<S, E, D>,
            &Tensor<S, E, D>,
        ),
    ) {
        *m += g;
        *p -= &*m;
        self.0 += 1;
    }
}

#[test]
fn structures_walked_together_enter_their_tied_nodes_together() {
    let tied = |x: f64| {
        let t = Tied::new(Vector::<2, f64>::full(x));
        (t.clone(), Vector::<1, f64>::full(x), t)
    };
    let mut p = tied(1.0);
    let g = tied(2.0);
    let h = tied(3.0);
    walk::<_, Step3>((&mut p, &g, &h), &mut Step3);
    assert_eq!(p.0.read().to_vec(), [7.0, 7.0]);
    assert_eq!(p.1.to_vec(), [7.0]);

    let mut m = tied(0.0);
    let mut step = Step4(0);
    walk::<_, Step4>((&mut p, &g, &mut m, &h), &mut step);
    assert_eq!(step.0, 2, "the tied tensor once, the other once");
    assert_eq!(p.2.read().to_vec(), [5.0, 5.0]);
    assert_eq!(m.2.read().to_vec(), [2.0, 2.0]);
}

#[test]
fn named_tensors_hold_a_tied_tensor_once() {
    let t = Tied::new(Matrix::<2, 2>::ones());
    let model = (t.clone(), Vector::<2>::zeros(), t);
    let tensors = named_tensors::<f32>(&model);
    assert_eq!(tensors.len(), 2);
    assert_eq!(
        (tensors[0].name.as_str(), tensors[1].name.as_str()),
        ("0", "1")
    );
}

#[test]
fn paths_are_equal_by_their_names() {
    let mut a = Path::new();
    a.push("0");
    let mut b = Path::new();
    b.push("0");
    assert_eq!(a, b);
    b.pop();
    b.push("1");
    assert_ne!(a, b);
}

#[test]
fn handles_compare_by_value_and_print_what_they_hold() {
    let a = Tied::new(3.0);
    let b = Tied::new(3.0);
    assert_eq!(a, b);
    assert!(!Tied::ptr_eq(&a, &b));
    assert_eq!(format!("{a:?}"), "Tied(3.0)");
    {
        let _writing = a.write();
        assert_eq!(format!("{b:?}"), "Tied(3.0)");
        assert_eq!(format!("{a:?}"), "Tied(<borrowed mutably>)");
    }
    assert_eq!(a.places(), 1);
    let c = a.clone();
    assert_eq!(a.places(), 2);
    assert_eq!(c.try_into_inner(), Err(a.clone()));
    drop(a);
    assert_eq!(b.try_into_inner().ok(), Some(3.0));
}

#[test]
fn destructure_norm_and_key_paths_see_a_tied_tensor_once() {
    use typeflux_core::functor::{destructure, norm, set_tensor_at, tensor_at};

    let t = Tied::new(Vector::<2, f64>::from_array([3.0, 4.0]));
    let mut model = (t.clone(), Vector::<1, f64>::from_array([12.0]), t);
    assert_eq!(norm(&model), 13.0);

    let (flat, rebuild) = destructure::<f64, _>(&model);
    assert_eq!(flat, [3.0, 4.0, 12.0]);
    let rebuilt = rebuild(&[1.0, 2.0, 5.0]);
    assert!(Tied::ptr_eq(&rebuilt.0, &rebuilt.2));
    assert!(!Tied::ptr_eq(&rebuilt.0, &model.0));
    assert_eq!(rebuilt.2.read().to_vec(), [1.0, 2.0]);

    set_tensor_at(&mut model, "0", &[2], &[7.0, 8.0]).unwrap();
    assert_eq!(model.2.read().to_vec(), [7.0, 8.0]);
    // The other places have no path of their own.
    assert!(tensor_at::<f64>(&model, "2").is_none());
    assert!(set_tensor_at(&mut model, "2", &[2], &[0.0, 0.0]).is_err());
}
