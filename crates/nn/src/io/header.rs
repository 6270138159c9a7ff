//! A safetensors file's header: read with `serde_json` into the `safetensors`
//! crate's own entries, and checked against the data it describes.
//!
//! A file is the length `n` of its header as 8 little-endian bytes, then `n`
//! bytes of JSON, then the data section. The header maps each tensor's name
//! to its [`TensorInfo`] (dtype, shape, and `data_offsets`, a byte range of
//! the data section); an optional `__metadata__` entry maps strings to
//! strings. The tensors' ranges tile the data section from its first byte to
//! its last, without gaps or overlaps.
//!
//! The reference reads the header through a `#[serde(flatten)]` map, which
//! first copies every JSON value into a tree of serde's own: a 100 MB header
//! of many small values (metadata strings, entries, the elements of a long
//! shape or of a field the format does not define) took 13 to 19 times its
//! size in memory, and 3 to 10 seconds. Here the header's object is walked
//! directly: each entry becomes a `TensorInfo` at once (refused, as by the
//! reference, when it repeats a field), the metadata is checked and
//! dropped, and a field the format does not define is skipped, so the same
//! headers take at most 3 times their size (a shape of 50 million sizes,
//! kept as `usize`s) and under a second.

use super::Error;
use core::fmt;
use safetensors::tensor::TensorInfo;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The bytes before the header: its length as a little-endian `u64`.
pub(super) const PREFIX: usize = 8;

/// The longest header read, in bytes, as in the reference implementation: a
/// longer one is taken for a damaged or hostile file rather than allocated.
pub(super) const MAX_HEADER: usize = 100_000_000;

/// The name of the header entry that holds metadata rather than a tensor.
const METADATA: &str = "__metadata__";

/// The header's length, from the file's first [`PREFIX`] bytes.
///
/// # Errors
/// [`Error::Format`] for a length over [`MAX_HEADER`].
pub(super) fn length(prefix: [u8; PREFIX]) -> Result<usize, Error> {
    let length = u64::from_le_bytes(prefix);
    usize::try_from(length)
        .ok()
        .filter(|&n| n <= MAX_HEADER)
        .ok_or_else(|| {
            Error::Format(format!(
                "the header's length, {length} bytes, is over the limit of {MAX_HEADER}"
            ))
        })
}

/// The error for a file that ends inside its header.
pub(super) fn cut_short(length: usize, follow: u64) -> Error {
    Error::Format(format!(
        "the header is cut short: its length says {length} bytes, {follow} follow"
    ))
}

/// The checked header of a whole file in memory, and its data section.
///
/// # Errors
/// [`Error::Format`] or [`Error::Truncated`] for bytes that are not a
/// complete safetensors file.
pub(super) fn split(bytes: &[u8]) -> Result<(Header, &[u8]), Error> {
    let Some((prefix, rest)) = bytes.split_first_chunk::<PREFIX>() else {
        return Err(too_short(bytes.len()));
    };
    let length = length(*prefix)?;
    if rest.len() < length {
        return Err(cut_short(length, rest.len() as u64));
    }
    let (text, data) = rest.split_at(length);
    let header = Header::parse(text)?;
    header.check_data_len(data.len() as u64)?;
    Ok((header, data))
}

/// The error for a file too short to hold the header's length.
pub(super) fn too_short(len: usize) -> Error {
    Error::Format(format!(
        "the file has {len} bytes, too few for the header's length ({PREFIX} bytes)"
    ))
}

/// A checked header: its tensors by name, and the length of the data
/// section they tile.
#[derive(Debug)]
pub(super) struct Header {
    /// Sorted by name.
    entries: Vec<(String, TensorInfo)>,
    data_len: usize,
}

impl Header {
    /// Reads the header's JSON text and checks each tensor's entry, and
    /// their byte ranges together.
    ///
    /// # Errors
    /// [`Error::Format`] for text that is not such a header.
    pub(super) fn parse(text: &[u8]) -> Result<Self, Error> {
        let mut context = None;
        let mut entries = parse_json(text, &mut context).map_err(|error| {
            Error::Format(match context {
                Some(context) => format!("the header: {context}: {error}"),
                None => format!("the header: {error}"),
            })
        })?;

        entries.sort_by_key(|(_, info)| info.data_offsets);
        let mut end = 0;
        for (name, info) in &entries {
            check_size(name, info)?;
            let (begin, stop) = info.data_offsets;
            if begin != end {
                let why = if begin < end {
                    "overlaps the tensor before it"
                } else {
                    "leaves a gap after the tensor before it"
                };
                return Err(Error::Format(format!(
                    "tensor `{name}`: its data, bytes {begin}..{stop}, {why}, which ends at byte {end}"
                )));
            }
            end = stop;
        }

        entries.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(twice) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::Format(format!(
                "`{}` appears twice in the header",
                twice[0].0
            )));
        }
        Ok(Header {
            entries,
            data_len: end,
        })
    }

    /// The length of the data section the header describes.
    pub(super) fn data_len(&self) -> usize {
        self.data_len
    }

    /// Checks that a data section of `found` bytes is the one the header
    /// describes.
    ///
    /// # Errors
    /// [`Error::Truncated`], naming the first tensor cut off, for a shorter
    /// one; [`Error::Format`] for a longer one.
    pub(super) fn check_data_len(&self, found: u64) -> Result<(), Error> {
        let expected = self.data_len;
        match usize::try_from(found) {
            Ok(found) if found == expected => Ok(()),
            Ok(found) if found < expected => {
                let (cut, _) = self
                    .entries
                    .iter()
                    .filter(|(_, info)| info.data_offsets.1 > found)
                    .min_by_key(|(_, info)| info.data_offsets)
                    .expect("a tensor ends past the data");
                Err(Error::Truncated {
                    tensor: cut.clone(),
                    expected,
                    found,
                })
            }
            _ => Err(Error::Format(format!(
                "the data section has {found} bytes, the header describes {expected}"
            ))),
        }
    }

    /// The names of the tensors, in order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }

    /// The tensor called `name`.
    pub(super) fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        let i = self
            .entries
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()?;
        Some(&self.entries[i].1)
    }
}

/// Checks that a tensor's byte range holds its elements exactly.
fn check_size(name: &str, info: &TensorInfo) -> Result<(), Error> {
    let fail = |why: String| Error::Format(format!("tensor `{name}`: {why}"));
    let (begin, end) = info.data_offsets;
    if end < begin {
        return Err(fail(format!(
            "its `data_offsets` [{begin}, {end}] end before they begin"
        )));
    }
    let bits = info
        .shape
        .iter()
        .try_fold(info.dtype.bitsize(), |total, &n| total.checked_mul(n));
    if bits.filter(|bits| bits % 8 == 0).map(|bits| bits / 8) != Some(end - begin) {
        return Err(fail(format!(
            "a {} tensor of shape {:?} does not take the {} bytes of its `data_offsets`",
            info.dtype,
            info.shape,
            end - begin
        )));
    }
    Ok(())
}

/// The header's entries, in the order of the text; `context` is left
/// naming the entry being read when an error occurs inside one.
fn parse_json(
    text: &[u8],
    context: &mut Option<String>,
) -> Result<Vec<(String, TensorInfo)>, serde_json::Error> {
    let mut json = serde_json::Deserializer::from_slice(text);
    let entries = (&mut json).deserialize_map(Entries { context })?;
    json.end()?;
    Ok(entries)
}

/// Reads the header's object.
struct Entries<'c> {
    context: &'c mut Option<String>,
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = Vec<(String, TensorInfo)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of tensor entries")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        let mut metadata = false;
        while let Some(name) = map.next_key::<String>()? {
            if name == METADATA {
                if metadata {
                    return Err(de::Error::duplicate_field(METADATA));
                }
                metadata = true;
                *self.context = Some(format!("`{METADATA}`"));
                map.next_value_seed(Strings)?;
            } else {
                *self.context = Some(format!("tensor `{name}`"));
                let info = map.next_value::<TensorInfo>()?;
                entries.push((name, info));
            }
            *self.context = None;
        }
        Ok(entries)
    }
}

/// The metadata: `null`, or an object whose values are strings, which is
/// checked and not kept.
struct Strings;

impl<'de> DeserializeSeed<'de> for Strings {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for Strings {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of strings")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(AString)?;
        }
        Ok(())
    }
}

/// A JSON string, checked and dropped.
struct AString;

impl<'de> DeserializeSeed<'de> for AString {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for AString {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str, data: &[u8]) -> Vec<u8> {
        let mut file = (text.len() as u64).to_le_bytes().to_vec();
        file.extend_from_slice(text.as_bytes());
        file.extend_from_slice(data);
        file
    }

    fn format_error(bytes: &[u8]) -> String {
        match split(bytes) {
            Err(Error::Format(why)) => why,
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn accepts_metadata_unknown_fields_and_empty_tensors() {
        let bytes = file(
            r#"{"__metadata__":{"format":"pt","\u00e9":"x"},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0],"note":[{"a":[]}]},"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}  "#,
            &[1, 2, 3, 4],
        );
        let (header, data) = split(&bytes).unwrap();
        assert_eq!(header.names().collect::<Vec<_>>(), ["e", "h"]);
        let h = header.tensor("h").unwrap();
        assert_eq!(
            (h.dtype, &h.shape[..]),
            (safetensors::Dtype::BF16, &[2][..])
        );
        assert_eq!(&data[h.data_offsets.0..h.data_offsets.1], [1, 2, 3, 4]);
        assert_eq!(header.tensor("e").unwrap().data_offsets, (0, 0));
        assert!(header.tensor("__metadata__").is_none());
        assert_eq!(header.data_len(), 4);
        let null_metadata = file(r#"{"__metadata__":null}"#, &[]);
        assert_eq!(split(&null_metadata).unwrap().0.names().count(), 0);
    }

    #[test]
    fn names_what_is_wrong_with_a_header() {
        let t = |entry: &str| format!(r#"{{"t":{entry}}}"#);
        let cases = [
            (
                t(r#"{"dtype":"F32","shape":[2],"data_offsets":[0,4]}"#),
                "tensor `t`: a F32 tensor of shape [2] does not take the 4 bytes of its `data_offsets`",
            ),
            (
                t(r#"{"shape":[2],"data_offsets":[0,8]}"#),
                "the header: tensor `t`: missing field `dtype`",
            ),
            (
                t(r#"{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}"#),
                "the header: tensor `t`: duplicate field `dtype`",
            ),
            (
                t(r#"{"dtype":"F32","shape":[2],"shape":[2],"data_offsets":[0,8]}"#),
                "the header: tensor `t`: duplicate field `shape`",
            ),
            (
                t(r#"{"dtype":"F33","shape":[2],"data_offsets":[0,8]}"#),
                "the header: tensor `t`: unknown variant `F33`, expected one of",
            ),
            (
                t(r#"{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}"#),
                "the header: tensor `t`: invalid value: integer `-2`, expected usize",
            ),
            (
                t(r#"{"dtype":"F32","shape":[2],"data_offsets":[8]}"#),
                "the header: tensor `t`: invalid length 1, expected a tuple of size 2",
            ),
            (
                t(r#"{"dtype":"F32","shape":[2],"data_offsets":[8,0]}"#),
                "tensor `t`: its `data_offsets` [8, 0] end before they begin",
            ),
            (
                t(r#"{"dtype":"F32","shape":[2],"data_offsets":[4,12]}"#),
                "tensor `t`: its data, bytes 4..12, leaves a gap after the tensor before it, which ends at byte 0",
            ),
            (t("7"), "the header: tensor `t`: invalid type: integer `7`, expected struct TensorInfo"),
            (
                r#"{"__metadata__":{"a":1}}"#.to_string(),
                "the header: `__metadata__`: invalid type: integer `1`, expected a string",
            ),
            (
                r#"{"__metadata__":{},"__metadata__":{}}"#.to_string(),
                "the header: duplicate field `__metadata__`",
            ),
            (
                r#"{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[],"data_offsets":[1,2]}}"#.to_string(),
                "`a` appears twice in the header",
            ),
            ("[]".to_string(), "the header: invalid type: sequence, expected an object of tensor entries"),
            ("{".to_string(), "the header: EOF while parsing an object at line 1 column 1"),
            ("{} x".to_string(), "the header: trailing characters at line 1 column 4"),
        ];
        for (text, message) in cases {
            let why = format_error(&file(&text, &[0; 8]));
            assert!(why.starts_with(message), "{text}: {why}");
        }
        let overlap = r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#;
        assert_eq!(
            format_error(&file(overlap, &[0; 3])),
            "tensor `b`: its data, bytes 1..3, overlaps the tensor before it, which ends at byte 2"
        );
        let mut not_utf8 = file("{\"\u{e9}\":1}", &[]);
        not_utf8[10] = 0xFF;
        assert!(format_error(&not_utf8).starts_with("the header: invalid unicode"));
        // A field the format does not define is skipped without recursion,
        // however deeply it nests, and the entry is checked as usual.
        let deep = "[".repeat(1_000_000) + &"]".repeat(1_000_000);
        let deep =
            format!(r#"{{"t":{{"dtype":"U8","shape":[],"data_offsets":[0,0],"x":{deep}}}}}"#);
        assert_eq!(
            format_error(&file(&deep, &[])),
            "tensor `t`: a U8 tensor of shape [] does not take the 0 bytes of its `data_offsets`"
        );
        // Where a value is read, its nesting is limited.
        let deep = "[".repeat(1_000_000) + &"]".repeat(1_000_000);
        let deep = format!(r#"{{"t":{deep}}}"#);
        assert!(format_error(&file(&deep, &[])).starts_with("the header: tensor `t`: "));
    }

    #[test]
    fn checks_the_length_before_the_header() {
        let mut huge = file("{}", &[]);
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            format_error(&huge),
            "the header's length, 18446744073709551615 bytes, is over the limit of 100000000"
        );
        let mut past_the_end = file("{}", &[]);
        past_the_end[..8].copy_from_slice(&100u64.to_le_bytes());
        assert_eq!(
            format_error(&past_the_end),
            "the header is cut short: its length says 100 bytes, 2 follow"
        );
        assert_eq!(
            format_error(&[1, 2, 3]),
            "the file has 3 bytes, too few for the header's length (8 bytes)"
        );
        assert_eq!(
            format_error(&file("{}", &[0; 3])),
            "the data section has 3 bytes, the header describes 0"
        );
    }

    /// Property tests against the reference implementation (the
    /// `safetensors` crate): files it writes read the same here, and a cut
    /// or damaged file that reads here reads the same there, so that this
    /// reader is never more lenient than the reference.
    mod reference {
        use super::*;
        use proptest::prelude::*;
        use safetensors::tensor::TensorView;
        use safetensors::{Dtype, SafeTensors};

        /// A tensor: its name, dtype, shape and bytes.
        type Tensor = (String, Dtype, Vec<usize>, Vec<u8>);

        fn tensors() -> impl Strategy<Value = Vec<Tensor>> {
            let dtype = prop::sample::select(vec![Dtype::F32, Dtype::F64, Dtype::U8, Dtype::BF16]);
            let tensor = (
                "[a-z0-9._é\\\"]{1,8}",
                dtype,
                prop::collection::vec(0usize..4, 0..4),
                any::<u8>(),
            )
                .prop_map(|(name, dtype, shape, fill)| {
                    let bits = shape.iter().product::<usize>() * dtype.bitsize();
                    let bytes = (0..bits / 8).map(|i| fill.wrapping_add(i as u8)).collect();
                    (name, dtype, shape, bytes)
                });
            prop::collection::vec(tensor, 0..6).prop_map(|mut tensors| {
                tensors.sort_by(|a, b| a.0.cmp(&b.0));
                tensors.dedup_by(|a, b| a.0 == b.0);
                tensors
            })
        }

        fn by_reference(tensors: &[Tensor], metadata: bool) -> Vec<u8> {
            let views = tensors.iter().map(|(name, dtype, shape, bytes)| {
                (
                    name.as_str(),
                    TensorView::new(*dtype, shape.clone(), bytes).unwrap(),
                )
            });
            let metadata = metadata.then(|| [("format".to_string(), "pt".to_string())].into());
            safetensors::serialize(views, metadata).unwrap()
        }

        /// Every tensor of `bytes` read here is the reference's.
        fn same_as_reference(bytes: &[u8]) -> Result<(), TestCaseError> {
            let (header, data) = split(bytes).unwrap();
            let reference = SafeTensors::deserialize(bytes);
            prop_assert!(reference.is_ok(), "read here, refused by the reference");
            let reference = reference.unwrap();
            let mut names = reference.names();
            names.sort_unstable();
            prop_assert_eq!(header.names().collect::<Vec<_>>(), names);
            for name in header.names() {
                let info = header.tensor(name).unwrap();
                let view = reference.tensor(name).unwrap();
                prop_assert_eq!(info.dtype, view.dtype());
                prop_assert_eq!(&info.shape[..], view.shape());
                prop_assert_eq!(&data[info.data_offsets.0..info.data_offsets.1], view.data());
            }
            Ok(())
        }

        proptest! {
            #[test]
            fn reads_what_the_reference_writes(tensors in tensors(), metadata in any::<bool>()) {
                let bytes = by_reference(&tensors, metadata);
                same_as_reference(&bytes)?;
                prop_assert_eq!(split(&bytes).unwrap().0.names().count(), tensors.len());
            }

            #[test]
            fn a_cut_is_an_error_and_damage_is_read_only_as_the_reference_reads_it(
                tensors in tensors(),
                at in any::<prop::sample::Index>(),
                byte in any::<u8>(),
            ) {
                let bytes = by_reference(&tensors, true);
                let cut = at.index(bytes.len());
                prop_assert!(split(&bytes[..cut]).is_err(), "cut at {}", cut);
                let mut damaged = bytes.clone();
                damaged[cut] = byte;
                if split(&damaged).is_ok() {
                    same_as_reference(&damaged)?;
                }
            }
        }
    }
}
