//! The safetensors format: reading a file's header and data, and writing
//! one.
//!
//! A file is the length `n` of its header as 8 little-endian bytes, then `n`
//! bytes of UTF-8 JSON, then the data section. The header is an object that
//! maps each tensor's name to its `dtype` (`"F32"`, `"F64"`, ...), its
//! `shape` (an array of sizes) and its `data_offsets` (`[begin, end]`, a
//! byte range of the data section); an optional `__metadata__` entry maps
//! strings to strings. The tensors' ranges tile the data section from its
//! first byte to its last, without gaps or overlaps.
//!
//! Reading checks all of that before anything is used, so that a damaged
//! file is reported as such rather than read into a model. Writing follows
//! what the reference implementation writes: tensors ordered by the size of
//! their elements, largest first, then by name, and the header padded with
//! spaces to a multiple of 8 bytes so that every tensor's data is aligned.

use super::Error;

/// The longest header read, in bytes, as in the reference implementation: a
/// longer one is taken for a damaged or hostile file rather than allocated.
const MAX_HEADER: usize = 100_000_000;

/// The name of the header entry that holds metadata rather than a tensor.
const METADATA: &str = "__metadata__";

/// How deeply JSON arrays and objects may nest in a header; the format
/// needs three levels.
const MAX_DEPTH: usize = 64;

/// The element types this crate reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dtype {
    F32,
    F64,
}

impl Dtype {
    /// The name the header uses.
    pub(super) fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
        }
    }

    fn bytes(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }
}

/// The size in bits of an element of the dtype the header names, for the
/// dtypes the format defines; `None` for others, whose data length is then
/// not checked.
fn dtype_bits(name: &str) -> Option<usize> {
    Some(match name {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "U16" | "I16" | "F16" | "BF16" => 16,
        "U32" | "I32" | "F32" => 32,
        "U64" | "I64" | "F64" | "C64" => 64,
        _ => return None,
    })
}

/// One tensor of a file, as its header describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) dtype: String,
    pub(super) shape: Vec<usize>,
    /// Its byte range in the data section.
    pub(super) data: core::ops::Range<usize>,
}

/// A checked file: its tensors in the order of their data, and the data.
#[derive(Debug)]
pub(super) struct File<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

impl<'a> File<'a> {
    /// Reads and checks the file's header against its data.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the data section ends before the header's
    /// last tensor does, [`Error::Format`] for anything else that is not a
    /// complete, consistent safetensors file.
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let Some(length) = bytes.get(..8) else {
            return Err(Error::Format(format!(
                "the file has {} bytes, too few for the header's length (8 bytes)",
                bytes.len()
            )));
        };
        let length = u64::from_le_bytes(length.try_into().expect("8 bytes"));
        let length = usize::try_from(length)
            .ok()
            .filter(|&n| n <= MAX_HEADER)
            .ok_or_else(|| {
                Error::Format(format!(
                    "the header's length, {length} bytes, is over the limit of {MAX_HEADER}"
                ))
            })?;
        let Some(header) = bytes.get(8..8 + length) else {
            return Err(Error::Format(format!(
                "the header is cut short: its length says {length} bytes, {} follow",
                bytes.len() - 8
            )));
        };
        let data = &bytes[8 + length..];
        let header = core::str::from_utf8(header)
            .map_err(|e| Error::Format(format!("the header is not UTF-8 text: {e}")))?;
        let header =
            Parser::parse(header).map_err(|why| Error::Format(format!("the header: {why}")))?;
        let Json::Object(members) = header else {
            return Err(Error::Format("the header is not a JSON object".into()));
        };

        let mut entries: Vec<Entry> = Vec::with_capacity(members.len());
        let mut names = std::collections::HashSet::with_capacity(members.len());
        for (name, value) in members {
            if !names.insert(name.clone()) {
                return Err(Error::Format(format!(
                    "`{name}` appears twice in the header"
                )));
            }
            if name == METADATA {
                metadata(&value).map_err(|why| Error::Format(format!("{METADATA}: {why}")))?;
            } else {
                entries.push(entry(name, &value)?);
            }
        }
        entries.sort_by_key(|e| (e.data.start, e.data.end));

        let mut end = 0;
        for entry in &entries {
            if entry.data.start != end {
                let why = if entry.data.start < end {
                    "overlaps the tensor before it"
                } else {
                    "leaves a gap after the tensor before it"
                };
                return Err(Error::Format(format!(
                    "tensor `{}`: its data, bytes {}..{}, {why}, which ends at byte {end}",
                    entry.name, entry.data.start, entry.data.end
                )));
            }
            end = entry.data.end;
        }
        if data.len() < end {
            let cut = entries
                .iter()
                .find(|e| e.data.end > data.len())
                .expect("a tensor ends past the data");
            return Err(Error::Truncated {
                tensor: cut.name.clone(),
                expected: end,
                found: data.len(),
            });
        }
        if data.len() > end {
            return Err(Error::Format(format!(
                "the data section has {} bytes, the header describes {end}",
                data.len()
            )));
        }
        Ok(File { entries, data })
    }

    /// The names of the file's tensors.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// The tensor called `name` and its bytes.
    pub(super) fn tensor(&self, name: &str) -> Option<(&Entry, &'a [u8])> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map(|e| (e, &self.data[e.data.clone()]))
    }
}

/// Checks a tensor's header entry and its data length.
fn entry(name: String, value: &Json) -> Result<Entry, Error> {
    let fail = |why: &str| Error::Format(format!("tensor `{name}`: {why}"));
    let Json::Object(fields) = value else {
        return Err(fail("its entry is not a JSON object"));
    };
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| fail(&format!("its entry has no `{key}`")))
    };
    let Json::String(dtype) = field("dtype")? else {
        return Err(fail("its `dtype` is not a string"));
    };
    let sizes = |key: &str| -> Result<Vec<usize>, Error> {
        let Json::Array(items) = field(key)? else {
            return Err(fail(&format!("its `{key}` is not an array")));
        };
        items
            .iter()
            .map(|item| {
                item.as_usize()
                    .ok_or_else(|| fail(&format!("its `{key}` holds something other than sizes")))
            })
            .collect()
    };
    let shape = sizes("shape")?;
    let offsets = sizes("data_offsets")?;
    let [begin, end] = offsets[..] else {
        return Err(fail("its `data_offsets` is not a pair [begin, end]"));
    };
    if end < begin {
        return Err(fail(&format!(
            "its `data_offsets` [{begin}, {end}] end before they begin"
        )));
    }
    if let Some(bits) = dtype_bits(dtype) {
        let needed = shape
            .iter()
            .try_fold(bits, |total, &n| total.checked_mul(n))
            .filter(|total| total % 8 == 0)
            .map(|total| total / 8);
        if needed != Some(end - begin) {
            return Err(fail(&format!(
                "a {dtype} tensor of shape {shape:?} does not take the {} bytes of its `data_offsets`",
                end - begin
            )));
        }
    }
    Ok(Entry {
        name,
        dtype: dtype.clone(),
        shape,
        data: begin..end,
    })
}

/// Checks the metadata entry: an object of strings.
fn metadata(value: &Json) -> Result<(), String> {
    let Json::Object(fields) = value else {
        return Err("not a JSON object".into());
    };
    match fields.iter().find(|(_, v)| !matches!(v, Json::String(_))) {
        Some((key, _)) => Err(format!("the value of `{key}` is not a string")),
        None => Ok(()),
    }
}

/// The bytes of a safetensors file holding `tensors`: each a name, a dtype,
/// a shape and its elements' little-endian bytes, row-major, whose length
/// the caller has matched to the shape.
pub(super) fn write(mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)>) -> Vec<u8> {
    tensors.sort_by(|a, b| b.1.bytes().cmp(&a.1.bytes()).then_with(|| a.0.cmp(&b.0)));
    let mut header = String::from("{");
    let mut offset = 0;
    for (i, (name, dtype, shape, bytes)) in tensors.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        write_string(&mut header, name);
        let shape: Vec<String> = shape.iter().map(usize::to_string).collect();
        header.push_str(&format!(
            r#":{{"dtype":"{}","shape":[{}],"data_offsets":[{offset},{}]}}"#,
            dtype.name(),
            shape.join(","),
            offset + bytes.len()
        ));
        offset += bytes.len();
    }
    header.push('}');
    while (8 + header.len()) % 8 != 0 {
        header.push(' ');
    }
    let mut file = Vec::with_capacity(8 + header.len() + offset);
    file.extend_from_slice(&(header.len() as u64).to_le_bytes());
    file.extend_from_slice(header.as_bytes());
    for (.., bytes) in &tensors {
        file.extend_from_slice(bytes);
    }
    file
}

/// Appends `s` as a JSON string.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON value. Numbers keep their text: the header's numbers are sizes,
/// read exactly as integers, and no other number is used.
#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value as a size: a number written as a non-negative integer that
    /// fits a `usize`.
    fn as_usize(&self) -> Option<usize> {
        match self {
            Json::Number(text) if text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
            _ => None,
        }
    }
}

/// A JSON reader (RFC 8259) over a header's text.
struct Parser<'t> {
    text: &'t str,
    pos: usize,
    depth: usize,
}

impl<'t> Parser<'t> {
    /// The one JSON value `text` holds, with white space around it.
    fn parse(text: &'t str) -> Result<Json, String> {
        let mut parser = Parser {
            text,
            pos: 0,
            depth: 0,
        };
        let value = parser.value()?;
        parser.skip_space();
        if parser.pos < text.len() {
            return Err(parser.error("text after the JSON value"));
        }
        Ok(value)
    }

    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Consumes `byte` after white space, or fails naming `what` was
    /// expected.
    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected {what}")))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("the text ends where a value should be")),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Result<Json, String>) -> Result<Json, String> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("arrays and objects nested too deeply"));
        }
        self.depth += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<Json, String> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string for a key"));
            }
            let key = self.string()?;
            self.expect(b':', "`:` after a key")?;
            members.push((key, self.value()?));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected `,` or `}` in an object")),
            }
        }
    }

    fn array(&mut self) -> Result<Json, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]` in an array")),
            }
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    /// A number, checked against JSON's grammar: `-`, an integer part
    /// without leading zeros, then an optional fraction and exponent.
    fn number(&mut self) -> Result<Json, String> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let leading_zero = self.peek() == Some(b'0');
        match digits(self) {
            0 => return Err(self.error("expected digits in a number")),
            n if leading_zero && n > 1 => {
                return Err(self.error("a number with a leading zero"));
            }
            _ => {}
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("expected digits after a decimal point"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("expected digits in an exponent"));
            }
        }
        Ok(Json::Number(self.text[start..self.pos].to_string()))
    }

    /// A string, its escapes resolved; `pos` is at its opening quote.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let run = rest
                .find(|c: char| c == '"' || c == '\\' || (c as u32) < 0x20)
                .ok_or_else(|| self.error("a string that does not end"))?;
            out.push_str(&rest[..run]);
            self.pos += run;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                _ => return Err(self.error("a control character in a string")),
            }
        }
    }

    /// The character an escape stands for; `pos` is after its backslash.
    fn escape(&mut self) -> Result<char, String> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let high = self.hex4()?;
                if !(0xD800..0xDC00).contains(&high) {
                    return char::from_u32(high).ok_or_else(|| self.error("an unpaired surrogate"));
                }
                // A high surrogate: the low one must follow as `\uDC00`–`\uDFFF`.
                if !self.text[self.pos..].starts_with("\\u") {
                    return Err(self.error("an unpaired surrogate"));
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..0xE000).contains(&low) {
                    return Err(self.error("an unpaired surrogate"));
                }
                let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                return Ok(char::from_u32(code).expect("a surrogate pair is a character"));
            }
            _ => return Err(self.error("an unknown escape in a string")),
        };
        self.pos += 1;
        Ok(c)
    }

    /// Four hexadecimal digits.
    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("expected four hexadecimal digits after `\\u`"))?;
        self.pos += 4;
        Ok(u32::from_str_radix(digits, 16).expect("hexadecimal digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Json, String> {
        Parser::parse(text)
    }

    fn s(text: &str) -> Json {
        Json::String(text.into())
    }

    #[test]
    fn reads_every_kind_of_value() {
        let value = json(r#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d"}} "#).unwrap();
        assert_eq!(
            value,
            Json::Object(vec![
                (
                    "a".into(),
                    Json::Array(vec![
                        Json::Number("1".into()),
                        Json::Number("-2.5e3".into()),
                        Json::Bool(true),
                        Json::Bool(false),
                        Json::Null
                    ])
                ),
                ("b".into(), Json::Object(vec![("c".into(), s("d"))])),
            ])
        );
        assert_eq!(json("[]").unwrap(), Json::Array(vec![]));
        assert_eq!(json("{ }").unwrap(), Json::Object(vec![]));
    }

    #[test]
    fn resolves_escapes_and_surrogate_pairs() {
        assert_eq!(
            json(r#""q\" b\\ s\/ \b\f\n\r\t \u00e9 \ud83d\ude00 é""#).unwrap(),
            s("q\" b\\ s/ \u{8}\u{c}\n\r\t é 😀 é")
        );
        for bad in [
            r#""\ud83d""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            r#""\x""#,
            r#""\u12g4""#,
            "\"a\nb\"",
            r#""open"#,
        ] {
            assert!(json(bad).is_err(), "{bad} was read");
        }
    }

    #[test]
    fn rejects_what_json_does_not_allow() {
        for bad in [
            "",
            "{",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{1:2}",
            "01",
            "1.",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "[] []",
            "'a'",
            "NaN",
        ] {
            assert!(json(bad).is_err(), "{bad:?} was read");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(json(&deep).unwrap_err().contains("nested too deeply"));
        let fine = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(json(&fine).is_ok());
    }

    #[test]
    fn sizes_are_non_negative_integers_that_fit() {
        let size = |text: &str| json(text).unwrap().as_usize();
        assert_eq!(size("0"), Some(0));
        assert_eq!(size("18446744073709551615"), Some(usize::MAX));
        for not_a_size in ["-1", "1.0", "1e3", "18446744073709551616", "\"3\""] {
            assert_eq!(size(not_a_size), None, "{not_a_size}");
        }
    }

    fn header(text: &str, data: &[u8]) -> Vec<u8> {
        let mut file = (text.len() as u64).to_le_bytes().to_vec();
        file.extend_from_slice(text.as_bytes());
        file.extend_from_slice(data);
        file
    }

    fn format_error(file: &[u8]) -> String {
        match File::parse(file) {
            Err(Error::Format(why)) => why,
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn accepts_metadata_and_empty_tensors() {
        let file = header(
            r#"{"__metadata__":{"format":"pt"},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#,
            &[1, 2, 3, 4],
        );
        let file = File::parse(&file).unwrap();
        let mut names: Vec<&str> = file.names().collect();
        names.sort_unstable();
        assert_eq!(names, ["e", "h"]);
        let (entry, bytes) = file.tensor("h").unwrap();
        assert_eq!((entry.dtype.as_str(), &entry.shape[..]), ("BF16", &[2][..]));
        assert_eq!(bytes, [1, 2, 3, 4]);
        assert_eq!(file.tensor("e").unwrap().1, [] as [u8; 0]);
        assert!(file.tensor("__metadata__").is_none());
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
                "tensor `t`: its entry has no `dtype`",
            ),
            (
                t(r#"{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}"#),
                "tensor `t`: its `shape` holds something other than sizes",
            ),
            (
                t(r#"{"dtype":"F32","shape":[2],"data_offsets":[8]}"#),
                "tensor `t`: its `data_offsets` is not a pair [begin, end]",
            ),
            (
                t(r#"{"dtype":"F32","shape":[2],"data_offsets":[8,0]}"#),
                "tensor `t`: its `data_offsets` [8, 0] end before they begin",
            ),
            (
                t(r#"{"dtype":"F32","shape":[2],"data_offsets":[4,12]}"#),
                "tensor `t`: its data, bytes 4..12, leaves a gap after the tensor before it, which ends at byte 0",
            ),
            (t("[]"), "tensor `t`: its entry is not a JSON object"),
            (
                r#"{"__metadata__":{"a":1}}"#.to_string(),
                "__metadata__: the value of `a` is not a string",
            ),
            (
                r#"{"a":{"dtype":"U8","shape":[],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[],"data_offsets":[1,2]}}"#.to_string(),
                "`a` appears twice in the header",
            ),
            ("[]".to_string(), "the header is not a JSON object"),
            ("{".to_string(), "the header: expected a string for a key at byte 1"),
        ];
        for (text, message) in cases {
            assert_eq!(format_error(&header(&text, &[0; 8])), message, "{text}");
        }
        let overlap = r#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#;
        assert_eq!(
            format_error(&header(overlap, &[0; 3])),
            "tensor `b`: its data, bytes 1..3, overlaps the tensor before it, which ends at byte 2"
        );
        let mut not_utf8 = header("{\"\u{e9}\":1}", &[]);
        not_utf8[10] = 0xFF;
        assert!(format_error(&not_utf8).starts_with("the header is not UTF-8 text"));
        let mut huge = header("{}", &[]);
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            format_error(&huge),
            "the header's length, 18446744073709551615 bytes, is over the limit of 100000000"
        );
        assert_eq!(
            format_error(&header("{}", &[0; 3])),
            "the data section has 3 bytes, the header describes 0"
        );
    }

    #[test]
    fn writes_aligned_data_largest_elements_first() {
        let file = write(vec![
            ("b".into(), Dtype::F32, vec![1], vec![1; 4]),
            ("a\"\\\u{1}".into(), Dtype::F32, vec![], vec![2; 4]),
            ("z".into(), Dtype::F64, vec![1, 1], vec![3; 8]),
        ]);
        let length = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
        assert_eq!((8 + length) % 8, 0);
        let text = core::str::from_utf8(&file[8..8 + length]).unwrap();
        assert_eq!(
            text.trim_end(),
            r#"{"z":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]},"a\"\\\u0001":{"dtype":"F32","shape":[],"data_offsets":[8,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#
        );
        let parsed = File::parse(&file).unwrap();
        assert_eq!(parsed.tensor("a\"\\\u{1}").unwrap().1, [2; 4]);
        assert_eq!(parsed.tensor("z").unwrap().1, [3; 8]);
    }

    /// Property tests against the reference implementation (the
    /// `safetensors` crate): files it writes read the same here, files
    /// written here read the same there, and no cut or damaged file panics.
    mod reference {
        use super::*;
        use proptest::prelude::*;
        use safetensors::tensor::TensorView;

        /// A tensor: its name, whether it is `f64`, its shape, its bytes.
        type Tensor = (String, bool, Vec<usize>, Vec<u8>);

        fn tensors() -> impl Strategy<Value = Vec<Tensor>> {
            let tensor = (
                "[a-z0-9._é\\\"]{1,8}",
                any::<bool>(),
                prop::collection::vec(0usize..4, 0..4),
                any::<u8>(),
            )
                .prop_map(|(name, wide, shape, fill)| {
                    let elements: usize = shape.iter().product();
                    let len = elements * if wide { 8 } else { 4 };
                    let bytes = (0..len).map(|i| fill.wrapping_add(i as u8)).collect();
                    (name, wide, shape, bytes)
                });
            prop::collection::vec(tensor, 0..6).prop_map(|mut tensors| {
                tensors.sort_by(|a, b| a.0.cmp(&b.0));
                tensors.dedup_by(|a, b| a.0 == b.0);
                tensors
            })
        }

        fn by_reference(tensors: &[Tensor], metadata: bool) -> Vec<u8> {
            let views = tensors.iter().map(|(name, wide, shape, bytes)| {
                let dtype = if *wide {
                    safetensors::Dtype::F64
                } else {
                    safetensors::Dtype::F32
                };
                (
                    name.as_str(),
                    TensorView::new(dtype, shape.clone(), bytes).unwrap(),
                )
            });
            let metadata = metadata.then(|| [("format".to_string(), "pt".to_string())].into());
            safetensors::serialize(views, metadata).unwrap()
        }

        fn here(tensors: &[Tensor]) -> Vec<u8> {
            write(
                tensors
                    .iter()
                    .map(|(name, wide, shape, bytes)| {
                        let dtype = if *wide { Dtype::F64 } else { Dtype::F32 };
                        (name.clone(), dtype, shape.clone(), bytes.clone())
                    })
                    .collect(),
            )
        }

        proptest! {
            #[test]
            fn reads_what_the_reference_writes(tensors in tensors(), metadata in any::<bool>()) {
                let bytes = by_reference(&tensors, metadata);
                let file = File::parse(&bytes).unwrap();
                prop_assert_eq!(file.names().count(), tensors.len());
                for (name, wide, shape, data) in &tensors {
                    let (entry, bytes) = file.tensor(name).unwrap();
                    prop_assert_eq!(&entry.dtype, if *wide { "F64" } else { "F32" });
                    prop_assert_eq!(&entry.shape, shape);
                    prop_assert_eq!(bytes, &data[..]);
                }
            }

            #[test]
            fn writes_what_the_reference_reads(tensors in tensors()) {
                let bytes = here(&tensors);
                let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
                prop_assert_eq!(file.len(), tensors.len());
                for (name, wide, shape, data) in &tensors {
                    let view = file.tensor(name).unwrap();
                    let dtype = if *wide { safetensors::Dtype::F64 } else { safetensors::Dtype::F32 };
                    prop_assert_eq!(view.dtype(), dtype);
                    prop_assert_eq!(view.shape(), &shape[..]);
                    prop_assert_eq!(view.data(), &data[..]);
                }
                // The same bytes as the reference's own file, but for the header's padding
                // and the order of its keys, which JSON leaves free.
                let reference = by_reference(&tensors, false);
                let data = |file: &[u8]| {
                    let n = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
                    file[8 + n..].to_vec()
                };
                prop_assert_eq!(data(&bytes), data(&reference));
            }

            #[test]
            fn every_cut_is_an_error_and_no_damage_panics(
                tensors in tensors(),
                at in any::<prop::sample::Index>(),
                byte in any::<u8>(),
            ) {
                let bytes = by_reference(&tensors, true);
                let cut = at.index(bytes.len());
                prop_assert!(File::parse(&bytes[..cut]).is_err(), "cut at {}", cut);
                let mut damaged = bytes.clone();
                damaged[cut] = byte;
                if let Ok(file) = File::parse(&damaged) {
                    for name in file.names() {
                        let (entry, data) = file.tensor(name).unwrap();
                        prop_assert_eq!(data.len(), entry.data.len());
                    }
                }
            }
        }
    }
}
