use tf::functor::Functor;

struct Config;

#[derive(Functor)]
struct Layer {
    weight: f32,
    config: Config,
}

fn main() {}
