//! The 8×8 digits of `data/digits.csv.gz` as the examples read them; the
//! `digits` and `cnn` examples share this file.

use flate2::read::GzDecoder;
use std::error::Error;
use std::io::Read;
use std::path::Path as FilePath;

/// Pixels of an image: 8 × 8, row by row.
pub const PIXELS: usize = 64;

/// The digits: each image's 64 pixels scaled to `[0, 1]`, and its label.
pub struct Digits {
    /// The pixels of each image, row by row.
    pub pixels: Vec<[f32; PIXELS]>,
    /// The label of each image.
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
