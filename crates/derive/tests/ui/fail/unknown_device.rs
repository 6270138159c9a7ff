use tf::functor::Functor;

#[derive(Functor)]
#[functor(device = Dev)]
struct Layer<D> {
    weight: D,
}

fn main() {}
