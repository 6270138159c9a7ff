//! Flux's "Building Layers", "Stacking It Up" and "Layer Helpers" in Rust:
//! layers as closures, an `Affine` struct, `Dense`, a fold over layers,
//! `Chain`, composition, and `@functor`'s `children`, `functor` and `fmap`.
//!
//! Run with `cargo run --release --example layers`.

use core::ops::Add;
use typeflux::gpu::{cpu, default_gpu};
use typeflux::prelude::*;
use typeflux::rand::rngs::StdRng;
use typeflux::rand::{Rng, SeedableRng};

/// Flux's `linear(in, out)`: a closure that holds its own `W` and `b`.
/// Unlike Julia's closure, the captured `W` cannot be reached from outside
/// (no `linear1.W`): that is what the `Affine` struct below is for.
fn linear<const I: usize, const O: usize, R: Rng>(
    rng: &mut R,
) -> impl Fn(&Vector<I>) -> Vector<O> + use<I, O, R> {
    let w = Matrix::<O, I>::randn(rng);
    let b = Vector::<O>::randn(rng);
    move |x| w.matmul(x) + &b
}

/// The seed's `struct Affine W; b end`, with `Flux.@functor Affine` as a
/// derive: an optimiser, a weight file, a device move and a gradient can now
/// see inside. The fields are type parameters, so that a gradient can hand
/// the layer over with traced fields; `Affine<Matrix<5, 10>, Vector<5>>` is
/// the plain layer.
#[derive(Functor, Clone, Debug)]
#[allow(non_snake_case)]
struct Affine<W, B> {
    W: W,
    b: B,
}

impl<const I: usize, const O: usize> Affine<Matrix<O, I>, Vector<O>> {
    /// `Affine(in::Integer, out::Integer) = Affine(randn(out, in), randn(out))`.
    fn new(rng: &mut StdRng) -> Self {
        Affine {
            W: Matrix::randn(rng),
            b: Vector::randn(rng),
        }
    }
}

/// `(m::Affine)(x) = m.W * x .+ m.b`: calling the struct is `forward`,
/// written once for plain and traced weights and inputs.
impl<W, B, X> Layer<X> for Affine<W, B>
where
    W: MatMul<X>,
    W::Output: Add<B>,
    B: Clone,
{
    type Output = <W::Output as Add<B>>::Output;

    fn forward(&self, x: X) -> Self::Output {
        self.W.matmul(&x) + self.b.clone()
    }
}

/// Each parameter's name and shape, from the model's flat list of tensors.
fn parameters<T: Functor>(model: &T) -> Vec<String> {
    named_tensors::<f32>(model)
        .iter()
        .map(|t| format!("{}: {:?}", t.name, t.shape))
        .collect()
}

/// The seed's `struct Foo; x; y; end` with `@functor Foo`.
#[derive(Functor, Debug, PartialEq)]
struct Foo<X, Y> {
    x: X,
    y: Y,
}

/// The seed's `struct TwoThirds a; b; c end` with `@functor TwoThirds (a, c)`.
#[derive(Functor, Debug, PartialEq)]
#[functor(a, c)]
struct TwoThirds<A, B, C> {
    a: A,
    b: B,
    c: C,
}

fn main() {
    let mut rng = StdRng::seed_from_u64(42);
    typeflux::nn::init::seed(42);

    println!("== Building layers: two linear layers by hand");
    let w1 = Matrix::<3, 5>::rand(&mut rng);
    let b1 = Vector::<3>::rand(&mut rng);
    let layer1 = |x: &Vector<5>| w1.matmul(x) + &b1;
    let w2 = Matrix::<2, 3>::rand(&mut rng);
    let b2 = Vector::<2>::rand(&mut rng);
    let layer2 = |x: &Vector<3>| w2.matmul(x) + &b2;
    let model = |x: &Vector<5>| layer2(&sigmoid.forward(layer1(x)));
    println!("model(rand(5)) = {}", model(&Vector::rand(&mut rng)));

    println!("\n== linear(in, out) returns a closure holding W and b");
    let linear1 = linear::<5, 3, _>(&mut rng);
    let linear2 = linear::<3, 2, _>(&mut rng);
    let model = |x: &Vector<5>| linear2(&sigmoid.forward(linear1(x)));
    println!("model(rand(5)) = {}", model(&Vector::rand(&mut rng)));

    println!("\n== struct Affine");
    let mut a: Affine<Matrix<5, 10>, Vector<5>> = Affine::new(&mut rng);
    println!("a(rand(10)) = {}", a.forward(&Vector::rand(&mut rng)));
    // The gradient of a loss with respect to the layer is an `Affine` of
    // the gradients, with no pullback written for it.
    let (x, y) = (Vector::<10>::rand(&mut rng), Vector::<5>::rand(&mut rng));
    let loss = |a: &Affine<Matrix<5, 10>, Vector<5>>| mse(a.forward(&x), &y).item();
    let before = loss(&a);
    for _ in 0..50 {
        let g = gradient(|m| mse(m.forward(&x), &y), &a);
        a.W.axpy(-0.1, &g.W);
        a.b.axpy(-0.1, &g.b);
    }
    println!(
        "50 steps of descent on a: loss {before:.4} -> {:.4}",
        loss(&a)
    );
    assert!(loss(&a) < before);

    println!("\n== Dense(10 => 5, σ): Affine with an activation");
    let layer = Dense::<10, 5>::new(sigmoid);
    println!(
        "Dense(10 => 5, σ)(rand(10)) = {}",
        layer.forward(Vector::rand(&mut rng))
    );

    println!("\n== Stacking it up: foldl((x, m) -> m(x), layers, init = x)");
    // A fold needs one element type. Layers of one size are one type, so an
    // array of them folds as in Julia, with the sizes still checked:
    let same_size = [
        Dense::<5, 5>::new(sigmoid),
        Dense::<5, 5>::new(sigmoid),
        Dense::<5, 5>::new(sigmoid),
    ];
    let y = same_size
        .iter()
        .fold(Vector::<5>::rand(&mut rng), |x, m| m.forward(x));
    println!("fold over [Dense(5 => 5, σ); 3] = {y}");
    // The seed's list, [Dense(10 => 5, σ), Dense(5 => 2), softmax], holds
    // layers of three types. Folding over it means forgetting the sizes:
    // each layer is boxed as a function of plain slices, and a size mismatch
    // would be found only at run time, by `try_from_slice`.
    let (d1, d2) = (Dense::<10, 5>::new(sigmoid), Dense::<5, 2>::new(identity));
    type Untyped<'a> = Box<dyn Fn(Vec<f32>) -> Vec<f32> + 'a>;
    let layers: Vec<Untyped> = vec![
        Box::new(|x| d1.forward(Vector::try_from_slice(&x).unwrap()).to_vec()),
        Box::new(|x| d2.forward(Vector::try_from_slice(&x).unwrap()).to_vec()),
        Box::new(|x| {
            softmax
                .forward(Vector::<2>::try_from_slice(&x).unwrap())
                .to_vec()
        }),
    ];
    let x = Vector::<10>::rand(&mut rng);
    let y = layers.iter().fold(x.to_vec(), |x, m| m(x));
    println!("foldl over boxed layers: {y:?}");
    // A `Chain` is the same fold over a tuple, unrolled at compile time, with
    // every neighbouring size checked by the type checker.
    let model2 = Chain((d1.clone(), d2.clone(), softmax));
    let y2 = model2.forward(x.clone());
    println!("Chain(Dense(10 => 5, σ), Dense(5 => 2), softmax)(x) = {y2}");
    assert_eq!(y2.to_vec(), y);

    println!("\n== Composition: Dense(5 => 2) ∘ Dense(10 => 5, σ)");
    let m = compose(Dense::<5, 2>::new(identity), Dense::<10, 5>::new(sigmoid));
    println!("m(rand(10)) = {}", m.forward(Vector::rand(&mut rng)));

    println!("\n== Chain(x -> x^2, x -> x+1)");
    let m = Chain((|x: i32| x.pow(2), |x: i32| x + 1));
    let y = m.forward(5);
    println!("m(5) = {y}");
    assert_eq!(y, 26);

    println!("\n== Layer helpers: Affine(3 => 1, bias=false, init=ones)");
    // With an optional bias and an initialiser, the seed's refined Affine is
    // `Dense` with the identity activation.
    let a = Dense::<3, 1>::new(identity).bias(false).init(ones);
    println!("{a:?}");
    println!("parameters: {:?}", parameters(&a));
    println!(
        "a([1, 2, 3]) = {}",
        a.forward(&Vector::from_array([1.0, 2.0, 3.0]))
    );
    // `|> gpu`: the layer moves to the GPU where there is one, and the input
    // with it (the device is in the type). Without a GPU the error says
    // why, and the same move goes to the Stack device.
    let x = Vector::from_array([1.0, 2.0, 3.0]);
    match default_gpu() {
        Ok(cuda) => {
            let on_gpu = a.to_device(&cuda);
            let y = on_gpu.forward(&x.to_device(&cuda));
            println!("a |> gpu: a([1, 2, 3]) = {} on {cuda:?}", cpu(&y));
        }
        Err(why) => {
            println!("a |> gpu: {why}; moving to the Stack device instead");
            let on_stack: Dense<3, 1, Identity, f32, Stack> = a.to_device(&Stack);
            let y = on_stack.forward(&x.to_device(&Stack));
            println!("a |> Stack: a([1, 2, 3]) = {y}");
        }
    }
    println!("parameters of the seed's Chain: {:?}", parameters(&model2));

    println!("\n== @functor Foo");
    println!("children(Foo(1, 2)) = {:?}", children(&Foo { x: 1, y: 2 }));
    let (_, re) = functor(Foo { x: 1, y: 2 });
    let rebuilt = re((10, 20));
    println!("re((10, 20)) = {rebuilt:?}");
    assert_eq!(rebuilt, Foo { x: 10, y: 20 });

    println!("\n== @functor TwoThirds (a, c)");
    let (ch2, re3) = functor(TwoThirds {
        a: 10,
        b: 20,
        c: 30,
    });
    println!("ch2 = {ch2:?}");
    let t = re3(("ten", "thirty"));
    println!("re3((\"ten\", \"thirty\")) = {t:?}");
    assert_eq!(
        t,
        TwoThirds {
            a: "ten",
            b: 20,
            c: "thirty"
        }
    );
    let m = TwoThirds {
        a: Foo { x: 1, y: 2 },
        b: Foo { x: 3, y: 4 },
        c: 56,
    };
    let m = fmap(|x: i32| 10 * x, m);
    println!("fmap(x -> 10x, TwoThirds(Foo(1, 2), Foo(3, 4), 56)) = {m:?}");
    assert_eq!(
        m,
        TwoThirds {
            a: Foo { x: 10, y: 20 },
            b: Foo { x: 3, y: 4 },
            c: 560
        }
    );

    println!("\n== fmap(x -> 2x, m) doubles every array");
    // A closure takes one type and a tensor's shape is in its type, so a
    // function of numbers reaches every tensor, whatever its shape.
    let doubled = fmap_elements(|x: f32| 2.0 * x, model2.clone());
    let (before, after) = (
        named_tensors::<f32>(&model2),
        named_tensors::<f32>(&doubled),
    );
    for (b, a) in before.iter().zip(&after) {
        assert!(b.data.iter().zip(&a.data).all(|(b, a)| 2.0 * b == *a));
    }
    println!(
        "norm of the seed's Chain: {:.4}, doubled: {:.4}",
        norm(&model2),
        norm(&doubled)
    );
}
