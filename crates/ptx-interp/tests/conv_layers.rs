//! The transposed and depthwise convolutions on the interpreted GPU,
//! against the same layers on the CPU: their kernels run on a copy in host
//! memory, the products and transposes on the GPU.

mod common;

use common::agree;
use typeflux_ad::reverse::{gradient, model};
use typeflux_core::prelude::*;
use typeflux_nn::conv::Images4;
use typeflux_nn::prelude::*;
use typeflux_ptx_interp::device;

#[test]
fn a_transposed_and_a_depthwise_convolution_run_on_the_gpu() {
    let gpu = device();
    typeflux_nn::init::seed(13);
    let cpu_model = Chain((
        DepthwiseConv::<3, 3, 2, 4>::new(tanh).same_pad(),
        ConvTranspose::<3, 3, 4, 2>::new(relu)
            .stride::<2>()
            .pad::<1>(),
    ));
    let x = Images4::<5, 4, 2>::from_fn((Const, Const, Const, 3), |[i, j]| {
        ((i * 7 + j * 3) % 11) as f32 / 11.0 - 0.4
    });
    let on_gpu = cpu_model.to_device(&gpu);
    let xg = x.to_device(&gpu);
    let (y_cpu, y_gpu) = (cpu_model.forward(&x), on_gpu.forward(&xg));
    // (5 − 1)·2 + 3 − 2 = 9, (4 − 1)·2 + 3 − 2 = 7
    assert_eq!(y_gpu.shape(), (Const::<9>, Const::<7>, Const::<2>, 3));
    agree(&y_gpu.to_vec(), &y_cpu.to_vec(), 64.0, 1.0, "forward");
    let g_cpu = gradient(|m| m.forward(&x).square().sum(), model(&cpu_model));
    let g_gpu = gradient(|m| m.forward(&xg).square().sum(), model(&on_gpu));
    let pairs = [
        (
            g_gpu.0.0.weight.to_vec(),
            g_cpu.0.0.weight.to_vec(),
            "depthwise weight",
        ),
        (
            g_gpu.0.0.bias.as_ref().unwrap().to_vec(),
            g_cpu.0.0.bias.as_ref().unwrap().to_vec(),
            "depthwise bias",
        ),
        (
            g_gpu.0.1.weight.to_vec(),
            g_cpu.0.1.weight.to_vec(),
            "transpose weight",
        ),
        (
            g_gpu.0.1.bias.as_ref().unwrap().to_vec(),
            g_cpu.0.1.bias.as_ref().unwrap().to_vec(),
            "transpose bias",
        ),
    ];
    for (gpu, cpu, what) in pairs {
        assert!(
            cpu.iter().any(|g| g.abs() > 1e-3),
            "{what}: a zero gradient proves nothing"
        );
        agree(&gpu, &cpu, 64.0, 1.0, what);
    }
}
