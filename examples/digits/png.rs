//! Writing an RGB image as a PNG file: the signature, an `IHDR` chunk, the
//! rows deflated into one `IDAT` chunk, and `IEND` (the PNG specification,
//! ISO/IEC 15948, sections 5 and 11). Every row is stored unfiltered.

use flate2::Compression;
use flate2::write::ZlibEncoder;
use std::io::Write;

/// The eight bytes every PNG file starts with.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];

/// The PNG file of a `width × height` image whose pixels are `rgb`, three
/// bytes each, row by row from the top.
pub fn encode(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let row = width as usize * 3;
    assert_eq!(
        rgb.len(),
        row * height as usize,
        "{width} × {height} RGB pixels"
    );
    // Each row is preceded by its filter type, 0 (none).
    let mut deflate = ZlibEncoder::new(Vec::new(), Compression::default());
    for pixels in rgb.chunks_exact(row.max(1)) {
        deflate
            .write_all(&[0])
            .and_then(|()| deflate.write_all(pixels))
            .expect("writing to memory does not fail");
    }
    let data = deflate.finish().expect("writing to memory does not fail");

    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);

    let mut file = SIGNATURE.to_vec();
    chunk(&mut file, b"IHDR", &header);
    chunk(&mut file, b"IDAT", &data);
    chunk(&mut file, b"IEND", &[]);
    file
}

/// Appends a chunk: its length, type, data and the CRC-32 of type and data.
fn chunk(file: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).expect("a PNG chunk holds less than 2³¹ bytes");
    file.extend_from_slice(&length.to_be_bytes());
    file.extend_from_slice(kind);
    file.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    file.extend_from_slice(&crc.finalize().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use std::io::Read;

    /// The file's chunks: type and data, after checking each one's CRC.
    fn chunks(mut file: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert_eq!(file[..8], SIGNATURE);
        file = &file[8..];
        let mut out = Vec::new();
        while !file.is_empty() {
            let length = u32::from_be_bytes(file[..4].try_into().unwrap()) as usize;
            let kind: [u8; 4] = file[4..8].try_into().unwrap();
            let data = file[8..8 + length].to_vec();
            let crc = u32::from_be_bytes(file[8 + length..12 + length].try_into().unwrap());
            assert_eq!(crc, crc32fast::hash(&file[4..8 + length]));
            out.push((kind, data));
            file = &file[12 + length..];
        }
        out
    }

    #[test]
    fn holds_the_header_and_the_rows() {
        let (width, height) = (3u32, 2u32);
        let rgb: Vec<u8> = (0..18).map(|i| i * 14).collect();
        let file = encode(width, height, &rgb);
        let chunks = chunks(&file);
        let kinds: Vec<&[u8; 4]> = chunks.iter().map(|(k, _)| k).collect();
        assert_eq!(kinds, [b"IHDR", b"IDAT", b"IEND"]);
        assert_eq!(chunks[0].1, [0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
        let mut rows = Vec::new();
        ZlibDecoder::new(&chunks[1].1[..])
            .read_to_end(&mut rows)
            .unwrap();
        let mut expected = vec![0];
        expected.extend_from_slice(&rgb[..9]);
        expected.push(0);
        expected.extend_from_slice(&rgb[9..]);
        assert_eq!(rows, expected);
        // Every PNG file ends with the same twelve bytes: the empty IEND
        // chunk and its published CRC, AE 42 60 82.
        assert_eq!(
            file[file.len() - 12..],
            [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]
        );
    }
}
