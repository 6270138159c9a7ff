//! The digits file that the `digits` example trains on holds what
//! `data/README.md` says it holds: 1,797 rows of 64 pixels in 0..16 and a
//! label, with the documented count per label.

use flate2::read::GzDecoder;
use std::io::Read;

#[test]
fn digits_file_matches_its_description() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv.gz");
    let mut text = String::new();
    GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();

    let mut per_label = [0usize; 10];
    let mut rows = 0;
    for line in text.lines() {
        let values: Vec<u8> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        assert_eq!(values.len(), 65, "row {rows}");
        assert!(values[..64].iter().all(|&p| p <= 16), "row {rows}");
        per_label[usize::from(values[64])] += 1;
        rows += 1;
    }
    assert_eq!(rows, 1797);
    assert_eq!(
        per_label,
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
}
