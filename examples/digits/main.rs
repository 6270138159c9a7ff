//! Trains a small MLP on the 8×8 handwritten digits in `data/digits.csv.gz`
//! (1,797 images, see `data/README.md`) and checks its test accuracy.
//!
//! Run with `cargo run --release --example digits`. It writes the loss and
//! accuracy curves to `out/digits_curves.png` and the trained weights to
//! `out/digits.safetensors`, which it loads again into a new model.
//!
//! The model is `Chain(Dense(64 => 128, relu), Dense(128 => 10))`, trained
//! with `logitcrossentropy` and Adam in mini-batches of 32 on a fixed, seeded
//! split of 1,437 training and 360 test images.

use indicatif::{ProgressBar, ProgressStyle};
use plotters::prelude::*;
use std::error::Error;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path as FilePath;
use std::time::Instant;
use typeflux::nn::io;
use typeflux::prelude::*;
use typeflux::rand::SeedableRng;
use typeflux::rand::rngs::StdRng;
use typeflux::rand::seq::SliceRandom;

mod data;
use data::{Digits, PIXELS, load};

const CLASSES: usize = 10;
const TRAIN: usize = 1437;
const BATCH: usize = 32;
const EPOCHS: usize = 40;
const SEED: u64 = 2024;

/// The images at `indices` as one batch (64 × n), and their one-hot labels (10 × n).
fn batch(digits: &Digits, indices: &[usize]) -> (Batch<PIXELS>, Batch<CLASSES>) {
    let x = Batch::from_fn((Const, indices.len()), |[row, column]| {
        digits.pixels[indices[column]][row]
    });
    let y = Batch::from_fn((Const, indices.len()), |[row, column]| {
        f32::from(u8::from(digits.labels[indices[column]] == row))
    });
    (x, y)
}

/// The share of columns whose largest score is at the label.
fn accuracy(scores: &Batch<CLASSES>, digits: &Digits, indices: &[usize]) -> f64 {
    let correct = scores
        .columns()
        .zip(indices)
        .filter(|(column, i)| {
            let predicted = (0..CLASSES)
                .max_by(|&a, &b| column[a].total_cmp(&column[b]))
                .expect("ten classes");
            predicted == digits.labels[**i]
        })
        .count();
    correct as f64 / indices.len() as f64
}

/// Per epoch: the mean training loss over the batches, and the test accuracy.
struct Curves {
    loss: Vec<f64>,
    accuracy: Vec<f64>,
}

/// The plot's font, built into the program so that drawing text needs no
/// fonts from the system: Open Sans Regular, under the Apache License 2.0
/// (`examples/digits/fonts/LICENSE.txt`).
const FONT: &[u8] = include_bytes!("fonts/OpenSans-Regular.ttf");

/// The plot's width and height in pixels.
const PLOT_SIZE: (u32, u32) = (1000, 420);

/// Loss (left) and test accuracy (right) per epoch, drawn into an RGB buffer
/// and written to `out` as a PNG image of [`PLOT_SIZE`].
fn plot(curves: &Curves, out: impl Write) -> Result<(), Box<dyn Error>> {
    let (width, height) = PLOT_SIZE;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    draw(curves, &mut pixels)?;
    let mut encoder = png::Encoder::new(out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(())
}

/// Draws the two panels into `pixels`, RGB rows of [`PLOT_SIZE`] from the top.
fn draw(curves: &Curves, pixels: &mut [u8]) -> Result<(), Box<dyn Error>> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the built-in font is not a font file plotters can read")?;
    let root = BitMapBackend::with_buffer(pixels, PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(PLOT_SIZE.0 / 2);

    let top = curves.loss.iter().copied().fold(0.0, f64::max) * 1.05;
    let caption = "training loss (logitcrossentropy)";
    draw_curve(&left, caption, "loss", &curves.loss, 0.0..top, BLUE)?;
    let bottom = curves.accuracy.iter().copied().fold(0.9, f64::min) - 0.01;
    let caption = "test accuracy";
    draw_curve(
        &right,
        caption,
        "accuracy",
        &curves.accuracy,
        bottom..1.0,
        RED,
    )?;
    root.present()?;
    Ok(())
}

/// One value per epoch as a curve under `caption`, its y axis named `name`
/// and spanning `range`.
fn draw_curve(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    caption: &str,
    name: &str,
    values: &[f64],
    range: std::ops::Range<f64>,
    color: RGBColor,
) -> Result<(), Box<dyn Error>> {
    let epochs = values.len() as f64;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d(1.0..epochs, range)?;
    chart
        .configure_mesh()
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_desc("epoch")
        .y_desc(name)
        .draw()?;
    chart.draw_series(LineSeries::new(
        (1..).map(f64::from).zip(values.iter().copied()),
        color.stroke_width(2),
    ))?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let root = FilePath::new(env!("CARGO_MANIFEST_DIR"));
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
    let mut model = Chain((
        Dense::<PIXELS, 128>::new(relu),
        Dense::<128, CLASSES>::new(identity),
    ));
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
    };
    let mut shuffled = training.to_vec();
    for epoch in 1..=EPOCHS {
        bar.set_prefix(epoch.to_string());
        shuffled.shuffle(&mut rng);
        let batches: Vec<_> = shuffled
            .chunks(BATCH)
            .map(|indices| batch(&digits, indices))
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
            .push(accuracy(&model.forward(&x_test), &digits, test));
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
