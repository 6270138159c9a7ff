//! Writes the table from typenum's unsigned integers back to `Const<N>`
//! (`ToConst`), which stable Rust cannot express as one generic impl: a
//! convolution's output size is computed in typenum and named as a `Const`.

use std::fmt::Write as _;
use std::path::PathBuf;

/// The largest size in the table.
const MAX: usize = 2048;

/// typenum's type for `n`: bits from the least significant outwards.
fn typenum(n: usize) -> String {
    if n == 0 {
        "UTerm".to_string()
    } else {
        format!("UInt<{}, B{}>", typenum(n >> 1), n & 1)
    }
}

fn main() {
    let mut out = String::new();
    for n in 0..=MAX {
        writeln!(
            out,
            "impl ToConst for {} {{ type Output = Const<{n}>; }}",
            typenum(n)
        )
        .expect("writing to a String");
    }
    let path =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("to_const.rs");
    std::fs::write(path, out).expect("OUT_DIR is writable");
    println!("cargo::rerun-if-changed=build.rs");
}
