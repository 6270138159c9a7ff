//! The derive's `ToDevice`: a device parameter found by its bound, or named;
//! fields that mention it move, the others are cloned.
use tf::functor::Functor;
use tf::{Cpu, Device, Stack, Tensor, ToDevice, Vector};

#[derive(Functor, Clone)]
struct Scaled<const N: usize, D: Device = Cpu> {
    w: Vector<N, f64, D>,
    #[functor(skip)]
    name: String,
    scale: f64,
}

#[derive(Functor)]
#[functor(device = Dv)]
struct Pair<Dv>(Tensor<(tf::Const<2>,), f32, Dv>, String)
where
    Dv: Device;

fn main() {
    let s = Scaled::<3> { w: Vector::ones(), name: "s".into(), scale: 2.0 };
    let t: Scaled<3, Stack> = s.to_device(&Stack);
    assert_eq!((t.name.as_str(), t.scale, t.w.to_vec()), ("s", 2.0, vec![1.0; 3]));
    let p = Pair(Vector::<2>::zeros(), "p".to_owned());
    let q: Pair<Stack> = p.to_device(&Stack);
    assert_eq!(q.1, "p");
}
