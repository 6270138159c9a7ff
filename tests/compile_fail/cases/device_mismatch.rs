//! The device is part of a tensor's type: a layer moved to the `Stack`
//! cannot take a `Cpu` tensor; the input must be moved too.
use typeflux::nn::prelude::*;
use typeflux::prelude::*;

fn main() {
    let layer = Dense::<10, 5>::new(sigmoid).to_device(&Stack);
    let x = Vector::<10>::ones();
    let _y = layer.forward(&x); // needs `x.to_device(&Stack)`
}
