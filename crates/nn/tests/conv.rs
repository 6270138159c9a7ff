//! `Conv`, the pooling layers and `Flatten`: values against a direct
//! reference written here (loops over the output, padding by hand),
//! gradients against central differences (f64) on odd sizes, strides,
//! paddings and dilations, and a small CNN trained end to end.

mod numeric;

use numeric::check;
use typeflux_ad::reverse::{gradient, model, value_and_gradient};
use typeflux_core::ops::window::{Geometry, Pad, SamePad};
use typeflux_core::prelude::*;
use typeflux_nn::optim::{Adam, Descent, Rule};
use typeflux_nn::prelude::*;

type Images<const W: usize, const H: usize, const C: usize> =
    Tensor<(Const<W>, Const<H>, Const<C>, usize), f64>;

/// A batch of `n` images whose elements are distinct and irregular, so no
/// two inputs of a pooling window tie.
fn images<const W: usize, const H: usize, const C: usize>(
    n: usize,
    seed: usize,
) -> Images<W, H, C> {
    Tensor::from_fn((Const, Const, Const, n), |[i, j]| {
        (((i + 1) * 7 + j * 13 + seed * 5) as f64 * 0.37).sin() * 1.5 + i as f64 * 1e-3
    })
}

/// The element `[x, y, c, n]` of a `W × H × C × N` buffer.
fn at(v: &[f64], [w, h, c]: [usize; 3], [x, y, ch, n]: [usize; 4]) -> f64 {
    v[x + w * (y + h * (ch + c * n))]
}

/// The reference convolution: for every output, the sum over the kernel
/// of weight times input, the input read as zero off its edges, the kernel
/// flipped (a true convolution, Flux's `Conv`) or not (`CrossCor`).
#[allow(clippy::too_many_arguments)]
fn reference_conv(
    x: &[f64],
    [w, h, ci, batch]: [usize; 4],
    weight: &[f64],
    [kw, kh, co]: [usize; 3],
    bias: &[f64],
    stride: usize,
    pad: [usize; 2],
    dilation: usize,
    [ow, oh]: [usize; 2],
    flip: bool,
) -> Vec<f64> {
    let mut y = Vec::new();
    for n in 0..batch {
        for o in 0..co {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut s = bias[o];
                    for c in 0..ci {
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let ix = (ox * stride + kx * dilation) as isize - pad[0] as isize;
                                let iy = (oy * stride + ky * dilation) as isize - pad[1] as isize;
                                if ix < 0 || iy < 0 || ix >= w as isize || iy >= h as isize {
                                    continue;
                                }
                                let (fx, fy) = if flip {
                                    (kw - 1 - kx, kh - 1 - ky)
                                } else {
                                    (kx, ky)
                                };
                                let wv = weight[fx + kw * (fy + kh * (c + ci * o))];
                                s += wv * at(x, [w, h, ci], [ix as usize, iy as usize, c, n]);
                            }
                        }
                    }
                    y.push(s.tanh());
                }
            }
        }
    }
    y
}

/// A layer with irregular weights and bias.
macro_rules! layer {
    ($L:ident, $KW:literal, $KH:literal, $CI:literal, $CO:literal, $G:ty) => {{
        let l: $L<$KW, $KH, $CI, $CO, Tanh, $G, f64> = $L::from_parts(
            Tensor::from_fn(Default::default(), |[i, j]| {
                ((i * 5 + j * 3) as f64 * 0.61).cos() * 0.4
            }),
            Vector::<$CO, f64>::from_fn((Const,), |[i, _]| 0.1 * i as f64 - 0.05),
            tanh,
        );
        l
    }};
}

/// The layer's value against the reference, and the gradients of a loss in
/// the weight, the bias and the input against central differences.
macro_rules! conv_case {
    ($name:ident: $L:ident $KW:literal x $KH:literal, $CI:literal => $CO:literal, $G:ty,
     input $W:literal x $H:literal, stride $s:expr, pad $p:expr, dilation $d:expr,
     output $OW:literal x $OH:literal, flipped $flip:literal) => {
        #[test]
        fn $name() {
            let l = layer!($L, $KW, $KH, $CI, $CO, $G);
            let x = images::<$W, $H, $CI>(2, 1);
            let y = l.forward(&x);
            assert_eq!(y.shape(), (Const::<$OW>, Const::<$OH>, Const::<$CO>, 2));
            let want = reference_conv(
                x.as_slice(),
                [$W, $H, $CI, 2],
                l.weight.as_slice(),
                [$KW, $KH, $CO],
                l.bias.as_ref().unwrap().as_slice(),
                $s,
                $p,
                $d,
                [$OW, $OH],
                $flip,
            );
            numeric::assert_close(y.as_slice(), &want, "value");

            let t = Tensor::from_fn(y.shape(), |[i, j]| ((i * 3 + j) as f64 * 0.29).sin());
            let loss = |m: &$L<$KW, $KH, $CI, $CO, Tanh, $G, f64>, x: &Images<$W, $H, $CI>| {
                mse(m.forward(x), &t).item()
            };
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

conv_case!(plain_on_odd_sizes: Conv 3 x 2, 2 => 3, Geometry,
    input 7 x 5, stride 1, pad [0, 0], dilation 1, output 5 x 4, flipped true);
conv_case!(strided_and_padded: Conv 3 x 3, 2 => 2, Geometry<2, Pad<1>>,
    input 7 x 6, stride 2, pad [1, 1], dilation 1, output 4 x 3, flipped true);
conv_case!(dilated: Conv 3 x 2, 1 => 2, Geometry<1, Pad<0>, 2>,
    input 9 x 5, stride 1, pad [0, 0], dilation 2, output 5 x 3, flipped true);
conv_case!(stride_three_pad_two_dilation_two: Conv 2 x 3, 3 => 2, Geometry<3, Pad<2>, 2>,
    input 8 x 9, stride 3, pad [2, 2], dilation 2, output 4 x 3, flipped true);
// SamePad with an even kernel pads 2 before and 1 after (span 4), as Flux.
conv_case!(same_pad_even_kernel_strided: Conv 4 x 3, 2 => 2, Geometry<2, SamePad>,
    input 7 x 5, stride 2, pad [2, 1], dilation 1, output 4 x 3, flipped true);
conv_case!(same_pad_keeps_the_size: Conv 3 x 3, 1 => 2, Geometry<1, SamePad>,
    input 5 x 6, stride 1, pad [1, 1], dilation 1, output 5 x 6, flipped true);
// CrossCor reads the kernel as stored, on odd, strided and dilated windows.
conv_case!(crosscor_plain: CrossCor 3 x 2, 2 => 3, Geometry,
    input 7 x 5, stride 1, pad [0, 0], dilation 1, output 5 x 4, flipped false);
conv_case!(crosscor_strided_padded_dilated: CrossCor 2 x 3, 3 => 2, Geometry<3, Pad<2>, 2>,
    input 8 x 9, stride 3, pad [2, 2], dilation 2, output 4 x 3, flipped false);

#[test]
fn builders_set_the_geometry_and_same_pad_keeps_the_size() {
    let l = Conv::<3, 3, 1, 2>::new(relu).same_pad().stride::<2>();
    let x = Tensor::<(Const<9>, Const<8>, Const<1>, usize)>::ones_with((Const, Const, Const, 3));
    // ⌈9 / 2⌉ × ⌈8 / 2⌉
    assert_eq!(
        l.forward(&x).shape(),
        (Const::<5>, Const::<4>, Const::<2>, 3)
    );
    let l = Conv::<3, 3, 1, 2>::new(relu).dilation::<3>().pad::<2>();
    // (9 + 4 − 6 − 1) + 1 and (8 + 4 − 6 − 1) + 1
    assert_eq!(
        l.forward(&x).shape(),
        (Const::<7>, Const::<6>, Const::<2>, 3)
    );
}

#[test]
fn conv_weights_start_glorot_uniform_with_convolution_fans() {
    let l = Conv::<3, 3, 2, 4>::new(relu);
    // fan_in 3·3·2, fan_out 3·3·4
    let bound = (6.0f32 / (18.0 + 36.0)).sqrt();
    assert!(l.weight.iter().all(|w| w.abs() <= bound));
    assert!(l.weight.iter().any(|w| w.abs() > bound / 2.0));
    assert_eq!(l.bias.unwrap().to_vec(), vec![0.0; 4]);
}

/// The reference pooling: the maximum or mean of each window.
#[allow(clippy::too_many_arguments)]
fn reference_pool(
    x: &[f64],
    [w, h, c, batch]: [usize; 4],
    [kw, kh]: [usize; 2],
    stride: usize,
    pad: usize,
    [ow, oh]: [usize; 2],
    max: bool,
) -> Vec<f64> {
    let mut y = Vec::new();
    for n in 0..batch {
        for ch in 0..c {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut vals = Vec::new();
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let ix = (ox * stride + kx) as isize - pad as isize;
                            let iy = (oy * stride + ky) as isize - pad as isize;
                            if ix >= 0 && iy >= 0 && (ix as usize) < w && (iy as usize) < h {
                                vals.push(at(x, [w, h, c], [ix as usize, iy as usize, ch, n]));
                            }
                        }
                    }
                    y.push(if max {
                        vals.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                    } else {
                        vals.iter().sum::<f64>() / (kw * kh) as f64
                    });
                }
            }
        }
    }
    y
}

macro_rules! pool_case {
    ($name:ident: $layer:expr, max $max:literal, window $kw:literal x $kh:literal,
     stride $s:literal, pad $p:literal, input $W:literal x $H:literal x $C:literal,
     output $OW:literal x $OH:literal) => {
        #[test]
        fn $name() {
            let l = $layer;
            let x = images::<$W, $H, $C>(2, 3);
            let y = l.forward(&x);
            assert_eq!(y.shape(), (Const::<$OW>, Const::<$OH>, Const::<$C>, 2));
            let want = reference_pool(
                x.as_slice(),
                [$W, $H, $C, 2],
                [$kw, $kh],
                $s,
                $p,
                [$OW, $OH],
                $max,
            );
            numeric::assert_close(y.as_slice(), &want, "value");
            let t = Tensor::from_fn(y.shape(), |[i, j]| ((i * 5 + j) as f64 * 0.43).cos());
            let gx = gradient(|x| mse(l.forward(x), &t), &x);
            check(
                &x,
                |x| x.as_mut_slice(),
                |x| mse(l.forward(x), &t).item(),
                gx.as_slice(),
                "input",
            );
        }
    };
}

pool_case!(max_pool_tiles_and_rounds_down: MaxPool::<2, 2>::new(), max true, window 2 x 2,
    stride 2, pad 0, input 5 x 7 x 2, output 2 x 3);
pool_case!(max_pool_with_stride_and_padding: MaxPool::<3, 2, Geometry<2, Pad<1>>>::default(),
    max true, window 3 x 2, stride 2, pad 1, input 6 x 5 x 2, output 3 x 3);
pool_case!(mean_pool_tiles: MeanPool::<3, 3>::new(), max false, window 3 x 3,
    stride 3, pad 0, input 7 x 6 x 2, output 2 x 2);
pool_case!(mean_pool_counts_padding_as_zeros: MeanPool::<2, 3, Geometry<1, Pad<1>>>::default(),
    max false, window 2 x 3, stride 1, pad 1, input 4 x 5 x 1, output 5 x 5);
pool_case!(global_max_pool: GlobalMaxPool::new(), max true, window 5 x 3,
    stride 1, pad 0, input 5 x 3 x 3, output 1 x 1);
pool_case!(global_mean_pool: GlobalMeanPool::new(), max false, window 4 x 7,
    stride 1, pad 0, input 4 x 7 x 2, output 1 x 1);

#[test]
fn max_pool_hands_a_tie_to_the_first_input() {
    let x =
        Tensor::<(Const<2>, Const<2>, Const<1>, usize), f64>::ones_with((Const, Const, Const, 1));
    let gx = gradient(|x| MaxPool::<2, 2>::new().forward(x).sum(), &x);
    assert_eq!(gx.to_vec(), vec![1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn flatten_keeps_each_image_as_a_column() {
    let x = images::<3, 2, 2>(3, 0);
    let y: Batch<12, f64> = Flatten::new().forward(&x);
    for n in 0..3 {
        for c in 0..2 {
            for j in 0..2 {
                for i in 0..3 {
                    assert_eq!(
                        y[[i + 3 * (j + 2 * c), n]],
                        at(x.as_slice(), [3, 2, 2], [i, j, c, n])
                    );
                }
            }
        }
    }
}

type Cnn = Chain<(
    Conv<3, 3, 1, 3, Relu, Geometry<1, Pad<1>>, f64>,
    MaxPool<2, 2>,
    Conv<2, 2, 3, 2, Tanh, Geometry, f64>,
    Flatten,
    Dense<18, 3, Identity, f64>,
)>;

fn cnn() -> Cnn {
    typeflux_nn::init::seed(5);
    Chain((
        Conv::new(relu)
            .pad::<1>()
            .bias(Vector::from_array([0.1, -0.05, 0.02])),
        MaxPool::new(),
        Conv::new(tanh),
        Flatten::new(),
        Dense::new(identity),
    ))
}

#[test]
fn a_chain_of_conv_pool_flatten_dense_has_central_difference_gradients() {
    let m = cnn();
    let x = images::<8, 8, 1>(3, 2);
    let y = Batch::<3, f64>::from_fn((Const, 3), |[i, j]| f64::from(u8::from(i == j)));
    let g = gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&m));
    let loss = |m: &Cnn| logitcrossentropy(m.forward(&x), &y).item();
    check(
        &m,
        |m| m.0.0.weight.as_mut_slice(),
        loss,
        g.0.0.weight.as_slice(),
        "conv 1 weight",
    );
    check(
        &m,
        |m| m.0.0.bias.as_mut().unwrap().as_mut_slice(),
        loss,
        g.0.0.bias.as_ref().unwrap().as_slice(),
        "conv 1 bias",
    );
    check(
        &m,
        |m| m.0.2.weight.as_mut_slice(),
        loss,
        g.0.2.weight.as_slice(),
        "conv 2 weight",
    );
    check(
        &m,
        |m| m.0.4.weight.as_mut_slice(),
        loss,
        g.0.4.weight.as_slice(),
        "dense weight",
    );
}

#[test]
fn descent_folded_into_the_backward_pass_steps_conv_like_gradient_and_update() {
    let m = cnn();
    let x = images::<8, 8, 1>(4, 7);
    let y = Batch::<3, f64>::from_fn((Const, 4), |[i, j]| f64::from(u8::from(i == j % 3)));
    let mut fused = m.clone();
    let mut separate = m.clone();
    Descent::new(0.2).step(&mut fused, |m| logitcrossentropy(m.forward(&x), &y));
    let g = gradient(|m| logitcrossentropy(m.forward(&x), &y), model(&separate));
    Descent::new(0.2).setup(&separate).update(&mut separate, &g);
    assert_ne!(fused.0.0.weight, m.0.0.weight, "the step moved the weight");
    for (a, b) in fused.0.0.weight.iter().zip(separate.0.0.weight.iter()) {
        assert!((a - b).abs() < 1e-14, "{a} against {b}");
    }
    for (a, b) in fused.0.2.weight.iter().zip(separate.0.2.weight.iter()) {
        assert!((a - b).abs() < 1e-14, "{a} against {b}");
    }
}

#[test]
fn a_small_cnn_learns_to_tell_stripes_apart() {
    // Horizontal, vertical and diagonal stripes at random phases.
    let sample = |k: usize, phase: usize| -> Vec<f64> {
        (0..64)
            .map(|p| {
                let (i, j) = (p % 8, p / 8);
                let along = match k {
                    0 => i,
                    1 => j,
                    _ => i + j,
                };
                f64::from(u8::from((along + phase).is_multiple_of(3)))
            })
            .collect()
    };
    let n = 24;
    let data: Vec<f64> = (0..n).flat_map(|s| sample(s % 3, s / 3)).collect();
    let x = Images::<8, 8, 1>::from_vec((Const, Const, Const, n), data).unwrap();
    let y = Batch::<3, f64>::from_fn((Const, n), |[i, j]| f64::from(u8::from(i == j % 3)));
    let mut m = cnn();
    let mut opt = Adam::new(0.01).setup(&m);
    let first = logitcrossentropy(m.forward(&x), &y).item();
    for _ in 0..60 {
        typeflux_nn::train(&mut m, &mut opt, [(&x, &y)], |m, x, y| {
            logitcrossentropy(m.forward(x), y)
        })
        .expect("a finite loss");
    }
    let last = logitcrossentropy(m.forward(&x), &y).item();
    assert!(last < first / 10.0, "the loss went from {first} to {last}");
    let out = m.forward(&x);
    for j in 0..n {
        let best = (0..3)
            .max_by(|&a, &b| out[[a, j]].total_cmp(&out[[b, j]]))
            .unwrap();
        assert_eq!(best, j % 3, "sample {j}");
    }
}

#[test]
fn a_conv_weight_file_lists_its_four_axes_row_major() {
    use safetensors::tensor::TensorView;
    use safetensors::{Dtype, SafeTensors};
    let mut l: Conv<2, 3, 2, 2> = Conv::new(identity).bias(false);
    let bytes = typeflux_nn::io::to_bytes(&l).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let w = file.tensor("weight").unwrap();
    assert_eq!(w.shape(), &[2, 3, 2, 2]);
    // Row-major: the last axis fastest.
    let value = |[a, b, c, d]: [usize; 4]| (1000 * a + 100 * b + 10 * c + d) as f32;
    let mut row_major = Vec::new();
    for a in 0..2 {
        for b in 0..3 {
            for c in 0..2 {
                for d in 0..2 {
                    row_major.extend(value([a, b, c, d]).to_le_bytes());
                }
            }
        }
    }
    let views = vec![(
        "weight",
        TensorView::new(Dtype::F32, vec![2, 3, 2, 2], &row_major).unwrap(),
    )];
    typeflux_nn::io::from_bytes(&mut l, &safetensors::serialize(views, None).unwrap()).unwrap();
    // Column-major in memory: the first axis fastest.
    let got = l.weight.as_slice();
    for d in 0..2 {
        for c in 0..2 {
            for b in 0..3 {
                for a in 0..2 {
                    assert_eq!(got[a + 2 * (b + 3 * (c + 2 * d))], value([a, b, c, d]));
                }
            }
        }
    }
    let again = typeflux_nn::io::to_bytes(&l).unwrap();
    let again = SafeTensors::deserialize(&again).unwrap();
    assert_eq!(again.tensor("weight").unwrap().data(), &row_major[..]);
}

#[test]
fn adaptive_mean_pool_covers_the_image_with_its_output_size() {
    // 7 inputs to 3 outputs: stride 2, windows of 3 (0..3, 2..5, 4..7);
    // 5 to 2: stride 2, windows of 3 (0..3, 2..5).
    let x = images::<7, 5, 2>(2, 4);
    let y = AdaptiveMeanPool::<3, 2>::new().forward(&x);
    assert_eq!(y.shape(), (Const::<3>, Const::<2>, Const::<2>, 2));
    let want = reference_pool(x.as_slice(), [7, 5, 2, 2], [3, 3], 2, 0, [3, 2], false);
    numeric::assert_close(y.as_slice(), &want, "value");
    let t = Tensor::from_fn(y.shape(), |[i, j]| ((i * 5 + j) as f64 * 0.43).cos());
    let l = AdaptiveMeanPool::<3, 2>::new();
    let gx = gradient(|x| mse(l.forward(x), &t), &x);
    check(
        &x,
        |x| x.as_mut_slice(),
        |x| mse(l.forward(x), &t).item(),
        gx.as_slice(),
        "input",
    );
}

#[test]
fn a_cnn_prints_as_flux_shows_it() {
    let m = Chain((
        Conv::<3, 3, 1, 8>::new(relu).same_pad(),
        MaxPool::<2, 2>::new(),
        DepthwiseConv::<3, 3, 8, 16>::new(relu)
            .stride::<2>()
            .pad::<1>(),
        ConvTranspose::<2, 2, 16, 4>::new(identity)
            .stride::<2>()
            .bias(false),
        GlobalMeanPool::new(),
        Flatten::new(),
        Dense::<4, 10>::new(identity),
    ));
    // Parameters: 3·3·1·8 + 8, 3·3·1·16 + 16, 2·2·4·16 (no bias), 4·10 + 10.
    assert_eq!(
        m.to_string(),
        "Chain(
  Conv((3, 3), 1 => 8, relu, pad=1),    # 80 parameters
  MaxPool((2, 2)),
  DepthwiseConv((3, 3), 8 => 16, relu, pad=1, stride=2),  # 160 parameters
  ConvTranspose((2, 2), 16 => 4, stride=2, bias=false),  # 256 parameters
  GlobalMeanPool(),
  flatten,
  Dense(4 => 10),                       # 50 parameters
)                   # Total: 7 arrays, 546 parameters, 2_184 bytes."
    );
}
