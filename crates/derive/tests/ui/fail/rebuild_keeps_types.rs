use tf::functor::{Functor, functor};

/// `T` has a bound, so `t` keeps its type when rebuilt.
#[derive(Functor)]
struct Bounded<T: Copy> {
    t: T,
}

/// `weight` is not a bare type parameter.
#[derive(Functor)]
struct Dense {
    weight: Vec<f32>,
}

fn main() {
    let (_, re) = functor(Bounded { t: 1 });
    let _ = re(("one",));
    let (_, re) = functor(Dense { weight: vec![1.0] });
    let _ = re((vec!["one"],));
}
