//! Times single training steps of the `nn` bench's 1024-wide model, each
//! followed by the same step with the update folded into the backward pass
//! (`Descent::step`), by the step's matrix products alone on the `gemm`
//! crate, and by as many floating-point operations as those products have
//! run as fused multiply-adds on registers (`fma_peak`, the cores' ceiling
//! at that moment), and prints the quartiles of the four and of ratios
//! between them in the same round. Alternating them one by one puts all
//! under the same load, and quartiles say more than a mean on a machine
//! whose load changes from second to second.
//!
//! ```text
//! cargo run --release -p typeflux-benches --example step_times -- [rounds] [--no-cache]
//! ```
//!
//! The step is the bench's: `1024 => 1024 relu => 1024 relu => 10` at batch
//! 256, forward, `logitcrossentropy`, gradient (none for the input), plain
//! descent, on a pool of two threads. `--no-cache` turns the CPU buffer
//! cache off (`cache::set_limit(0)`) before the first step, so that every
//! large block goes back to the system allocator when it is freed, as before
//! the cache existed (whether the system allocator then hands the blocks
//! back to the operating system depends on the order of earlier frees). The
//! first ten rounds are not counted.

use std::time::Instant;
use typeflux::cpu::cache;
use typeflux::prelude::*;
use typeflux_benches::{Products, fma_peak, mlp_1024};

const BATCH: usize = 256;
const WARM_UP: usize = 10;

/// One printed figure of a round's four times.
type Column = fn(&[f64; 4]) -> f64;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let steps = args
        .iter()
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(300);
    if args.iter().any(|a| a == "--no-cache") {
        cache::set_limit(0);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a pool of two threads");

    let (mut model, x, y) = mlp_1024(BATCH);
    let mut opt = Descent::new(0.01).setup(&model);

    let mut products = Products::new(&[1024, 1024, 1024, 10], BATCH);
    let flops = products.flops();
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed().as_secs_f64() * 1e3
    };
    let descent = Descent::new(0.01);
    let rounds: Vec<[f64; 4]> = pool.install(|| {
        (0..WARM_UP + steps)
            .map(|_| {
                let step = time(&mut || {
                    let (loss, grad) = value_and_gradient(
                        |m| logitcrossentropy(m.forward(&x), &y),
                        typeflux::ad::reverse::model(&model),
                    );
                    opt.update(&mut model, &grad);
                    assert!(loss.is_finite());
                });
                let fused = time(&mut || {
                    let loss = descent.step(&mut model, |m| logitcrossentropy(m.forward(&x), &y));
                    assert!(loss.is_finite());
                });
                let alone = time(&mut || products.run());
                [step, fused, alone, fma_peak(flops) * 1e3]
            })
            .skip(WARM_UP)
            .collect()
    });
    println!(
        "{steps} rounds, cache {}; min / p25 / median / p75 / max",
        if cache::limit() > 0 { "on" } else { "off" }
    );
    let columns: [(&str, Column); 8] = [
        ("typeflux step, ms", |r| r[0]),
        ("fused step, ms", |r| r[1]),
        ("gemm products, ms", |r| r[2]),
        ("FMA peak, ms", |r| r[3]),
        ("step / products", |r| r[0] / r[2]),
        ("fused / products", |r| r[1] / r[2]),
        ("products / peak", |r| r[2] / r[3]),
        ("fused / peak", |r| r[1] / r[3]),
    ];
    for (name, f) in columns {
        let mut v: Vec<f64> = rounds.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        let at = |q: usize| v[(v.len() - 1) * q / 4];
        println!(
            "{name:>18}: {:.2} / {:.2} / {:.2} / {:.2} / {:.2}",
            at(0),
            at(1),
            at(2),
            at(3),
            at(4)
        );
    }
}
