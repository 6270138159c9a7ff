use tf::functor::Functor;
use tf::{Device, Tensor, Const};

#[derive(Functor)]
struct Bridge<A: Device, B: Device> {
    left: Tensor<(Const<2>,), f32, A>,
    right: Tensor<(Const<2>,), f32, B>,
}

fn main() {}
