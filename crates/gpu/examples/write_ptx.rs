//! Writes every kernel of the catalogue as PTX modules into a folder, for
//! `ptxas` to assemble (`scripts/ptxas-check.sh` runs it).
//!
//! `cargo run -p typeflux-gpu --example write_ptx -- FOLDER`

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/ptx".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let modules = typeflux_gpu::kernels::catalogue::modules();
    for (name, text) in &modules {
        std::fs::write(dir.join(name), text)?;
    }
    println!("{} modules written to {}", modules.len(), dir.display());
    Ok(())
}
