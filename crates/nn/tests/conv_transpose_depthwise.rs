//! `ConvTranspose` and `DepthwiseConv`: values against direct references
//! written here (a scatter over the input for the transposed convolution,
//! loops over the output for the depthwise one), the transposed
//! convolution against the adjoint of `Conv`, gradients against central
//! differences (f64) on odd sizes, strides, paddings and dilations, output
//! sizes against Flux's formula, and both layers trained to a known
//! answer.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{model, value_and_gradient};
use typeflux_core::ops::window::{Geometry, Pad, SamePad};
use typeflux_core::prelude::*;
use typeflux_nn::optim::{Adam, Rule};
use typeflux_nn::prelude::*;

type Images<const W: usize, const H: usize, const C: usize> =
    Tensor<(Const<W>, Const<H>, Const<C>, usize), f64>;

/// A batch of `n` images with distinct, irregular elements.
fn images<const W: usize, const H: usize, const C: usize>(
    n: usize,
    seed: usize,
) -> Images<W, H, C> {
    Tensor::from_fn((Const, Const, Const, n), |[i, j]| {
        (((i + 1) * 7 + j * 13 + seed * 5) as f64 * 0.37).sin() * 1.5 + i as f64 * 1e-3
    })
}

/// Irregular values for a tensor of a static shape.
fn irregular<S: ConstShape>(scale: f64) -> Tensor<S, f64> {
    Tensor::from_fn(Default::default(), |[i, j]| {
        ((i * 5 + j * 3) as f64 * 0.61).cos() * scale
    })
}

/// The index of `[x, y, c, n]` in a `W × H × C × N` buffer.
fn ix([w, h, c]: [usize; 3], [x, y, ch, n]: [usize; 4]) -> usize {
    x + w * (y + h * (ch + c * n))
}

/// The reference transposed convolution: every input element, times each
/// tap of the flipped kernel, added at the output position that tap of the
/// convolution the other way reads, `o·S + k·D − P`; then the bias and
/// `tanh`.
#[allow(clippy::too_many_arguments)]
fn reference_transpose(
    x: &[f64],
    [w, h, ci, batch]: [usize; 4],
    weight: &[f64],
    [kw, kh, co]: [usize; 3],
    bias: &[f64],
    stride: usize,
    pad: [usize; 2],
    dilation: usize,
    [ow, oh]: [usize; 2],
) -> Vec<f64> {
    let mut y = vec![0.0; ow * oh * co * batch];
    for n in 0..batch {
        for c in 0..ci {
            for iy in 0..h {
                for ix_ in 0..w {
                    let v = x[ix([w, h, ci], [ix_, iy, c, n])];
                    for o in 0..co {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let px = (ix_ * stride + kx * dilation) as isize - pad[0] as isize;
                                let py = (iy * stride + ky * dilation) as isize - pad[1] as isize;
                                if px < 0 || py < 0 || px >= ow as isize || py >= oh as isize {
                                    continue;
                                }
                                let (fx, fy) = (kw - 1 - kx, kh - 1 - ky);
                                let wv = weight[fx + kw * (fy + kh * (o + co * c))];
                                y[ix([ow, oh, co], [px as usize, py as usize, o, n])] += wv * v;
                            }
                        }
                    }
                }
            }
        }
    }
    for image in y.chunks_exact_mut(ow * oh * co) {
        for (channel, b) in image.chunks_exact_mut(ow * oh).zip(bias) {
            channel.iter_mut().for_each(|v| *v = (*v + b).tanh());
        }
    }
    y
}

/// The layer `$L`'s value against `$reference`, and the gradients of a
/// loss in the weight, the bias and the input against central
/// differences.
macro_rules! window_case {
    ($name:ident: $L:ident $KW:literal x $KH:literal, $CI:literal => $CO:literal, $G:ty,
     reference $reference:ident, input $W:literal x $H:literal, stride $s:expr, pad $p:expr,
     dilation $d:expr, output $OW:literal x $OH:literal) => {
        #[test]
        fn $name() {
            type L = $L<$KW, $KH, $CI, $CO, Tanh, $G, f64>;
            let l: L = $L::from_parts(
                irregular(0.5),
                Vector::<$CO, f64>::from_fn((Const,), |[i, _]| 0.1 * i as f64 - 0.05),
                tanh,
            );
            let x = images::<$W, $H, $CI>(2, 1);
            let y = l.forward(&x);
            assert_eq!(y.shape(), (Const::<$OW>, Const::<$OH>, Const::<$CO>, 2));
            let want = $reference(
                x.as_slice(),
                [$W, $H, $CI, 2],
                l.weight.as_slice(),
                [$KW, $KH, $CO],
                l.bias.as_ref().unwrap().as_slice(),
                $s,
                $p,
                $d,
                [$OW, $OH],
            );
            numeric::assert_close(y.as_slice(), &want, "value");

            let t = Tensor::from_fn(y.shape(), |[i, j]| ((i * 3 + j) as f64 * 0.29).sin());
            let loss = |m: &L, x: &Images<$W, $H, $CI>| mse(m.forward(x), &t).item();
            let (_, (g, gx)) = value_and_gradient(|(m, x)| mse(m.forward(x), &t), (model(&l), &x));
            check(
                &l,
                |m| m.weight.as_mut_slice(),
                |m| loss(m, &x),
                g.weight.as_slice(),
                "weight",
            );
            check(
                &l,
                |m| m.bias.as_mut().unwrap().as_mut_slice(),
                |m| loss(m, &x),
                g.bias.as_ref().unwrap().as_slice(),
                "bias",
            );
            check(
                &x,
                |x| x.as_mut_slice(),
                |x| loss(&l, x),
                gx.as_slice(),
                "input",
            );
        }
    };
}

window_case!(transpose_plain_on_odd_sizes: ConvTranspose 3 x 2, 2 => 3, Geometry,
    reference reference_transpose, input 5 x 4, stride 1, pad [0, 0], dilation 1, output 7 x 5);
// (4 − 1)·2 + 3 − 2 = 7 and (3 − 1)·2 + 3 − 2 = 5
window_case!(transpose_strided_and_padded: ConvTranspose 3 x 3, 2 => 2, Geometry<2, Pad<1>>,
    reference reference_transpose,
    input 4 x 3, stride 2, pad [1, 1], dilation 1, output 7 x 5);
// (3 − 1)·1 + 2·(3 − 1) + 1 = 7 and (4 − 1) + 2·(2 − 1) + 1 = 6
window_case!(transpose_dilated: ConvTranspose 3 x 2, 1 => 2, Geometry<1, Pad<0>, 2>,
    reference reference_transpose,
    input 3 x 4, stride 1, pad [0, 0], dilation 2, output 7 x 6);
// (3 − 1)·3 + 2·(2 − 1) + 1 − 4 = 5 and (4 − 1)·3 + 2·(3 − 1) + 1 − 4 = 10
window_case!(transpose_stride_three_pad_two_dilation_two: ConvTranspose 2 x 3, 3 => 2,
    Geometry<3, Pad<2>, 2>, reference reference_transpose, input 3 x 4, stride 3, pad [2, 2], dilation 2, output 5 x 10);
// SamePad pads K − S = 2 (1 before) along the width and 1 (1 before, the
// odd one) along the height: N·S outputs.
window_case!(transpose_same_pad_doubles: ConvTranspose 4 x 3, 2 => 1, Geometry<2, SamePad>,
    reference reference_transpose, input 3 x 4, stride 2, pad [1, 1], dilation 1, output 6 x 8);

/// `⟨conv(u), x⟩ = ⟨convᵀ(x), u⟩`: the transposed convolution is the
/// adjoint of the convolution with the same weight and geometry, which is
/// checked against its own reference in the `conv` tests.
#[test]
fn conv_transpose_is_the_adjoint_of_conv() {
    let w: Tensor<(Const<3>, Const<2>, Const<3>, Const<2>), f64> = irregular(0.7);
    let up: ConvTranspose<3, 2, 2, 3, Identity, Geometry<2, Pad<1>>, f64> =
        ConvTranspose::from_parts(w.clone(), false, identity);
    let down: Conv<3, 2, 3, 2, Identity, Geometry<2, Pad<1>>, f64> =
        Conv::from_parts(w, false, identity);
    let x = images::<4, 3, 2>(2, 4);
    let y = up.forward(&x); // (4 − 1)·2 + 3 − 2 = 7, (3 − 1)·2 + 2 − 2 = 4
    assert_eq!(y.shape(), (Const::<7>, Const::<4>, Const::<3>, 2));
    let u = images::<7, 4, 3>(2, 9);
    let back = down.forward(&u);
    assert_eq!(back.shape(), x.shape());
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
    let (left, right) = (
        dot(back.as_slice(), x.as_slice()),
        dot(y.as_slice(), u.as_slice()),
    );
    assert!(left.abs() > 1e-3, "a trivial pairing proves nothing");
    assert!(
        (left - right).abs() <= 1e-12 * left.abs().max(1.0),
        "{left} vs {right}"
    );
}

#[test]
fn conv_transpose_sizes_follow_flux() {
    let x = Tensor::<(Const<5>, Const<3>, Const<1>, usize)>::ones_with((Const, Const, Const, 2));
    // Flux: (5 − 1)·1 + 1 + (3 − 1)·1 − 0 = 7, (3 − 1) + 3 = 5
    let l = ConvTranspose::<3, 3, 1, 2>::new(relu);
    assert_eq!(
        l.forward(&x).shape(),
        (Const::<7>, Const::<5>, Const::<2>, 2)
    );
    // stride 2, SamePad: 10 × 6, the input's size times the stride
    let l = ConvTranspose::<4, 4, 1, 2>::new(relu)
        .stride::<2>()
        .same_pad();
    assert_eq!(
        l.forward(&x).shape(),
        (Const::<10>, Const::<6>, Const::<2>, 2)
    );
    // stride 3, dilation 2, pad 1: (5 − 1)·3 + 2·2 + 1 − 2 = 15, 6 + 5 − 2 = 9
    let l = ConvTranspose::<3, 3, 1, 2>::new(relu)
        .stride::<3>()
        .dilation::<2>()
        .pad::<1>();
    assert_eq!(
        l.forward(&x).shape(),
        (Const::<15>, Const::<9>, Const::<2>, 2)
    );
    // SamePad with dilation 2: Flux pads D·(K − S) = 2, (N − 1)·S + D·(S − 1) + 1
    let l = ConvTranspose::<3, 3, 1, 2>::new(relu)
        .stride::<2>()
        .dilation::<2>()
        .same_pad();
    assert_eq!(
        l.forward(&x).shape(),
        (Const::<11>, Const::<7>, Const::<2>, 2)
    );
}

#[test]
fn conv_transpose_weights_start_glorot_uniform_with_flux_fans() {
    let l = ConvTranspose::<3, 3, 2, 4>::new(relu);
    // Flux stores 3 × 3 × 4 × 2: fan_in 3·3·4, fan_out 3·3·2
    assert_eq!(
        l.weight.shape(),
        (Const::<3>, Const::<3>, Const::<4>, Const::<2>)
    );
    let bound = (6.0f32 / (36.0 + 18.0)).sqrt();
    assert!(l.weight.iter().all(|w| w.abs() <= bound));
    assert!(l.weight.iter().any(|w| w.abs() > bound / 2.0));
    assert_eq!(l.bias.unwrap().to_vec(), vec![0.0; 4]);
}

/// The reference depthwise convolution: output channel `o` is input
/// channel `o / M` convolved with kernel `o`, flipped, then bias and
/// `tanh`.
#[allow(clippy::too_many_arguments)]
fn reference_depthwise(
    x: &[f64],
    [w, h, ci, batch]: [usize; 4],
    weight: &[f64],
    [kw, kh, co]: [usize; 3],
    bias: &[f64],
    stride: usize,
    pad: [usize; 2],
    dilation: usize,
    [ow, oh]: [usize; 2],
) -> Vec<f64> {
    let m = co / ci;
    let mut y = Vec::new();
    for n in 0..batch {
        for o in 0..co {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut s = bias[o];
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let px = (ox * stride + kx * dilation) as isize - pad[0] as isize;
                            let py = (oy * stride + ky * dilation) as isize - pad[1] as isize;
                            if px < 0 || py < 0 || px >= w as isize || py >= h as isize {
                                continue;
                            }
                            let wv = weight[(kw - 1 - kx) + kw * ((kh - 1 - ky) + kh * o)];
                            s += wv * x[ix([w, h, ci], [px as usize, py as usize, o / m, n])];
                        }
                    }
                    y.push(s.tanh());
                }
            }
        }
    }
    y
}

window_case!(depthwise_one_kernel_per_channel: DepthwiseConv 3 x 2, 3 => 3, Geometry,
    reference reference_depthwise, input 6 x 5, stride 1, pad [0, 0], dilation 1, output 4 x 4);
window_case!(depthwise_multiplier_two_strided_padded: DepthwiseConv 3 x 3, 2 => 4, Geometry<2, Pad<1>>,
    reference reference_depthwise,
    input 7 x 6, stride 2, pad [1, 1], dilation 1, output 4 x 3);
window_case!(depthwise_multiplier_three_dilated_same: DepthwiseConv 2 x 3, 1 => 3, Geometry<1, SamePad, 2>,
    reference reference_depthwise, input 5 x 6, stride 1, pad [1, 2], dilation 2, output 5 x 6);

/// An upsampling by two learnt from scratch: a `ConvTranspose` with a 2 × 2
/// kernel and stride 2 reaches the nearest-neighbour upsampling of its
/// input (each pixel a 2 × 2 block), which a kernel of ones computes.
#[test]
fn conv_transpose_learns_to_upsample() {
    typeflux_nn::init::seed(11);
    let x = images::<4, 4, 1>(6, 3);
    let target = Images::<8, 8, 1>::from_fn((Const, Const, Const, 6), |[p, n]| {
        let (i, j) = (p % 8, p / 8);
        x.as_slice()[i / 2 + 4 * (j / 2) + 16 * n]
    });
    let mut up: ConvTranspose<2, 2, 1, 1, Identity, Geometry<2>, f64> =
        ConvTranspose::new(identity).stride::<2>();
    let mut opt = Adam::new(0.05).setup(&up);
    let first = mse(up.forward(&x), &target).item();
    for _ in 0..300 {
        typeflux_nn::train(&mut up, &mut opt, [(&x, &target)], |m, x, y| {
            mse(m.forward(x), y)
        })
        .expect("a finite loss");
    }
    let last = mse(up.forward(&x), &target).item();
    assert!(
        last < 1e-6 && first > 1e-2,
        "the loss went from {first} to {last}"
    );
    for w in up.weight.iter() {
        assert!((w - 1.0).abs() < 1e-2, "a weight of {w}, not 1");
    }
}

/// A depthwise layer learns the kernels of another: each channel's blur
/// and edge filter recovered from their outputs.
#[test]
fn depthwise_conv_learns_known_kernels() {
    typeflux_nn::init::seed(12);
    let teacher: DepthwiseConv<3, 3, 2, 4, Identity, Geometry<1, SamePad>, f64> =
        DepthwiseConv::from_parts(irregular(0.8), irregular::<(Const<4>,)>(0.3), identity);
    // Pixels without structure, so that every kernel weight is seen apart.
    let x = Images::<6, 5, 2>::from_fn((Const, Const, Const, 4), |[i, j]| {
        ((i * 7919 + j * 104_729 + 17) % 1009) as f64 / 504.5 - 1.0
    });
    let target = teacher.forward(&x);
    let mut student: DepthwiseConv<3, 3, 2, 4, Identity, Geometry<1, SamePad>, f64> =
        DepthwiseConv::new(identity).same_pad();
    let mut opt = Adam::new(0.05).setup(&student);
    let first = mse(student.forward(&x), &target).item();
    for _ in 0..600 {
        typeflux_nn::train(&mut student, &mut opt, [(&x, &target)], |m, x, y| {
            mse(m.forward(x), y)
        })
        .expect("a finite loss");
    }
    let last = mse(student.forward(&x), &target).item();
    assert!(
        last < 1e-8 && first > 0.1,
        "the loss went from {first} to {last}"
    );
    for (s, t) in student.weight.iter().zip(teacher.weight.iter()) {
        assert!((s - t).abs() < 1e-3, "a kernel weight of {s}, not {t}");
    }
}
