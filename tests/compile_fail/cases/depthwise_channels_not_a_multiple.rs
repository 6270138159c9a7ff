//! A depthwise convolution gives every input channel the same number of
//! outputs: 6 output channels cannot come from 4 input channels. The error
//! names the bound that fails, `Const<6>: MultipleOf<Const<4>>`.
use typeflux::nn::prelude::*;

fn main() {
    let _layer = DepthwiseConv::<3, 3, 4, 6>::new(relu);
}
