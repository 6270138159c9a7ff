//! A representative set of every kernel the device writes: each family,
//! every operation of the table, every transpose and tiling of the product,
//! at fixed sizes (dividing their tiles and not) and at run-time sizes.
//! `ptxas` assembles all of them in CI (`scripts/ptxas-check.sh`), and the
//! interpreter's tests draw on the same families.

use super::{
    Epilogue, FusedChain, FusedLayer, FusedPass, FusedProducts, Precision, Reduction, Size, Spec,
    Tile,
};
use typeflux_core::{BinaryOp, UnaryOp};

const BINARY: [BinaryOp; 4] = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div];

/// The kernels of one family, by name (`elementwise`, `shape`, `reduce`,
/// `softmax`, `optim`, `matmul`, `fused`).
pub fn families() -> Vec<(&'static str, Vec<Spec>)> {
    use Size::{Fixed, Param};
    let mut elementwise = Vec::new();
    for len in [Param, Fixed(1000)] {
        elementwise.push(Spec::Fill { len });
        elementwise.push(Spec::Axpy { len });
        for &op in UnaryOp::ALL {
            elementwise.push(Spec::Unary { op, len });
            elementwise.push(Spec::UnarySlope { op, len });
        }
        for op in BINARY {
            elementwise.push(Spec::Binary { op, len });
            for scalar_first in [false, true] {
                elementwise.push(Spec::Scalar {
                    op,
                    scalar_first,
                    len,
                });
            }
        }
    }
    for op in BINARY {
        for (rows, cols) in [(Fixed(10), Param), (Param, Param)] {
            elementwise.push(Spec::Broadcast { op, rows, cols });
        }
    }

    let mut shape = Vec::new();
    for (rows, cols) in [(Param, Param), (Fixed(128), Param), (Fixed(64), Fixed(96))] {
        shape.push(Spec::Transpose { rows, cols });
    }
    for (a_rows, b_rows, cols) in [(Param, Param, Param), (Fixed(3), Fixed(5), Param)] {
        shape.push(Spec::Concat {
            a_rows,
            b_rows,
            cols,
        });
    }

    let mut reduce = Vec::new();
    for len in [Param, Fixed(4096)] {
        for reduction in [
            Reduction::Sum,
            Reduction::Max,
            Reduction::SumOf(UnaryOp::Square),
            Reduction::SumOf(UnaryOp::Abs),
        ] {
            reduce.push(Spec::ReduceAll { reduction, len });
        }
    }
    for reduction in [Reduction::Sum, Reduction::Max] {
        for axis in [0, 1] {
            for (rows, cols) in [(Param, Param), (Fixed(10), Param)] {
                reduce.push(Spec::ReduceAxis {
                    reduction,
                    axis,
                    rows,
                    cols,
                });
            }
        }
    }

    let mut softmax = Vec::new();
    for (rows, cols) in [(Param, Param), (Fixed(10), Param)] {
        for log in [false, true] {
            softmax.push(Spec::Softmax { log, rows, cols });
            softmax.push(Spec::SoftmaxPullback { log, rows, cols });
        }
        softmax.push(Spec::CrossEntropy { rows, cols });
    }

    let optim = vec![
        Spec::Adam { len: Param },
        Spec::Adam {
            len: Fixed(100_480),
        },
    ];

    let mut matmul = Vec::new();
    for tile in [Tile::SMALL, Tile::MEDIUM, Tile::LARGE] {
        for (m, k, n) in [
            (Param, Param, Param),
            (Fixed(128), Fixed(784), Param),
            (Fixed(256), Fixed(128), Fixed(512)),
        ] {
            for a_transposed in [false, true] {
                for b_transposed in [false, true] {
                    matmul.push(Spec::Matmul {
                        m,
                        k,
                        n,
                        a_transposed,
                        b_transposed,
                        tile,
                        epilogue: Epilogue::PLAIN,
                    });
                }
            }
        }
    }
    for epilogue in [
        Epilogue::ACCUMULATE,
        Epilogue::dense(true, None, false),
        Epilogue::dense(true, Some(UnaryOp::Relu), true),
        Epilogue::dense(false, Some(UnaryOp::Tanh), false),
        Epilogue::dense(true, Some(UnaryOp::Sigmoid), true),
    ] {
        for (m, k, n) in [(Param, Param, Param), (Fixed(10), Fixed(128), Param)] {
            matmul.push(Spec::Matmul {
                m,
                k,
                n,
                a_transposed: false,
                b_transposed: false,
                tile: Tile::SMALL,
                epilogue,
            });
        }
    }

    let layer = |width, bias, activation| FusedLayer {
        width,
        bias,
        activation,
    };
    let mut chains = vec![
        // A coordinate network: 2 inputs, 64 wide, one output.
        FusedChain::new(
            2,
            &[
                layer(64, true, Some(UnaryOp::Tanh)),
                layer(64, true, Some(UnaryOp::Tanh)),
                layer(1, true, None),
            ],
        ),
        // The widest: four hidden layers of 128.
        FusedChain::new(
            128,
            &[
                layer(128, true, Some(UnaryOp::Relu)),
                layer(128, true, Some(UnaryOp::Relu)),
                layer(128, true, Some(UnaryOp::Relu)),
                layer(128, true, Some(UnaryOp::Relu)),
                layer(10, true, None),
            ],
        ),
        // Mixed widths, with and without bias, none dividing the tiles.
        FusedChain::new(
            3,
            &[
                layer(17, false, Some(UnaryOp::Sigmoid)),
                layer(127, true, Some(UnaryOp::Gelu)),
                layer(5, false, None),
            ],
        ),
    ];
    // Every operation of the table as an activation.
    for &op in UnaryOp::ALL {
        chains.push(FusedChain::new(16, &[layer(16, true, Some(op))]));
    }
    let mut fused = Vec::new();
    for chain in chains {
        let chain = chain.expect("the catalogue's chains fuse");
        for pass in [
            FusedPass::Inference,
            FusedPass::Training,
            FusedPass::Backward,
        ] {
            for products in [FusedProducts::Tf32, FusedProducts::Exact] {
                fused.push(Spec::Fused {
                    chain,
                    pass,
                    products,
                });
            }
        }
    }

    vec![
        ("elementwise", elementwise),
        ("shape", shape),
        ("reduce", reduce),
        ("softmax", softmax),
        ("optim", optim),
        ("matmul", matmul),
        ("fused", fused),
    ]
}

/// One PTX module per family and element type, named
/// `family_precision.ptx`, with the family's kernels in it.
pub fn modules() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (family, specs) in families() {
        for precision in [Precision::F32, Precision::F64] {
            let kernels: Vec<_> = specs
                .iter()
                .filter(|spec| spec.applies_to(precision))
                .map(|spec| {
                    let name = spec.name(precision);
                    match precision {
                        Precision::F32 => spec.kernel::<crate::ptx::F32>(name),
                        Precision::F64 => spec.kernel::<crate::ptx::F64>(name),
                    }
                })
                .collect();
            let refs: Vec<_> = kernels.iter().collect();
            out.push((
                format!("{family}_{}.ptx", precision.name()),
                crate::ptx::module(&refs),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kernel_has_its_own_name() {
        let mut names = HashSet::new();
        for (_, specs) in families() {
            for spec in specs {
                for p in [Precision::F32, Precision::F64] {
                    if spec.applies_to(p) {
                        assert!(names.insert(spec.name(p)), "{} twice", spec.name(p));
                    }
                }
            }
        }
    }

    #[test]
    fn every_operation_of_the_table_is_in_the_catalogue() {
        let (_, elementwise) = &families()[0];
        for &op in UnaryOp::ALL {
            assert!(elementwise.contains(&Spec::UnarySlope {
                op,
                len: Size::Param
            }));
        }
    }
}
