use tf::functor::Functor;

#[derive(Functor)]
#[functor(0, 2)]
struct Pair(f32, f32);

#[derive(Functor)]
#[functor(weight)]
struct Unnamed(f32);

fn main() {}
