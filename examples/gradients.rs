//! The seed page's "Taking Gradients" and "Building Simple Models", line by
//! line: derivatives of a polynomial, the gradient of a function of two
//! vectors in the explicit and the implicit style, and one step of gradient
//! descent on a linear regression.
//!
//! Run with `cargo run --example gradients`.

use typeflux::prelude::*;
use typeflux::rand::SeedableRng;
use typeflux::rand::rngs::StdRng;

/// `f(x) = 3x² + 2x + 1`, written once for every kind of number.
fn f<T: Real>(x: T) -> T {
    x * x * 3.0 + x * 2.0 + 1.0
}

/// `df/dx = 6x + 2`, by forward mode; generic again, so it can be
/// differentiated in turn.
fn df<T: Real>(x: T) -> T {
    derivative(f, x)
}

fn main() {
    println!("# Taking gradients\n");

    // julia> df(x) = gradient(f, x)[1]; df(2)
    println!("df(2)  = {}", df(2.0));
    // julia> d2f(x) = gradient(df, x)[1]; d2f(2)
    println!("d2f(2) = {}", derivative(df, 2.0));
    // Reverse mode agrees: the polynomial on a traced scalar.
    let reverse = gradient(|x| x.clone().square() * 3.0 + x * 2.0 + 1.0, 2.0_f64);
    println!("df(2)  = {reverse} (reverse mode)");

    // julia> f(x, y) = sum((x .- y).^2); gradient(f, [2, 1], [2, 0])
    let x = Tensor::from_array([2.0, 1.0]);
    let y = Tensor::from_array([2.0, 0.0]);
    let (gx, gy) = gradient(|(x, y)| (x - y).square().sum(), (&x, &y));
    println!("\ngradient(f, [2, 1], [2, 0]) = ({gx}, {gy})");

    // julia> gs = gradient(() -> f(x, y), Flux.params(x, y)); gs[x], gs[y]
    let gs = gradient(|(x, y)| (x - y).square().sum(), params((&x, &y)));
    println!("gs[x] = {}", gs[&x]);
    println!("gs[y] = {}", gs[&y]);

    println!("\n# Building simple models\n");

    // julia> W = rand(2, 5); b = rand(2); x, y = rand(5), rand(2)
    let mut rng = StdRng::seed_from_u64(1);
    let mut w = Matrix::<2, 5>::rand(&mut rng);
    let mut b = Vector::<2>::rand(&mut rng);
    let x = Vector::<5>::rand(&mut rng);
    let y = Vector::<2>::rand(&mut rng);

    // predict(x) = W*x .+ b; loss(x, y) = sum((y .- predict(x)).^2)
    let loss = |w: &Matrix<2, 5>, b: &Vector<2>| (&y - (w.matmul(&x) + b)).square().sum();
    println!("loss(x, y) = {}", loss(&w, &b));

    // julia> gs = gradient(() -> loss(x, y), Flux.params(W, b))
    let (_, gs) = value_and_gradient(
        |(w, b)| (&y - (w.matmul(&x) + b)).square().sum(),
        params((&w, &b)),
    );
    // julia> W̄ = gs[W]; W .-= 0.1 .* W̄ (and the same for b)
    let (w_bar, b_bar) = (gs[&w].clone(), gs[&b].clone());
    println!("W̄ = {w_bar}");
    w.axpy(-0.1, &w_bar);
    b.axpy(-0.1, &b_bar);
    println!("loss(x, y) = {} after one step", loss(&w, &b));
}
