//! The digits model of the first demo with batch normalisation and dropout,
//! trained with AdamW behind `ClipNorm(1.0)` on a cosine learning-rate
//! schedule with warm-up, stopping early when the accuracy on a validation
//! split stops improving.
//!
//! Run with `cargo run --release --example digits_regularised`. It prints
//! the model as Flux shows it, its progress, and the test accuracy of the
//! epoch that did best on the validation images, and writes its curves to
//! `out/digits_regularised_curves.png`.
//!
//! The 1,437 training images of the first demo are split into 1,150 for
//! training and 287 for validation; the 360 test images are the same.

use std::error::Error;
use std::io::BufWriter;
use std::path::Path as FilePath;
use typeflux::nn::optim::schedule::{Schedule, WarmupCosine};
use typeflux::prelude::*;
use typeflux::rand::SeedableRng;
use typeflux::rand::rngs::StdRng;
use typeflux::rand::seq::SliceRandom;

#[path = "digits/common.rs"]
mod common;
use common::*;

/// Training and validation images together: the first demo's training set.
const TRAIN_AND_VALIDATION: usize = 1437;
const TRAIN: usize = 1150;
const BATCH: usize = 32;
const EPOCHS: usize = 80;
const SEED: u64 = 2024;

fn main() -> Result<(), Box<dyn Error>> {
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
    let (known, test) = order.split_at(TRAIN_AND_VALIDATION);
    let (training, validation) = known.split_at(TRAIN);
    println!(
        "digits: {} for training, {} for validation, {} for testing",
        training.len(),
        validation.len(),
        test.len()
    );
    let (x_validation, _) = batch(&digits, validation);
    let (x_test, _) = batch(&digits, test);

    typeflux::nn::init::seed(SEED);
    let mut model = Chain((
        Dense::<PIXELS, 128>::new(identity),
        BatchNorm::<128>::new(relu),
        Dropout::new(0.2),
        Dense::<128, CLASSES>::new(identity),
    ));
    println!("{model}");
    // Optimisers.jl's `OptimiserChain(ClipNorm(1.0), AdamW(…))`, its learning
    // rate on ParameterSchedulers.jl's warm-up then cosine, one value per
    // epoch: up to 3e-3 over 3 epochs, down to 1e-5 by the last.
    let schedule = WarmupCosine::new(3e-3, 1e-5, 3, EPOCHS);
    let mut opt = OptimiserChain((
        ClipNorm::new(1.0),
        AdamW::new(schedule.at(1), (0.9, 0.999), 1e-4),
    ))
    .setup(&model);
    // Stop after 10 epochs without a better validation accuracy, and keep
    // the model of the best epoch.
    let mut stop = EarlyStopping::new(10).maximise();
    let mut best = (0.0, 0, model.clone());

    let mut curves = Curves {
        loss: Vec::new(),
        accuracy: Vec::new(),
        accuracy_caption: "validation accuracy",
    };
    let mut shuffled = training.to_vec();
    for epoch in 1..=EPOCHS {
        // Optimisers.jl's `adjust!`: the learning rate changes between steps.
        opt.adjust(schedule.at(epoch));
        shuffled.shuffle(&mut rng);
        let batches: Vec<_> = shuffled
            .chunks(BATCH)
            .map(|indices| batch(&digits, indices))
            .collect();
        // Traced for a gradient, the model trains: dropout drops and batch
        // normalisation uses the batch's statistics and records them.
        let loss = train(
            &mut model,
            &mut opt,
            batches.iter().map(|(x, y)| (x, y)),
            |m, x, y| logitcrossentropy(m.forward(x), y),
        )
        .map_err(|e| format!("epoch {epoch}: {e}"))?;
        // On plain data it tests: no dropout, the running statistics.
        let accuracy = accuracy(&model.forward(&x_validation), &digits, validation);
        curves.loss.push(f64::from(loss));
        curves.accuracy.push(accuracy);
        if epoch % 10 == 0 || epoch == 1 {
            println!(
                "epoch {epoch:>2}: learning rate {:.2e}, loss {loss:.4}, validation accuracy {:.2}%",
                schedule.at(epoch),
                100.0 * accuracy
            );
        }
        if accuracy > best.0 {
            best = (accuracy, epoch, model.clone());
        }
        if stop.update(accuracy).is_break() {
            println!("no better validation accuracy for 10 epochs: stopped after epoch {epoch}");
            break;
        }
    }

    let (validation_accuracy, epoch, model) = best;
    let test_accuracy = accuracy(&model.forward(&x_test), &digits, test);
    println!(
        "the model of epoch {epoch}: validation accuracy {:.2}%, test accuracy {:.2}%",
        100.0 * validation_accuracy,
        100.0 * test_accuracy
    );
    let out = root.join("out");
    std::fs::create_dir_all(&out)?;
    let file = std::fs::File::create(out.join("digits_regularised_curves.png"))?;
    plot(&curves, BufWriter::new(file))?;
    println!("wrote out/digits_regularised_curves.png");
    assert!(
        test_accuracy >= 0.95,
        "test accuracy {:.2}% is below 95%",
        100.0 * test_accuracy
    );
    Ok(())
}
