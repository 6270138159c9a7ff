//! A plotters drawing backend over an RGB pixel buffer that draws its text
//! with a built-in bitmap font, so that the plot needs no font files, no
//! font library and nothing from the system.
//!
//! Glyphs are 5 × 9 pixels: seven rows above the baseline, two below for
//! descenders, drawn in cells 6 pixels wide and 10 high and scaled up by a
//! whole factor to approach the size plotters asks for. The font covers the
//! digits, lowercase letters and the punctuation of plot labels; uppercase
//! letters are drawn as lowercase and any other character as a box.

use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};
use std::convert::Infallible;

/// Each band: a line of the characters, then a glyph's nine rows per
/// character, glyphs 5 wide and one space apart.
const FONT: &str = "\
0     1     2     3     4     5     6     7     8     9
.###. ..#.. .###. ####. ...#. ##### ..##. ##### .###. .###.
#...# .##.. #...# ....# ..##. #.... .#... ....# #...# #...#
#..## ..#.. ....# ....# .#.#. ####. #.... ...#. #...# #...#
#.#.# ..#.. ...#. .###. #..#. ....# ####. ..#.. .###. .####
##..# ..#.. ..#.. ....# ##### ....# #...# .#... #...# ....#
#...# ..#.. .#... ....# ...#. #...# #...# .#... #...# ...#.
.###. .###. ##### ####. ...#. .###. .###. .#... .###. .##..
..... ..... ..... ..... ..... ..... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... ..... ..... .....

a     b     c     d     e     f     g     h     i     j
..... #.... ..... ....# ..... ..##. ..... #.... ..#.. ...#.
..... #.... ..... ....# ..... .#... ..... #.... ..... .....
.###. ####. .#### .#### .###. ####. .#### ####. .##.. ..##.
....# #...# #.... #...# #...# .#... #...# #...# ..#.. ...#.
.#### #...# #.... #...# ##### .#... #...# #...# ..#.. ...#.
#...# #...# #.... #...# #.... .#... #...# #...# ..#.. ...#.
.#### ####. .#### .#### .###. .#... .#### #...# .###. ...#.
..... ..... ..... ..... ..... ..... ....# ..... ..... #..#.
..... ..... ..... ..... ..... ..... .###. ..... ..... .##..

k     l     m     n     o     p     q     r     s     t
#.... .##.. ..... ..... ..... ..... ..... ..... ..... .#...
#.... ..#.. ..... ..... ..... ..... ..... ..... ..... .#...
#..#. ..#.. ##.#. ####. .###. ####. .#### #.##. .#### ####.
#.#.. ..#.. #.#.# #...# #...# #...# #...# ##..# #.... .#...
##... ..#.. #.#.# #...# #...# #...# #...# #.... .###. .#...
#.#.. ..#.. #.#.# #...# #...# #...# #...# #.... ....# .#..#
#..#. .###. #.#.# #...# .###. ####. .#### #.... ####. ..##.
..... ..... ..... ..... ..... #.... ....# ..... ..... .....
..... ..... ..... ..... ..... #.... ....# ..... ..... .....

u     v     w     x     y     z     .     ,     -     +
..... ..... ..... ..... ..... ..... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... ..... ..... ..#..
#...# #...# #...# #...# #...# ##### ..... ..... ..... ..#..
#...# #...# #.#.# .#.#. #...# ...#. ..... ..... .###. #####
#...# #...# #.#.# ..#.. #...# ..#.. ..... ..... ..... ..#..
#..## .#.#. #.#.# .#.#. #...# .#... .##.. .##.. ..... ..#..
.##.# ..#.. .#.#. #...# .#### ##### .##.. .##.. ..... .....
..... ..... ..... ..... ....# ..... ..... ..#.. ..... .....
..... ..... ..... ..... .###. ..... ..... .#... ..... .....

(     )     %     /     :     =     _     '
...#. .#... ##..# ....# ..... ..... ..... ..#..
..#.. ..#.. ##..# ....# .##.. ..... ..... ..#..
.#... ...#. ...#. ...#. .##.. ##### ..... .....
.#... ...#. ..#.. ..#.. ..... ..... ..... .....
.#... ...#. .#... .#... .##.. ##### ..... .....
..#.. ..#.. #..## #.... .##.. ..... ..... .....
...#. .#... #..## #.... ..... ..... ##### .....
..... ..... ..... ..... ..... ..... ..... .....
..... ..... ..... ..... ..... ..... ..... .....";

const WIDTH: usize = 5;
const HEIGHT: usize = 9;
/// A glyph's cell, with a column and a row of space.
const CELL: (i32, i32) = (WIDTH as i32 + 1, HEIGHT as i32 + 1);

/// A glyph: its rows, the leftmost pixel in bit 4.
type Glyph = [u8; HEIGHT];

/// A hollow box, for characters the font lacks.
const MISSING: Glyph = [
    0, 0b11111, 0b10001, 0b10001, 0b10001, 0b10001, 0b11111, 0, 0,
];

/// The glyph of `c`: its own, its lowercase form's, or [`MISSING`]. A space
/// is blank.
fn glyph(c: char) -> Glyph {
    if c == ' ' {
        return [0; HEIGHT];
    }
    let c = c.to_ascii_lowercase();
    for band in FONT.split("\n\n") {
        let mut lines = band.lines();
        let header = lines.next().expect("a band starts with its characters");
        let Some(index) = header.chars().step_by(WIDTH + 1).position(|h| h == c) else {
            continue;
        };
        let mut rows = [0; HEIGHT];
        for (row, line) in rows.iter_mut().zip(lines) {
            let start = index * (WIDTH + 1);
            *row = line[start..start + WIDTH]
                .bytes()
                .fold(0, |bits, b| (bits << 1) | u8::from(b == b'#'));
        }
        return rows;
    }
    MISSING
}

/// The whole factor the glyphs are scaled by for a font of `size` pixels.
fn scale(size: f64) -> i32 {
    ((size / f64::from(CELL.1)).round() as i32).max(1)
}

/// The width and height of `text` in a font of `size` pixels, unrotated.
fn extent(text: &str, size: f64) -> (i32, i32) {
    let s = scale(size);
    let chars = text.chars().count() as i32;
    ((chars * CELL.0 - 1).max(0) * s, HEIGHT as i32 * s)
}

/// Draws into an RGB buffer, row by row, three bytes a pixel.
pub struct Canvas<'a> {
    pixels: &'a mut [u8],
    size: (u32, u32),
}

impl<'a> Canvas<'a> {
    /// A canvas over `pixels`, which must hold `width × height × 3` bytes.
    pub fn new(pixels: &'a mut [u8], size: (u32, u32)) -> Self {
        assert_eq!(pixels.len(), size.0 as usize * size.1 as usize * 3);
        Canvas { pixels, size }
    }
}

impl DrawingBackend for Canvas<'_> {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Infallible>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        (x, y): BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let (width, height) = (self.size.0 as i32, self.size.1 as i32);
        if x < 0 || y < 0 || x >= width || y >= height || color.alpha <= 0.0 {
            return Ok(());
        }
        let at = (y * width + x) as usize * 3;
        let alpha = color.alpha.min(1.0);
        let (r, g, b) = color.rgb;
        for (old, new) in self.pixels[at..at + 3].iter_mut().zip([r, g, b]) {
            *old = (f64::from(new) * alpha + f64::from(*old) * (1.0 - alpha)).round() as u8;
        }
        Ok(())
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<Infallible>> {
        let (w, h) = extent(text, style.size());
        Ok((w as u32, h as u32))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        (x, y): BackendCoord,
    ) -> Result<(), DrawingErrorKind<Infallible>> {
        let s = scale(style.size());
        let (width, height) = extent(text, style.size());
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Center => -width / 2,
            HPos::Right => -width,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let (transform, color) = (style.transform(), style.color());
        for (i, c) in text.chars().enumerate() {
            let rows = glyph(c);
            let left = i as i32 * CELL.0 * s;
            for (row, bits) in rows.iter().enumerate() {
                for column in 0..WIDTH {
                    if bits & (1 << (WIDTH - 1 - column)) == 0 {
                        continue;
                    }
                    // One font pixel is an s × s square.
                    for (u, v) in (0..s).flat_map(|u| (0..s).map(move |v| (u, v))) {
                        let px = left + column as i32 * s + u + dx;
                        let py = row as i32 * s + v + dy;
                        let (px, py) = transform.transform(px, py);
                        self.draw_pixel((x + px, y + py), color)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters_backend::{FontFamily, FontTransform, text_anchor::Pos};

    /// A text style of a size, anchor and rotation.
    struct Style(f64, Pos, FontTransform);

    impl BackendTextStyle for Style {
        type FontError = Infallible;

        fn size(&self) -> f64 {
            self.0
        }
        fn anchor(&self) -> Pos {
            self.1
        }
        fn transform(&self) -> FontTransform {
            self.2.clone()
        }
        fn family(&self) -> FontFamily<'_> {
            FontFamily::SansSerif
        }
        fn layout_box(&self, _: &str) -> Result<((i32, i32), (i32, i32)), Infallible> {
            unreachable!("the canvas measures text itself")
        }
        fn draw<E, F: FnMut(i32, i32, BackendColor) -> Result<(), E>>(
            &self,
            _: &str,
            _: BackendCoord,
            _: F,
        ) -> Result<Result<(), E>, Infallible> {
            unreachable!("the canvas draws text itself")
        }
    }

    #[test]
    fn every_band_is_well_formed_and_every_glyph_distinct() {
        let mut seen = Vec::new();
        for band in FONT.split("\n\n") {
            let lines: Vec<&str> = band.lines().collect();
            assert_eq!(lines.len(), 1 + HEIGHT, "{band}");
            let chars: Vec<char> = lines[0].chars().step_by(WIDTH + 1).collect();
            for line in &lines[1..] {
                assert_eq!(line.len(), chars.len() * (WIDTH + 1) - 1, "{line}");
                assert!(line.bytes().all(|b| b"#. ".contains(&b)), "{line}");
            }
            for c in chars {
                let g = glyph(c);
                assert!(g.iter().any(|&row| row != 0), "`{c}` is blank");
                assert!(!seen.contains(&g), "`{c}` looks like another glyph");
                seen.push(g);
            }
        }
        assert_eq!(seen.len(), 48);
    }

    #[test]
    fn the_plot_s_text_has_glyphs() {
        let text = "training loss (logitcrossentropy) test accuracy epoch 0123456789.-%";
        assert!(text.chars().all(|c| c == ' ' || glyph(c) != MISSING));
        assert_eq!(glyph('Q'), glyph('q'));
        assert_eq!(glyph('~'), MISSING);
    }

    /// Draws `text` and returns the bounding box of the pixels it set.
    fn drawn(text: &str, style: &Style, at: BackendCoord) -> ((i32, i32), (i32, i32)) {
        let size = (120, 120);
        let mut pixels = vec![255; 120 * 120 * 3];
        let mut canvas = Canvas::new(&mut pixels, size);
        canvas.draw_text(text, style, at).unwrap();
        let ink: Vec<(i32, i32)> = (0..120 * 120)
            .filter(|i| pixels[i * 3] == 0)
            .map(|i| ((i % 120) as i32, (i / 120) as i32))
            .collect();
        let xs = ink.iter().map(|p| p.0);
        let ys = ink.iter().map(|p| p.1);
        (
            (xs.clone().min().unwrap(), ys.clone().min().unwrap()),
            (xs.max().unwrap(), ys.max().unwrap()),
        )
    }

    #[test]
    fn text_is_placed_by_its_anchor_and_rotated() {
        let top_left = Pos::new(HPos::Left, VPos::Top);
        // "10" at twice the size: glyphs 10 × 18, cells 12 wide. The 1 starts
        // in its glyph's second column, the 0 ends in its last.
        let style = Style(20.0, top_left, FontTransform::None);
        assert_eq!(extent("10", 20.0), (22, 18));
        assert_eq!(drawn("10", &style, (10, 20)), ((12, 20), (31, 33)));
        let centred = Style(
            20.0,
            Pos::new(HPos::Center, VPos::Center),
            FontTransform::None,
        );
        assert_eq!(drawn("10", &centred, (60, 60)), ((51, 51), (70, 64)));
        // Turned a quarter anticlockwise, as plotters draws a y-axis label:
        // the text reads upwards from the anchor.
        let turned = Style(20.0, top_left, FontTransform::Rotate270);
        assert_eq!(drawn("10", &turned, (20, 100)), ((20, 79), (33, 98)));
    }
}
