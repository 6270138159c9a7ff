//! A coordinate network learns an image: each pixel's place `(u, v)` goes
//! in as Fourier features `sin(2π b·p), cos(2π b·p)` for 16 fixed random
//! frequencies `b`, its colour comes out, and a `Chain` of four `Dense`
//! layers of 64 learns the map from the image the example draws.
//!
//! Run with `cargo run --release --example image_fit`. It trains on the
//! GPU where there is one (`-- --gpu` insists on it, `-- --cpu` takes the
//! CPU): there the chain's training steps and the finished model's picture
//! each run the whole chain in one kernel per pass, which the chain chooses
//! by its types, its products on tensor cores in TF32.
//! It writes the drawn image and the learnt one side by side to
//! `out/image_fit.png` and the loss per epoch to `out/image_fit_loss.png`,
//! in the current directory, and checks that the fit is close (a peak
//! signal-to-noise ratio of 20 dB at least).

use std::error::Error;
use std::f32::consts::PI;
use std::io::{BufWriter, Write};
use std::path::Path as FilePath;
use std::time::Instant;
use typeflux::gpu::{FusedModel, cpu};
use typeflux::prelude::*;
use typeflux::rand::rngs::StdRng;
use typeflux::rand::seq::SliceRandom;
use typeflux::rand::{RngExt, SeedableRng};

// The digits demos' plot of a curve; this example uses nothing else there.
#[path = "digits/common.rs"]
#[allow(dead_code)]
mod common;

/// The image is `SIDE × SIDE` pixels.
const SIDE: usize = 64;
const PIXELS: usize = SIDE * SIDE;
/// Random frequencies; twice as many features.
const FREQUENCIES: usize = 16;
const FEATURES: usize = 2 * FREQUENCIES;
const WIDTH: usize = 64;
const BATCH: usize = 512;
const EPOCHS: usize = 300;
const SEED: u64 = 16;
/// Each pixel drawn as a square of this many pixels in the PNG.
const ZOOM: usize = 4;

/// The image the network learns, at `(u, v)` in `[-1, 1]²`: a sky that
/// darkens upwards, a sun with rings around it, and a hill.
fn drawn(u: f32, v: f32) -> [f32; 3] {
    let mut rgb = [0.25 + 0.2 * v, 0.45 + 0.2 * v, 0.85 - 0.1 * v];
    let (du, dv) = (u - 0.35, v + 0.4);
    let r = (du * du + dv * dv).sqrt();
    if r < 0.22 {
        rgb = [1.0, 0.8, 0.2];
    } else if r < 0.5 && (r * 40.0).sin() > 0.4 {
        rgb = [0.95, 0.65, 0.3];
    }
    if v > 0.35 + 0.25 * (2.5 * u).sin() {
        rgb = [0.2, 0.55 - 0.2 * v, 0.25];
    }
    rgb
}

/// Pixel `k`'s place, row by row from the top left, in `[-1, 1]²`.
fn place(k: usize) -> (f32, f32) {
    let at = |i: usize| (2 * i + 1) as f32 / SIDE as f32 - 1.0;
    (at(k % SIDE), at(k / SIDE))
}

/// The Fourier features of every pixel (`FEATURES × PIXELS`) for the
/// frequencies `b`.
fn features(b: &[[f32; 2]]) -> Batch<FEATURES> {
    Batch::<FEATURES>::from_fn((Const, PIXELS), |[f, k]| {
        let (u, v) = place(k);
        let [bu, bv] = b[f % FREQUENCIES];
        let phase = 2.0 * PI * (bu * u + bv * v);
        if f < FREQUENCIES {
            phase.sin()
        } else {
            phase.cos()
        }
    })
}

/// The network, on device `D`.
type Field<D = Cpu> = Chain<(
    Dense<FEATURES, WIDTH, Relu, f32, D>,
    Dense<WIDTH, WIDTH, Relu, f32, D>,
    Dense<WIDTH, WIDTH, Relu, f32, D>,
    Dense<WIDTH, 3, Sigmoid, f32, D>,
)>;

/// The columns `picked` of `m`.
fn columns<const R: usize>(m: &Batch<R>, picked: &[usize]) -> Batch<R> {
    Batch::<R>::from_fn((Const, picked.len()), |[i, j]| {
        m.as_slice()[i + R * picked[j]]
    })
}

/// Trains `model` on `device` with Adam on the mean squared error, in
/// mini-batches of pixels, and returns it in host memory.
fn fit<D: Kernels<f32>>(
    device: &D,
    model: Field,
    x: &Batch<FEATURES>,
    y: &Batch<3>,
    rng: &mut StdRng,
) -> Result<(Field, Vec<f64>), Box<dyn Error>> {
    let mut model = model.to_device(device);
    let mut opt = Adam::new(0.005).setup(&model);
    let mut order: Vec<usize> = (0..PIXELS).collect();
    let mut losses = Vec::with_capacity(EPOCHS);
    for epoch in 1..=EPOCHS {
        order.shuffle(rng);
        let batches: Vec<_> = order
            .chunks(BATCH)
            .map(|pixels| {
                (
                    columns(x, pixels).to_device(device),
                    columns(y, pixels).to_device(device),
                )
            })
            .collect();
        let data = batches.iter().map(|(x, y)| (x, y));
        let loss = train(&mut model, &mut opt, data, |m, x, y| mse(m.forward(x), y))
            .map_err(|e| format!("epoch {epoch}: {e}"))?;
        losses.push(f64::from(loss));
        if epoch % 50 == 0 || epoch == 1 {
            println!("epoch {epoch:>3}: loss {loss:.5}");
        }
    }
    Ok((cpu(&model), losses))
}

/// The peak signal-to-noise ratio of `fit` against `target`, colours in
/// `[0, 1]`, in decibels.
fn psnr(fit: &[f32], target: &[f32]) -> f64 {
    let mse = fit
        .iter()
        .zip(target)
        .map(|(a, b)| f64::from(a - b).powi(2))
        .sum::<f64>()
        / fit.len() as f64;
    -10.0 * mse.log10()
}

/// The images (each `3 × PIXELS`, column `k` pixel `k`) side by side,
/// enlarged [`ZOOM`] times, as an RGB PNG.
fn write_png(images: &[&[f32]], out: impl Write) -> Result<(), Box<dyn Error>> {
    let side = SIDE * ZOOM;
    let width = side * images.len();
    let mut pixels = vec![0u8; width * side * 3];
    for (n, image) in images.iter().enumerate() {
        for row in 0..side {
            for col in 0..side {
                let k = (row / ZOOM) * SIDE + col / ZOOM;
                let at = 3 * (row * width + n * side + col);
                for c in 0..3 {
                    pixels[at + c] = (image[3 * k + c].clamp(0.0, 1.0) * 255.0).round() as u8;
                }
            }
        }
    }
    let mut encoder = png::Encoder::new(out, width as u32, side as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(SEED);
    let b: Vec<[f32; 2]> = (0..FREQUENCIES)
        .map(|_| [rng.random_range(-4.0..4.0), rng.random_range(-4.0..4.0)])
        .collect();
    let x = features(&b);
    let y = Batch::<3>::from_fn((Const, PIXELS), |[c, k]| {
        let (u, v) = place(k);
        drawn(u, v)[c]
    });

    typeflux::nn::init::seed(SEED);
    let fresh: Field = Chain((
        Dense::new(relu),
        Dense::new(relu),
        Dense::new(relu),
        Dense::new(sigmoid),
    ));
    let flag = |name: &str| std::env::args().skip(1).any(|a| a == name);
    let gpu = if flag("--cpu") {
        None
    } else {
        match typeflux::gpu::default_gpu() {
            Ok(cuda) => Some(cuda),
            Err(why) if flag("--gpu") => Err(format!("--gpu: {why}"))?,
            Err(why) => {
                println!("{why}: training on the CPU");
                None
            }
        }
    };
    let on_gpu = gpu.is_some();
    let (model, learnt, losses) = if let Some(cuda) = gpu {
        println!("training on {cuda:?}");
        let (model, losses) = fit(&cuda, fresh, &x, &y, &mut rng)?;
        // The whole chain in one kernel: it qualifies by its types, and
        // `forward` takes it.
        let on_device = model.to_device(&cuda);
        assert!(on_device.fused_chain().is_some());
        let learnt = cpu(&on_device.forward(&x.to_device(&cuda)));
        (model, learnt, losses)
    } else {
        println!("training on the CPU");
        let (model, losses) = fit(&Cpu, fresh, &x, &y, &mut rng)?;
        let learnt = model.forward(&x);
        (model, learnt, losses)
    };
    // Layer by layer on the CPU, the same picture.
    let on_cpu = model.forward(&x);
    let apart = on_cpu
        .iter()
        .zip(learnt.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    // The GPU's products have TF32 factors (about three digits): its
    // picture is that close to the CPU's exact one.
    let within = if on_gpu { 1e-2 } else { 1e-6 };
    println!("the picture on the CPU differs from this one by {apart:.1e} at most");
    assert!(apart < within, "the devices' pictures differ by {apart}");

    let quality = psnr(learnt.as_slice(), y.as_slice());
    println!(
        "after {EPOCHS} epochs ({:.1} s): {quality:.1} dB",
        start.elapsed().as_secs_f64()
    );
    // In the current directory, so that a copied binary writes beside it.
    let out = FilePath::new("out");
    std::fs::create_dir_all(out)?;
    let file = std::fs::File::create(out.join("image_fit.png"))?;
    write_png(&[y.as_slice(), learnt.as_slice()], BufWriter::new(file))?;
    println!("wrote out/image_fit.png (drawn, learnt)");
    let log_losses: Vec<f64> = losses.iter().map(|l| l.log10()).collect();
    let file = std::fs::File::create(out.join("image_fit_loss.png"))?;
    common::plot_one(
        "training loss (mean squared error)",
        "log10 loss",
        &log_losses,
        BufWriter::new(file),
    )?;
    println!("wrote out/image_fit_loss.png (the loss per epoch)");
    assert!(quality >= 20.0, "the fit reaches only {quality:.1} dB");
    Ok(())
}
