//! What the digits demos share: the data, batches, accuracy, and the plot
//! of their curves.

use flate2::read::GzDecoder;
use plotters::prelude::*;
use std::error::Error;
use std::io::{Read, Write};
use std::path::Path as FilePath;
use typeflux::prelude::*;

pub const PIXELS: usize = 64;
pub const CLASSES: usize = 10;

/// The digits: each image's 64 pixels scaled to `[0, 1]`, and its label.
pub struct Digits {
    pub pixels: Vec<[f32; PIXELS]>,
    pub labels: Vec<usize>,
}

/// Reads the gzip-compressed CSV: 64 pixel counts (0..16) and a label per line.
pub fn load(path: &FilePath) -> Result<Digits, Box<dyn Error>> {
    let mut text = String::new();
    GzDecoder::new(std::fs::File::open(path)?).read_to_string(&mut text)?;
    let mut digits = Digits {
        pixels: Vec::new(),
        labels: Vec::new(),
    };
    for (n, line) in text.lines().enumerate() {
        let values = line
            .split(',')
            .map(|v| v.trim().parse::<f32>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        let Ok([pixels @ .., label]) = <[f32; PIXELS + 1]>::try_from(&values[..]) else {
            Err(format!(
                "line {}: {} values, expected {}",
                n + 1,
                values.len(),
                PIXELS + 1
            ))?
        };
        digits.pixels.push(pixels.map(|p| p / 16.0));
        digits.labels.push(label as usize);
    }
    Ok(digits)
}

/// The images at `indices` as one batch (64 × n), and their one-hot labels (10 × n).
pub fn batch(digits: &Digits, indices: &[usize]) -> (Batch<PIXELS>, Batch<CLASSES>) {
    let x = Batch::from_fn((Const, indices.len()), |[row, column]| {
        digits.pixels[indices[column]][row]
    });
    let y = Batch::from_fn((Const, indices.len()), |[row, column]| {
        f32::from(u8::from(digits.labels[indices[column]] == row))
    });
    (x, y)
}

/// The share of columns whose largest score is at the label.
pub fn accuracy(scores: &Batch<CLASSES>, digits: &Digits, indices: &[usize]) -> f64 {
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

/// Per epoch: the mean training loss over the batches, and an accuracy on
/// images kept out of training, with the caption of its panel.
pub struct Curves {
    pub loss: Vec<f64>,
    pub accuracy: Vec<f64>,
    pub accuracy_caption: &'static str,
}

/// The plot's font, built into the program so that drawing text needs no
/// fonts from the system: Open Sans Regular, under the Apache License 2.0
/// (`examples/digits/fonts/LICENSE.txt`).
pub const FONT: &[u8] = include_bytes!("fonts/OpenSans-Regular.ttf");

/// The plot's width and height in pixels.
pub const PLOT_SIZE: (u32, u32) = (1000, 420);

/// Loss (left) and accuracy (right) per epoch, drawn into an RGB buffer
/// and written to `out` as a PNG image of [`PLOT_SIZE`].
pub fn plot(curves: &Curves, out: impl Write) -> Result<(), Box<dyn Error>> {
    let (width, height) = PLOT_SIZE;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    draw(curves, &mut pixels)?;
    write_rgb(&pixels, PLOT_SIZE, out)
}

/// One value per epoch as a curve under `caption`, its y axis named `name`,
/// written to `out` as a PNG image half as wide as [`PLOT_SIZE`]. (The
/// `image_fit` example's; the digits demos draw both panels.)
#[allow(dead_code)]
pub fn plot_one(
    caption: &str,
    name: &str,
    values: &[f64],
    out: impl Write,
) -> Result<(), Box<dyn Error>> {
    let size = (PLOT_SIZE.0 / 2, PLOT_SIZE.1);
    let mut pixels = vec![0u8; size.0 as usize * size.1 as usize * 3];
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the built-in font is not a font file plotters can read")?;
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE)?;
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let margin = (high - low).max(1e-9) * 0.05;
        draw_curve(
            &root,
            caption,
            name,
            values,
            low - margin..high + margin,
            BLUE,
        )?;
        root.present()?;
    }
    write_rgb(&pixels, size, out)
}

/// RGB rows of `width × height` from the top, as a PNG image.
fn write_rgb(
    pixels: &[u8],
    (width, height): (u32, u32),
    out: impl Write,
) -> Result<(), Box<dyn Error>> {
    let mut encoder = png::Encoder::new(out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(())
}

/// Draws the two panels into `pixels`, RGB rows of [`PLOT_SIZE`] from the top.
pub fn draw(curves: &Curves, pixels: &mut [u8]) -> Result<(), Box<dyn Error>> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the built-in font is not a font file plotters can read")?;
    let root = BitMapBackend::with_buffer(pixels, PLOT_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(PLOT_SIZE.0 / 2);

    let top = curves.loss.iter().copied().fold(0.0, f64::max) * 1.05;
    let caption = "training loss (logitcrossentropy)";
    draw_curve(&left, caption, "loss", &curves.loss, 0.0..top, BLUE)?;
    let bottom = curves.accuracy.iter().copied().fold(0.9, f64::min) - 0.01;
    draw_curve(
        &right,
        curves.accuracy_caption,
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
