use tf::functor::Functor;

#[derive(Functor)]
#[functor(a, d)]
struct TwoThirds {
    a: i32,
    b: i32,
    c: i32,
}

fn main() {}
