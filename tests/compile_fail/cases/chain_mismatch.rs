//! A layer of 5 outputs cannot feed a layer of 4 inputs: the error names the
//! layer that cannot take its neighbour's output, with both sizes.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let model = Chain((Dense::<10, 5>::new(sigmoid), Dense::<4, 2>::new(identity)));
    let x = Vector::<10>::ones();
    let _y = model.forward(&x);
}
