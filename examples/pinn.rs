//! A physics-informed network: solves `-u'' = π² sin(πx)` on `[0, 1]` with
//! `u(0) = u(1) = 0`, whose exact solution is `sin(πx)`.
//!
//! Run with `cargo run --release --example pinn`. It prints the relative
//! L2 error against the exact solution and the time per training step,
//! writes the solution and the loss curve to `out/pinn.png`, and exits with
//! an error if the relative error is above 1e-3.
//!
//! The loss holds the network's second derivative in its input: the
//! network is cast to `Dual2<f64>` numbers (forward mode, exact `u''`), and
//! reverse mode differentiates the loss, `u''` included, with respect to
//! the `f64` weights in the same `value_and_gradient` call. The boundary
//! conditions are built into the trial solution `u(x) = x(1 - x)·N(x)`, `N`
//! a `Chain` of `Dense` tanh layers; Adam trains it on fixed collocation
//! points.

use plotters::prelude::*;
use std::error::Error;
use std::f64::consts::PI;
use std::io::Write;
use std::time::Instant;
use typeflux::num_dual::Dual2_64;
use typeflux::prelude::*;

/// Hidden width.
const H: usize = 20;
/// Collocation points.
const POINTS: usize = 64;
/// Training steps, and the learning rate for each stretch of them.
const SCHEDULE: [(usize, f64); 3] = [(3000, 1e-2), (2000, 2e-3), (1000, 2e-4)];
/// Points at which the solution is compared with the exact one.
const TEST_POINTS: usize = 1001;

/// `N(x)`: one input, two hidden tanh layers, one output.
type Net = Chain<(
    Dense<1, H, Tanh, f64>,
    Dense<H, H, Tanh, f64>,
    Dense<H, 1, Identity, f64>,
)>;

/// `u(x) = x(1 - x)·N(x)` at the points `x`, in plain `f64`.
fn solution(net: &Net, x: &Batch<1, f64>) -> Batch<1, f64> {
    net.forward(x) * &x.map(|x| x * (1.0 - x))
}

/// The relative L2 error of the network's solution against `sin(πx)` on an
/// even grid of [`TEST_POINTS`].
fn relative_error(net: &Net) -> f64 {
    let x = Batch::<1, f64>::from_fn((Const, TEST_POINTS), |[_, j]| {
        j as f64 / (TEST_POINTS - 1) as f64
    });
    let u = solution(net, &x);
    let exact = x.map(|x: f64| (PI * x).sin());
    ((&u - &exact).square().sum() / exact.square().sum()).sqrt()
}

fn main() -> Result<(), Box<dyn Error>> {
    typeflux::nn::init::seed(7);
    let mut net: Net = Chain((Dense::new(tanh), Dense::new(tanh), Dense::new(identity)));

    // Interior collocation points, seeded for one derivative in x: the
    // network's output on them carries u, u' and u''.
    let x = Matrix::<1, POINTS, f64>::from_fn((Const, Const), |[_, j]| {
        (j as f64 + 0.5) / POINTS as f64
    });
    let seeded = x.map(|x| Dual2_64::from_re(x).derivative());
    let trial = seeded.map(|x| x * (-x + 1.0));
    let source = x.map(|x| PI * PI * (PI * x).sin());

    let mut opt = Adam::new(SCHEDULE[0].1).setup(&net);
    let mut losses = Vec::new();
    let start = Instant::now();
    for (steps, eta) in SCHEDULE {
        opt.rule.eta = eta;
        for _ in 0..steps {
            let (loss, grad) = value_and_gradient(
                |m| {
                    let u = m.cast::<Dual2_64>().forward(&seeded) * &trial;
                    // -u'' = f, so the residual is u'' + f.
                    (u.part(2) + &source).mean_squares()
                },
                model(&net),
            );
            opt.update(&mut net, &grad);
            losses.push(loss);
        }
    }
    let elapsed = start.elapsed();
    let steps = losses.len();
    let error = relative_error(&net);
    println!(
        "pinn: -u'' = π² sin(πx) on [0, 1], {POINTS} collocation points, network 1 => {H} => {H} => 1"
    );
    println!(
        "{steps} Adam steps in {:.2} s ({:.1} µs per step), final loss {:.3e}",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / steps as f64,
        losses[steps - 1]
    );
    println!("relative L2 error against sin(πx): {error:.2e}");

    std::fs::create_dir_all("out")?;
    let file = std::fs::File::create("out/pinn.png")?;
    plot(&net, &losses, std::io::BufWriter::new(file))?;
    println!("wrote out/pinn.png");
    if error > 1e-3 {
        return Err(format!("the relative error {error:.2e} is above 1e-3").into());
    }
    Ok(())
}

/// The plot's font (see the `digits` example): Open Sans Regular, under
/// the Apache License 2.0 (`examples/digits/fonts/LICENSE.txt`).
const FONT: &[u8] = include_bytes!("digits/fonts/OpenSans-Regular.ttf");

/// The plot's width and height in pixels.
const PLOT_SIZE: (u32, u32) = (1000, 420);

/// The solution against the exact one (left) and the loss per step (right),
/// written to `out` as a PNG image of [`PLOT_SIZE`].
fn plot(net: &Net, losses: &[f64], out: impl Write) -> Result<(), Box<dyn Error>> {
    let (width, height) = PLOT_SIZE;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    draw(net, losses, &mut pixels)?;
    let mut encoder = png::Encoder::new(out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(())
}

fn draw(net: &Net, losses: &[f64], pixels: &mut [u8]) -> Result<(), Box<dyn Error>> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the built-in font is not a font file plotters can read")?;
    let root = BitMapBackend::with_buffer(pixels, PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(PLOT_SIZE.0 / 2);

    let x = Batch::<1, f64>::from_fn((Const, 201), |[_, j]| j as f64 / 200.0);
    let u = solution(net, &x);
    let mut chart = ChartBuilder::on(&left)
        .caption(
            "u(x): network (blue), sin(πx) (red, dashed)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..1.0, -0.05..1.1)?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 14))
        .x_desc("x")
        .draw()?;
    chart.draw_series(DashedLineSeries::new(
        x.iter().map(|&x| (x, (PI * x).sin())),
        8,
        6,
        RED.stroke_width(3),
    ))?;
    chart.draw_series(LineSeries::new(
        x.iter().copied().zip(u.iter().copied()),
        BLUE.stroke_width(1),
    ))?;

    let (lo, hi) = losses.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &l| {
        (lo.min(l), hi.max(l))
    });
    let mut chart = ChartBuilder::on(&right)
        .caption("loss: mean (u'' + π² sin πx)²", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(1.0..losses.len() as f64, (lo * 0.5..hi * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 14))
        .x_desc("step")
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .draw()?;
    chart.draw_series(LineSeries::new(
        (1..).map(f64::from).zip(losses.iter().copied()),
        BLUE.stroke_width(1),
    ))?;
    root.present()?;
    Ok(())
}
