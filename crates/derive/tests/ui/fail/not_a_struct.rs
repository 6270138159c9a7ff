use tf::functor::Functor;

#[derive(Functor)]
enum Layer {
    Dense(f32),
    Identity,
}

fn main() {}
