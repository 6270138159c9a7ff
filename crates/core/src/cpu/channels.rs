//! Kernels over the channels of images in host memory: a value per channel
//! added or summed, and the depthwise convolution, where each output
//! channel sees one input channel. The CPU devices run them directly; the
//! default [`Kernels`](crate::Kernels) methods run them on a copy in host
//! memory for devices without kernels of their own.

use crate::element::Element;
use crate::ops::window::Window;

/// `y[i + inner·(c + C·n)] += v[c]` for images of `inner` elements per
/// channel and `C = v.len()` channels.
///
/// # Panics
/// If `y` is not a whole number of images.
#[track_caller]
pub(crate) fn add_channels<E: Element>(y: &mut [E], inner: usize, v: &[E]) {
    let plane = inner.checked_mul(v.len()).expect("add_channels: overflow");
    if plane == 0 {
        return;
    }
    assert_eq!(
        y.len() % plane,
        0,
        "add_channels: {} elements are not images of {inner} × {} channels",
        y.len(),
        v.len()
    );
    for image in y.chunks_exact_mut(plane) {
        for (channel, &b) in image.chunks_exact_mut(inner).zip(v) {
            channel.iter_mut().for_each(|x| *x += b);
        }
    }
}

/// `Σ_{i, n} y[i + inner·(c + C·n)]` for each of the `channels` channels
/// `c`: the adjoint of [`add_channels`].
///
/// # Panics
/// If `y` is not a whole number of images.
#[track_caller]
pub(crate) fn sum_channels<E: Element>(y: &[E], inner: usize, channels: usize) -> Vec<E> {
    let mut out = vec![E::zero(); channels];
    let plane = inner.checked_mul(channels).expect("sum_channels: overflow");
    if plane == 0 {
        return out;
    }
    assert_eq!(
        y.len() % plane,
        0,
        "sum_channels: {} elements are not images of {inner} × {channels} channels",
        y.len()
    );
    for image in y.chunks_exact(plane) {
        for (s, channel) in out.iter_mut().zip(image.chunks_exact(inner)) {
            *s += channel.iter().fold(E::zero(), |a, &x| a + x);
        }
    }
    out
}

/// The sizes of a depthwise convolution, checked against its buffers.
struct Depthwise {
    /// Output channels per input channel.
    multiplier: usize,
    /// Output channels.
    out_channels: usize,
    /// Elements of one input channel of one image.
    in_plane: usize,
    /// Elements of one output channel of one image.
    out_plane: usize,
}

impl Depthwise {
    /// Checks the input's, the weight's and the output's lengths.
    #[track_caller]
    fn new(op: &str, w: &Window, out_channels: usize, x: usize, weight: usize, y: usize) -> Self {
        w.check(op, x);
        assert!(
            w.channels > 0 && out_channels.is_multiple_of(w.channels) && out_channels > 0,
            "{op}: {out_channels} output channels are not a multiple of {} input channels",
            w.channels
        );
        assert_eq!(
            Some(weight),
            w.taps().checked_mul(out_channels),
            "{op}: the weight holds {weight} elements, not {} taps × {out_channels} channels",
            w.taps()
        );
        let out_plane = w.positions();
        assert_eq!(
            Some(y),
            out_plane
                .checked_mul(out_channels)
                .and_then(|n| n.checked_mul(w.batch)),
            "{op}: the output holds {y} elements, not {}×{} × {out_channels} × {}",
            w.output[0],
            w.output[1],
            w.batch
        );
        Depthwise {
            multiplier: out_channels / w.channels,
            out_channels,
            in_plane: w.input[0] * w.input[1],
            out_plane,
        }
    }

    /// For every image `n`, output channel `o`, tap of the kernel and
    /// output position whose tap lies inside the image: `f(input, output,
    /// weight)`, the three indices into the buffers, the input's channel
    /// being `o / multiplier`.
    #[inline(always)]
    fn visit(&self, w: &Window, mut f: impl FnMut(usize, usize, usize)) {
        let [iw, _] = w.input;
        let [ow, oh] = w.output;
        let [kw, kh] = w.kernel;
        for n in 0..w.batch {
            for o in 0..self.out_channels {
                let c = o / self.multiplier;
                let x0 = self.in_plane * (c + w.channels * n);
                let y0 = self.out_plane * (o + self.out_channels * n);
                for ky in 0..kh {
                    for kx in 0..kw {
                        let k = w.tap(0, kx) + kw * w.tap(1, ky) + kw * kh * o;
                        for oy in 0..oh {
                            let Some(iy) = w.source(1, oy, ky) else {
                                continue;
                            };
                            for ox in 0..ow {
                                if let Some(ix) = w.source(0, ox, kx) {
                                    f(x0 + ix + iw * iy, y0 + ox + ow * oy, k);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The depthwise convolution of `x` (`W × H × C × N`) with `w` (`KW × KH ×
/// 1 × CO`): output channel `o` is input channel `o / (CO / C)` convolved
/// with the kernel `w[:, :, 1, o]` over the window.
#[track_caller]
pub(crate) fn depthwise<E: Element>(x: &[E], w: &[E], win: &Window, out_channels: usize) -> Vec<E> {
    let len = win
        .positions()
        .checked_mul(out_channels)
        .and_then(|n| n.checked_mul(win.batch))
        .expect("depthwise_conv: the output's size overflows usize");
    let d = Depthwise::new("depthwise_conv", win, out_channels, x.len(), w.len(), len);
    let mut y = vec![E::zero(); len];
    d.visit(win, |i, o, k| y[o] += w[k] * x[i]);
    y
}

/// The cotangent of [`depthwise`]'s input for the output's cotangent `dy`.
#[track_caller]
pub(crate) fn depthwise_input_grad<E: Element>(
    w: &[E],
    dy: &[E],
    win: &Window,
    out_channels: usize,
) -> Vec<E> {
    let len = win.input_len();
    let d = Depthwise::new(
        "depthwise_conv_input_grad",
        win,
        out_channels,
        len,
        w.len(),
        dy.len(),
    );
    let mut dx = vec![E::zero(); len];
    d.visit(win, |i, o, k| dx[i] += w[k] * dy[o]);
    dx
}

/// The cotangent of [`depthwise`]'s weight for the output's cotangent `dy`.
#[track_caller]
pub(crate) fn depthwise_weight_grad<E: Element>(
    x: &[E],
    dy: &[E],
    win: &Window,
    out_channels: usize,
) -> Vec<E> {
    let len = win
        .taps()
        .checked_mul(out_channels)
        .expect("depthwise_conv_weight_grad: overflow");
    let d = Depthwise::new(
        "depthwise_conv_weight_grad",
        win,
        out_channels,
        x.len(),
        len,
        dy.len(),
    );
    let mut dw = vec![E::zero(); len];
    d.visit(win, |i, o, k| dw[k] += x[i] * dy[o]);
    dw
}
