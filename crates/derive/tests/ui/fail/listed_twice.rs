use tf::functor::Functor;

#[derive(Functor)]
#[functor(a, a)]
struct Twice {
    a: i32,
}

fn main() {}
