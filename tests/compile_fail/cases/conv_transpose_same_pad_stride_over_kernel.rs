//! A transposed convolution with `SamePad` pads dilation·(kernel − stride):
//! a 2 × 2 kernel cannot step by 3. The error names the kernel, the
//! stepping and the input size, and says why.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let layer = ConvTranspose::<2, 2, 1, 1>::new(relu).stride::<3>().same_pad();
    let x = Tensor::<(Const<4>, Const<4>, Const<1>, usize)>::zeros_with((Const, Const, Const, 2));
    let _y = layer.forward(&x);
}
