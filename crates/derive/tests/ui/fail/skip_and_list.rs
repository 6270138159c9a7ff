use tf::functor::Functor;

#[derive(Functor)]
#[functor(a)]
struct Both {
    a: i32,
    #[functor(skip)]
    b: i32,
}

#[derive(Functor)]
#[functor(skip)]
struct SkipOnStruct {
    a: i32,
}

#[derive(Functor)]
struct Misspelt {
    #[functor(skp)]
    a: i32,
}

fn main() {}
