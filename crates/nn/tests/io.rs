//! Safetensors weight files: round trips, the layout other readers see,
//! files from an independent writer, and loads that fail without touching
//! the model.

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use typeflux_core::num_dual::Dual64;
use typeflux_core::prelude::*;
use typeflux_nn::io::{self, Error};
use typeflux_nn::prelude::*;

type Model<E> = Chain<(Dense<3, 2, Relu, E>, Dense<2, 1, Identity, E>)>;

/// A model with distinct, recognisable values: weight `[i, j]` of layer `l`
/// is `l·100 + i·10 + j`, the bias `l·100 + 50 + i`, plus `offset`. The
/// second layer has no bias.
fn model<E: Element>(offset: f64) -> Model<E> {
    let e = |x: f64| E::from_f64(x + offset).unwrap();
    let mut first: Dense<3, 2, Relu, E> = Dense::new(relu);
    first.weight = Matrix::from_fn((Const, Const), |[i, j]| e((10 * i + j) as f64));
    first.bias = Some(Vector::from_fn((Const,), |[i, _]| e((50 + i) as f64)));
    let mut second: Dense<2, 1, Identity, E> = Dense::new(identity).bias(false);
    second.weight = Matrix::from_fn((Const, Const), |[i, j]| e((100 + 10 * i + j) as f64));
    Chain((first, second))
}

/// Each layer's weight and bias, as column-major elements.
type Params<E> = [(Vec<E>, Option<Vec<E>>); 2];

fn params<E: Element>(m: &Model<E>) -> Params<E> {
    let Chain((a, b)) = m;
    [
        (a.weight.to_vec(), a.bias.as_ref().map(Tensor::to_vec)),
        (b.weight.to_vec(), b.bias.as_ref().map(Tensor::to_vec)),
    ]
}

fn temp_file(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "typeflux-io-{}-{name}.safetensors",
        std::process::id()
    ))
}

#[test]
fn round_trip_through_a_file_f32_and_f64() {
    let path = temp_file("round-trip");
    let saved = model::<f32>(0.5);
    io::save(&saved, &path).unwrap();
    let mut loaded = model::<f32>(0.0);
    io::load(&mut loaded, &path).unwrap();
    assert_eq!(params(&loaded), params(&saved));

    let saved = model::<f64>(0.25);
    io::save(&saved, &path).unwrap();
    let mut loaded = model::<f64>(0.0);
    io::load(&mut loaded, &path).unwrap();
    assert_eq!(params(&loaded), params(&saved));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn round_trip_in_memory_keeps_a_trained_model_s_outputs() {
    let trained = model::<f32>(-30.0);
    let mut fresh = model::<f32>(0.0);
    io::from_bytes(&mut fresh, &io::to_bytes(&trained).unwrap()).unwrap();
    let x = Batch::<3>::from_fn((Const, 5), |[i, j]| (i * 5 + j) as f32 / 10.0);
    assert_eq!(fresh.forward(&x), trained.forward(&x));
}

#[test]
fn the_file_holds_row_major_out_by_in_weights() {
    let m = model::<f32>(0.0);
    let bytes = io::to_bytes(&m).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = file.names();
    names.sort_unstable();
    assert_eq!(names, ["0.bias", "0.weight", "1.weight"]);

    let weight = file.tensor("0.weight").unwrap();
    assert_eq!(weight.dtype(), Dtype::F32);
    assert_eq!(weight.shape(), [2, 3]); // [Out, In]
    let values: Vec<f32> = weight
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    // Row-major: the element at [i, j] is at i·In + j, and equals w[[i, j]].
    for i in 0..2 {
        for j in 0..3 {
            assert_eq!(values[i * 3 + j], m.0.0.weight[[i, j]]);
        }
    }
    assert_eq!(values, [0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);

    let bias = file.tensor("0.bias").unwrap();
    assert_eq!(bias.shape(), [2]);
    assert_eq!(file.tensor("1.weight").unwrap().shape(), [1, 2]);

    let f64_file = io::to_bytes(&model::<f64>(0.0)).unwrap();
    let f64_file = SafeTensors::deserialize(&f64_file).unwrap();
    assert_eq!(f64_file.tensor("0.weight").unwrap().dtype(), Dtype::F64);
}

/// `(name, dtype, shape, little-endian bytes)` of a tensor for the
/// independent writer.
type Entry = (String, Dtype, Vec<usize>, Vec<u8>);

fn f32_entry(name: &str, shape: &[usize], row_major: &[f32]) -> Entry {
    let bytes = row_major.iter().flat_map(|x| x.to_le_bytes()).collect();
    (name.into(), Dtype::F32, shape.to_vec(), bytes)
}

fn f64_entry(name: &str, shape: &[usize], row_major: &[f64]) -> Entry {
    let bytes = row_major.iter().flat_map(|x| x.to_le_bytes()).collect();
    (name.into(), Dtype::F64, shape.to_vec(), bytes)
}

/// A file written by the `safetensors` crate itself, as a Python exporter
/// would write it.
fn write(entries: &[Entry]) -> Vec<u8> {
    let views: Vec<(&str, TensorView<'_>)> = entries
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            (
                name.as_str(),
                TensorView::new(*dtype, shape.clone(), bytes).unwrap(),
            )
        })
        .collect();
    safetensors::serialize(views, None).unwrap()
}

/// A correct file for `Model<f32>` with values unlike [`model`]'s.
fn good_entries() -> Vec<Entry> {
    vec![
        f32_entry("0.weight", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        f32_entry("0.bias", &[2], &[-1.0, -2.0]),
        f32_entry("1.weight", &[1, 2], &[7.0, 8.0]),
    ]
}

#[test]
fn loads_a_file_from_an_independent_writer() {
    let mut m = model::<f32>(0.0);
    io::from_bytes(&mut m, &write(&good_entries())).unwrap();
    let w = &m.0.0.weight;
    assert_eq!(
        [
            w[[0, 0]],
            w[[0, 1]],
            w[[0, 2]],
            w[[1, 0]],
            w[[1, 1]],
            w[[1, 2]]
        ],
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    );
    assert_eq!(m.0.0.bias.as_ref().unwrap().to_vec(), vec![-1.0, -2.0]);
    assert_eq!(m.0.1.weight.to_vec(), vec![7.0, 8.0]);
    assert!(m.0.1.bias.is_none());
}

/// Loads `bytes` into a model, expects an error, and checks the model is
/// exactly as before. Returns the error's message.
#[track_caller]
fn failed_load(bytes: &[u8]) -> (Error, String) {
    let mut m = model::<f32>(0.0);
    let before = params(&m);
    let err = io::from_bytes(&mut m, bytes).expect_err("the load should fail");
    assert_eq!(
        params(&m),
        before,
        "a failed load changed the model ({err})"
    );
    let message = err.to_string();
    (err, message)
}

#[test]
fn missing_tensor_is_named_and_changes_nothing() {
    let mut entries = good_entries();
    entries.retain(|(name, ..)| name != "1.weight");
    let (err, message) = failed_load(&write(&entries));
    assert!(matches!(err, Error::Missing { ref tensor } if tensor == "1.weight"));
    assert_eq!(message, "tensor `1.weight`: missing from the file");
}

#[test]
fn wrong_shape_is_named_and_changes_nothing() {
    // The good tensors come first in the walk; none of them may be written.
    let mut entries = good_entries();
    entries[2] = f32_entry("1.weight", &[2, 1], &[7.0, 8.0]);
    let (err, message) = failed_load(&write(&entries));
    assert!(matches!(err, Error::Shape { ref tensor, .. } if tensor == "1.weight"));
    assert_eq!(
        message,
        "tensor `1.weight`: the model's shape is [1, 2], the file's [2, 1]"
    );

    // The column-major shape is not accepted for the transpose.
    let mut entries = good_entries();
    entries[0] = f32_entry("0.weight", &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let (_, message) = failed_load(&write(&entries));
    assert_eq!(
        message,
        "tensor `0.weight`: the model's shape is [2, 3], the file's [3, 2]"
    );
}

#[test]
fn wrong_dtype_is_named_and_changes_nothing() {
    let mut entries = good_entries();
    entries[1] = f64_entry("0.bias", &[2], &[-1.0, -2.0]);
    let (err, message) = failed_load(&write(&entries));
    assert!(matches!(err, Error::Dtype { ref tensor, .. } if tensor == "0.bias"));
    assert_eq!(
        message,
        "tensor `0.bias`: the model holds F32, the file F64"
    );
}

#[test]
fn truncated_file_names_the_cut_tensor_and_changes_nothing() {
    let bytes = write(&good_entries());
    // Tensors are stored in name order: 0.bias, 0.weight, 1.weight.
    let (err, message) = failed_load(&bytes[..bytes.len() - 4]);
    assert!(matches!(err, Error::Truncated { ref tensor, .. } if tensor == "1.weight"));
    assert_eq!(
        message,
        "tensor `1.weight`: the file is truncated (its data section has 36 bytes, the header describes 40)"
    );
    let (err, _) = failed_load(&bytes[..bytes.len() - 20]);
    assert!(matches!(err, Error::Truncated { ref tensor, .. } if tensor == "0.weight"));

    // Cut inside the header, or before its length: not a safetensors file.
    for cut in [3, 8, 20] {
        let (err, _) = failed_load(&bytes[..cut]);
        assert!(matches!(err, Error::Format(_)), "cut at {cut}: {err:?}");
    }
    let (err, _) = failed_load(b"definitely not a weight file");
    assert!(matches!(err, Error::Format(_)));
}

#[test]
fn extra_tensor_is_an_error_and_changes_nothing() {
    let mut entries = good_entries();
    entries.push(f32_entry("1.bias", &[1], &[0.5]));
    let (err, message) = failed_load(&write(&entries));
    assert!(matches!(err, Error::Unexpected { ref tensor } if tensor == "1.bias"));
    assert_eq!(
        message,
        "tensor `1.bias`: in the file but not in the model (is the file for another model?)"
    );
}

#[test]
fn a_model_with_a_bias_needs_it_in_the_file() {
    // Saved without the second bias, loaded into a model that has one.
    let bytes = io::to_bytes(&model::<f32>(0.0)).unwrap();
    let mut with_bias = model::<f32>(3.0);
    with_bias.0.1.bias = Some(Vector::from_array([9.0]));
    let before = with_bias.clone();
    let err = io::from_bytes(&mut with_bias, &bytes).unwrap_err();
    assert!(matches!(err, Error::Missing { ref tensor } if tensor == "1.bias"));
    assert_eq!(with_bias.0.0.weight, before.0.0.weight);
    assert_eq!(with_bias.0.1.bias, before.0.1.bias);
}

#[test]
fn missing_file_is_a_file_error() {
    let path = temp_file("does-not-exist");
    let mut m = model::<f32>(0.0);
    let err = io::load(&mut m, &path).unwrap_err();
    assert!(matches!(err, Error::File { .. }));
    assert!(err.to_string().starts_with(&path.display().to_string()));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn dual_numbers_cannot_be_saved() {
    let layer: Dense<2, 1, Identity, Dual64> = Dense::new(identity);
    let err = io::to_bytes(&layer).unwrap_err();
    assert!(matches!(err, Error::Element { ref tensor, .. } if tensor == "weight"));
    assert!(
        err.to_string()
            .starts_with("tensor `weight`: elements of type")
    );
}

/// A new, empty folder for one test.
fn temp_folder(name: &str) -> std::path::PathBuf {
    let folder = std::env::temp_dir().join(format!("typeflux-io-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

fn folder_entries(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    entries
}

/// The bytes of a file whose header is `text`, followed by `data`.
fn file_with_header(text: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = (text.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn a_failed_save_leaves_the_old_file_as_it_was() {
    let folder = temp_folder("failed-save");
    let path = folder.join("model.safetensors");
    io::save(&model::<f32>(0.5), &path).unwrap();
    let before = std::fs::read(&path).unwrap();

    // A model whose tensors cannot be stored.
    let dual: Dense<2, 1, Identity, Dual64> = Dense::new(identity);
    let err = io::save(&dual, &path).unwrap_err();
    assert!(matches!(err, Error::Element { .. }), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // A folder where the file should go, and a folder that does not exist.
    let in_the_way = folder.join("in-the-way.safetensors");
    std::fs::create_dir(&in_the_way).unwrap();
    let err = io::save(&model::<f32>(1.0), &in_the_way).unwrap_err();
    assert!(
        matches!(err, Error::File { ref path, .. } if *path == in_the_way),
        "{err}"
    );
    let nowhere = folder.join("no-such-folder").join("model.safetensors");
    let err = io::save(&model::<f32>(1.0), &nowhere).unwrap_err();
    assert!(
        matches!(err, Error::File { ref path, .. } if *path == nowhere),
        "{err}"
    );
    assert!(err.to_string().starts_with(&nowhere.display().to_string()));

    // No temporary file was left behind, and the old file is unchanged.
    assert_eq!(folder_entries(&folder), [in_the_way, path.clone()]);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let mut loaded = model::<f32>(0.0);
    io::load(&mut loaded, &path).unwrap();
    assert_eq!(params(&loaded), params(&model::<f32>(0.5)));
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn a_repeated_field_is_refused_as_the_reference_refuses_it() {
    for (field, entry) in [
        (
            "dtype",
            r#"{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}"#,
        ),
        (
            "shape",
            r#"{"dtype":"F32","shape":[2],"shape":[2],"data_offsets":[0,8]}"#,
        ),
    ] {
        let bytes = file_with_header(&format!(r#"{{"0.bias":{entry}}}"#), &[0; 8]);
        assert!(SafeTensors::deserialize(&bytes).is_err());
        let (err, message) = failed_load(&bytes);
        assert!(matches!(err, Error::Format(_)));
        let expected = format!(
            "not a valid safetensors file: the header: tensor `0.bias`: duplicate field `{field}`"
        );
        assert!(message.starts_with(&expected), "{message}");
    }
}

#[test]
fn a_header_over_the_limit_or_past_the_end_is_not_read() {
    let mut over = file_with_header("{}", &[]);
    over[..8].copy_from_slice(&100_000_001u64.to_le_bytes());
    let (_, message) = failed_load(&over);
    assert_eq!(
        message,
        "not a valid safetensors file: the header's length, 100000001 bytes, is over the limit of 100000000"
    );
    // Within the limit but past the end of the file: refused before the
    // header is read, from memory and from a file alike.
    let mut past = file_with_header("{}", &[]);
    past[..8].copy_from_slice(&100_000_000u64.to_le_bytes());
    let expected = "not a valid safetensors file: the header is cut short: its length says 100000000 bytes, 2 follow";
    assert_eq!(failed_load(&past).1, expected);
    let path = temp_file("past-the-end");
    std::fs::write(&path, &past).unwrap();
    let mut m = model::<f32>(0.0);
    assert_eq!(io::load(&mut m, &path).unwrap_err().to_string(), expected);
    std::fs::remove_file(&path).unwrap();
}

/// Removes a file when dropped, so that a failing test leaves no 32 GiB
/// file behind (it takes no space: it is all a hole).
struct Remove(std::path::PathBuf);

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn the_data_is_read_only_after_the_header_is_checked_against_the_model() {
    // A 32 GiB file (a hole, taking no disk space), whose header describes
    // its data correctly but holds a weight of another shape: refused at
    // once, without reading the data.
    let data_len: u64 = 32 << 30;
    let text = format!(
        r#"{{"0.weight":{{"dtype":"F32","shape":[2,{}],"data_offsets":[0,{data_len}]}}}}"#,
        data_len / 8
    );
    let path = temp_file("hole");
    let _remove = Remove(path.clone());
    std::fs::write(&path, file_with_header(&text, &[])).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(8 + text.len() as u64 + data_len).unwrap();
    drop(file);
    let mut m = model::<f32>(0.0);
    let before = params(&m);
    let start = std::time::Instant::now();
    let err = io::load(&mut m, &path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tensor `0.weight`: the model's shape is [2, 3], the file's [2, 4294967296]"
    );
    assert_eq!(params(&m), before);

    // The model's own file with 32 GiB of data after it: also refused
    // without reading them.
    let bytes = io::to_bytes(&model::<f32>(1.0)).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(bytes.len() as u64 + data_len).unwrap();
    drop(file);
    let err = io::load(&mut m, &path).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("not a valid safetensors file: the data section has 34359738408 bytes"),
        "{err}"
    );
    assert_eq!(params(&m), before);
    // Reading 32 GiB would take far longer than this on any machine.
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[cfg(unix)]
#[test]
fn an_endless_file_is_refused_not_read() {
    // `/dev/zero` has no length to check: its header's length reads as 0,
    // and an empty header is not JSON.
    let mut m = model::<f32>(0.0);
    let before = params(&m);
    let err = io::load(&mut m, "/dev/zero").unwrap_err();
    assert!(matches!(err, Error::Format(_)), "{err}");
    assert_eq!(params(&m), before);
}

proptest::proptest! {
    /// Cut anywhere, or with any one byte changed, a file either still loads
    /// (a changed element, or white space in the header) or fails and leaves
    /// the model exactly as it was. A cut file never loads.
    #[test]
    fn a_damaged_file_loads_or_changes_nothing(
        at in proptest::prelude::any::<proptest::sample::Index>(),
        byte in proptest::prelude::any::<u8>(),
        cut in proptest::prelude::any::<bool>(),
    ) {
        let bytes = io::to_bytes(&model::<f32>(0.5)).unwrap();
        let at = at.index(bytes.len());
        let damaged = if cut {
            bytes[..at].to_vec()
        } else {
            let mut damaged = bytes.clone();
            damaged[at] = byte;
            damaged
        };
        let mut m = model::<f32>(0.0);
        let before = params(&m);
        match io::from_bytes(&mut m, &damaged) {
            Ok(()) => proptest::prop_assert!(!cut, "a file cut at {} loaded", at),
            Err(err) => proptest::prop_assert_eq!(params(&m), before, "{}", err),
        }
    }
}

/// A header's text from the characters JSON headers are made of, so that
/// some of it parses and most of it fails at every stage of the checks.
fn header_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let known = prop::sample::select(vec![
        r#"{"0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#,
        r#"{"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#,
        r#""1.weight":{"dtype":"F64","shape":[1,2],"data_offsets":[8,24]}}"#,
        r#"{"__metadata__":{"format":"pt"}}"#,
        "{}",
    ]);
    let noise = "[{}\\[\\]\":,0-9a-zA-Z_. ]{0,40}";
    (known, noise, any::<bool>()).prop_map(|(known, noise, first)| {
        if first {
            format!("{known}{noise}")
        } else {
            format!("{noise}{known}")
        }
    })
}

proptest::proptest! {
    /// Any bytes, and any header over any data, load or leave the model as
    /// it was, and a file holding them gives the same outcome as the bytes.
    #[test]
    fn any_bytes_load_or_change_nothing_alike_from_memory_and_from_a_file(
        random in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        text in header_text(),
        data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..48),
        structured in proptest::prelude::any::<bool>(),
    ) {
        let bytes = if structured { file_with_header(&text, &data) } else { random };
        let mut from_memory = model::<f32>(0.0);
        let before = params(&from_memory);
        let in_memory = io::from_bytes(&mut from_memory, &bytes).map_err(|e| e.to_string());
        if in_memory.is_err() {
            proptest::prop_assert_eq!(params(&from_memory), before.clone());
        }
        let path = temp_file(&format!("any-bytes-{:?}", std::thread::current().id()));
        std::fs::write(&path, &bytes).unwrap();
        let mut from_file = model::<f32>(0.0);
        let on_disk = io::load(&mut from_file, &path).map_err(|e| e.to_string());
        std::fs::remove_file(&path).unwrap();
        proptest::prop_assert_eq!(&in_memory, &on_disk);
        proptest::prop_assert_eq!(params(&from_memory), params(&from_file));
    }
}
