//! Trains a small MLP on the 8×8 handwritten digits in `data/digits.csv.gz`
//! (1,797 images, see `data/README.md`) and checks its test accuracy.
//!
//! Run with `cargo run --release --example digits` (add `-- --gpu` to train
//! on the GPU). It writes the loss and accuracy curves to
//! `out/digits_curves.png` and the trained weights to
//! `out/digits.safetensors`, which it loads again into a new model. It reads
//! `data/` and writes `out/` in the current directory when `data/` is there,
//! and in the repository otherwise.
//!
//! The model is `Chain(Dense(64 => 128, relu), Dense(128 => 10))`, trained
//! with `logitcrossentropy` and Adam in mini-batches of 32 on a fixed, seeded
//! split of 1,437 training and 360 test images.

use indicatif::{ProgressBar, ProgressStyle};
use std::error::Error;
use std::io::{BufWriter, IsTerminal};
use std::path::Path as FilePath;
use std::time::Instant;
use typeflux::gpu::cpu;
use typeflux::nn::io;
use typeflux::prelude::*;
use typeflux::rand::SeedableRng;
use typeflux::rand::rngs::StdRng;
use typeflux::rand::seq::SliceRandom;

const TRAIN: usize = 1437;
const BATCH: usize = 32;
const EPOCHS: usize = 40;
const SEED: u64 = 2024;

mod common;
use common::*;

/// The demo's model on device `D`.
type Mlp<D = Cpu> = Chain<(
    Dense<PIXELS, 128, Relu, f32, D>,
    Dense<128, CLASSES, Identity, f32, D>,
)>;

/// Trains `model` on `device` (the batches move there as they are made) and
/// returns it in host memory, with the loss and test-accuracy curves.
fn fit<D: Kernels<f32>>(
    device: &D,
    model: Mlp,
    digits: &Digits,
    training: &[usize],
    test: &[usize],
    rng: &mut StdRng,
) -> Result<(Mlp, Curves), Box<dyn Error>> {
    let (x_test, _) = batch(digits, test);
    let x_test = x_test.to_device(device);
    let mut model = model.to_device(device);
    let mut opt = Adam::new(0.003).setup(&model);
    let steps = training.len().div_ceil(BATCH);
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new((EPOCHS * steps) as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} epoch {prefix:>2}/{len_epochs} loss {msg} [{elapsed}]",
        )?
        .with_key(
            "len_epochs",
            |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{EPOCHS}");
            },
        ),
    );

    let mut curves = Curves {
        loss: Vec::new(),
        accuracy: Vec::new(),
        accuracy_caption: "test accuracy",
    };
    let mut shuffled = training.to_vec();
    for epoch in 1..=EPOCHS {
        bar.set_prefix(epoch.to_string());
        shuffled.shuffle(rng);
        let batches: Vec<_> = shuffled
            .chunks(BATCH)
            .map(|indices| {
                let (x, y) = batch(digits, indices);
                (x.to_device(device), y.to_device(device))
            })
            .collect();
        let data = batches.iter().map(|(x, y)| (x, y)).inspect(|_| bar.inc(1));
        let loss = train(&mut model, &mut opt, data, |m, x, y| {
            logitcrossentropy(m.forward(x), y)
        })
        .map_err(|e| format!("epoch {epoch}: {e}"))?;
        bar.set_message(format!("{loss:.4}"));
        curves.loss.push(f64::from(loss));
        curves
            .accuracy
            .push(accuracy(&cpu(&model.forward(&x_test)), digits, test));
        if bar.is_hidden() && (epoch % 10 == 0 || epoch == 1) {
            println!(
                "epoch {epoch:>2}: loss {:.4}, test accuracy {:.2}%",
                curves.loss[epoch - 1],
                100.0 * curves.accuracy[epoch - 1]
            );
        }
    }
    bar.finish();
    if !bar.is_hidden() {
        eprintln!();
    }
    Ok((cpu(&model), curves))
}

fn main() -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let here = FilePath::new(".");
    let root = if here.join("data/digits.csv.gz").is_file() {
        here
    } else {
        FilePath::new(env!("CARGO_MANIFEST_DIR"))
    };
    let digits = load(&root.join("data/digits.csv.gz"))?;
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut order: Vec<usize> = (0..digits.labels.len()).collect();
    order.shuffle(&mut rng);
    let (training, test) = order.split_at(TRAIN);
    println!(
        "digits: {} images, {} for training, {} for testing",
        digits.labels.len(),
        training.len(),
        test.len()
    );
    let (x_test, _) = batch(&digits, test);

    typeflux::nn::init::seed(SEED);
    let fresh = || {
        Chain((
            Dense::<PIXELS, 128>::new(relu),
            Dense::<128, CLASSES>::new(identity),
        ))
    };
    let on_gpu = std::env::args().skip(1).any(|a| a == "--gpu");
    let (model, curves) = if on_gpu {
        // Flux's `model |> gpu`: the same code, every tensor in GPU memory.
        let cuda = typeflux::gpu::default_gpu().map_err(|why| format!("--gpu: {why}"))?;
        println!("training on {cuda:?}");
        fit(&cuda, fresh(), &digits, training, test, &mut rng)?
    } else {
        fit(&Cpu, fresh(), &digits, training, test, &mut rng)?
    };
    let trained = start.elapsed();

    let (x_train, _) = batch(&digits, training);
    let train_accuracy = accuracy(&model.forward(&x_train), &digits, training);
    let test_accuracy = accuracy(&model.forward(&x_test), &digits, test);
    println!(
        "after {EPOCHS} epochs ({:.2} s): training accuracy {:.2}%, test accuracy {:.2}%",
        trained.as_secs_f64(),
        100.0 * train_accuracy,
        100.0 * test_accuracy
    );

    let out = root.join("out");
    std::fs::create_dir_all(&out)?;
    let file = std::fs::File::create(out.join("digits_curves.png"))?;
    plot(&curves, BufWriter::new(file))?;
    let weights = out.join("digits.safetensors");
    io::save(&model, &weights)?;
    println!("wrote out/digits_curves.png and out/digits.safetensors");

    // The saved weights, loaded into a freshly initialised model of the same
    // type, classify the test images as the trained model does.
    let mut loaded = Chain((
        Dense::<PIXELS, 128>::new(relu),
        Dense::<128, CLASSES>::new(identity),
    ));
    io::load(&mut loaded, &weights)?;
    assert_eq!(loaded.forward(&x_test), model.forward(&x_test));

    assert!(
        test_accuracy >= 0.95,
        "test accuracy {:.2}% is below 95%",
        100.0 * test_accuracy
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Range;

    /// The rows above the charts, which hold nothing but their captions: the
    /// chart margin of 12 pixels and a line of 20-pixel text.
    const CAPTION_BAND: u32 = 31;

    /// A loss that falls and an accuracy that rises over the epochs.
    fn curves() -> Curves {
        Curves {
            loss: (1..=EPOCHS).map(|e| 2.0 / e as f64).collect(),
            accuracy: (1..=EPOCHS).map(|e| 1.0 - 0.08 / e as f64).collect(),
            accuracy_caption: "test accuracy",
        }
    }

    /// The size and the RGB pixels of the image in a PNG file.
    fn decode(file: &[u8]) -> ((u32, u32), Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(file))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        pixels.truncate(info.buffer_size());
        ((info.width, info.height), pixels)
    }

    #[test]
    fn the_plot_is_a_png_with_both_curves_and_their_captions() {
        let mut file = Vec::new();
        plot(&curves(), &mut file).unwrap();
        let ((width, height), pixels) = decode(&file);
        assert_eq!((width, height), PLOT_SIZE);
        assert_eq!(pixels.len(), (width * height * 3) as usize);

        let count = |xs: Range<u32>, ys: Range<u32>, test: fn([u8; 3]) -> bool| {
            ys.flat_map(|y| xs.clone().map(move |x| (y * width + x) as usize * 3))
                .filter(|&at| test([pixels[at], pixels[at + 1], pixels[at + 2]]))
                .count()
        };
        let blue = |[r, g, b]: [u8; 3]| b > 200 && r < 80 && g < 80;
        let red = |[r, g, b]: [u8; 3]| r > 200 && g < 80 && b < 80;
        let ink = |[r, g, b]: [u8; 3]| r.max(g).max(b) < 100;
        let white = |p: [u8; 3]| p == [255; 3];
        let (left, right, all) = (0..width / 2, width / 2..width, 0..height);

        // The loss curve is drawn in the left panel, the accuracy in the right.
        assert!(count(left.clone(), all.clone(), blue) > 400);
        assert_eq!(count(right.clone(), all.clone(), blue), 0);
        assert!(count(right.clone(), all.clone(), red) > 400);
        assert_eq!(count(left.clone(), all.clone(), red), 0);
        // Each panel's caption is text above its chart, where nothing else is.
        for panel in [left, right] {
            assert!(count(panel, 0..CAPTION_BAND, ink) > 100);
        }
        // On a white background.
        assert!(count(0..width, all, white) > (width * height / 2) as usize);
    }
}
