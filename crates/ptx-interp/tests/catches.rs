//! The interpreter catches what a GPU would do wrong, or not at all: a tile
//! edge off by one, a grid one block short, an access past a buffer, an
//! instruction it does not know, threads that miss a barrier.

use typeflux_core::UnaryOp;
use typeflux_gpu::kernels::{BLOCK, Epilogue, Precision, Size, Spec, Tile};
use typeflux_ptx_interp::{HostArg, run_kernel};

/// A 37 × 23 × 41 product on 32 × 32 tiles: every tile edge is ragged.
const M: usize = 37;
const K: usize = 23;
const N: usize = 41;

fn product_spec() -> Spec {
    Spec::Matmul {
        m: Size::Param,
        k: Size::Param,
        n: Size::Param,
        a_transposed: false,
        b_transposed: false,
        tile: Tile::SMALL,
        epilogue: Epilogue::PLAIN,
    }
}

fn product_args() -> Vec<HostArg> {
    let a: Vec<f32> = (0..M * K).map(|i| (i % 7) as f32 - 3.0).collect();
    let b: Vec<f32> = (0..K * N).map(|i| (i % 5) as f32 - 2.0).collect();
    vec![
        HostArg::F32s(a.clone()),
        HostArg::F32s(b),
        HostArg::Output32(M * N),
        HostArg::F32s(vec![0.0]),
        HostArg::F32s(vec![0.0]),
        HostArg::F32(1.0),
        HostArg::U32(M as u32),
        HostArg::U32(K as u32),
        HostArg::U32(N as u32),
    ]
}

fn expected() -> Vec<f32> {
    let HostArg::F32s(a) = &product_args()[0] else {
        unreachable!()
    };
    let HostArg::F32s(b) = &product_args()[1] else {
        unreachable!()
    };
    let mut c = vec![0.0f32; M * N];
    for j in 0..N {
        for i in 0..M {
            c[i + j * M] = (0..K).map(|p| a[i + p * M] * b[p + j * K]).sum();
        }
    }
    c
}

fn grid(tile: Tile) -> [u32; 3] {
    [
        (N as u32).div_ceil(tile.bn),
        (M as u32).div_ceil(tile.bm),
        1,
    ]
}

#[test]
fn the_product_as_written_is_right() {
    let (ptx, name) = product_spec().ptx(Precision::F32);
    let mut args = product_args();
    run_kernel(
        &ptx,
        &name,
        grid(Tile::SMALL),
        [Tile::SMALL.threads(), 1, 1],
        &mut args,
    )
    .unwrap();
    assert_eq!(args[2], HostArg::F32s(expected()));
}

#[test]
fn a_tile_edge_off_by_one_is_caught() {
    // Every bounds check of the kernel lets one more row, column and inner
    // index through: `i <= m` where `i < m` was meant.
    let (ptx, name) = product_spec().ptx(Precision::F32);
    let broken = ptx.replace("setp.lt.u32", "setp.le.u32");
    assert_ne!(broken, ptx);
    let mut args = product_args();
    let err = run_kernel(
        &broken,
        &name,
        grid(Tile::SMALL),
        [Tile::SMALL.threads(), 1, 1],
        &mut args,
    )
    .unwrap_err();
    assert!(err.contains("out of bounds"), "{err}");
    assert!(err.contains(&name), "the error names the kernel: {err}");
}

#[test]
fn a_grid_one_tile_short_is_caught() {
    // ⌊n / bn⌋ blocks instead of ⌈n / bn⌉: the ragged last tile is never
    // computed, and reading it back fails.
    let (ptx, name) = product_spec().ptx(Precision::F32);
    let short = [
        (N as u32) / Tile::SMALL.bn,
        (M as u32).div_ceil(Tile::SMALL.bm),
        1,
    ];
    let mut args = product_args();
    let err = run_kernel(&ptx, &name, short, [Tile::SMALL.threads(), 1, 1], &mut args).unwrap_err();
    assert!(err.contains("never written"), "{err}");
}

#[test]
fn a_wrong_operation_gives_wrong_numbers() {
    let spec = Spec::Unary {
        op: UnaryOp::Square,
        len: Size::Param,
    };
    let (ptx, name) = spec.ptx(Precision::F64);
    let run = |text: &str| {
        let mut args = vec![
            HostArg::F64s(vec![1.5, -2.0, 3.0]),
            HostArg::Output64(3),
            HostArg::U32(3),
        ];
        run_kernel(text, &name, [1, 1, 1], [BLOCK, 1, 1], &mut args).unwrap();
        args.swap_remove(1)
    };
    assert_eq!(run(&ptx), HostArg::F64s(vec![2.25, 4.0, 9.0]));
    assert_ne!(
        run(&ptx.replace("mul.rn.f64", "add.rn.f64")),
        HostArg::F64s(vec![2.25, 4.0, 9.0])
    );
}

#[test]
fn a_length_past_the_buffer_is_caught() {
    let spec = Spec::Unary {
        op: UnaryOp::Exp,
        len: Size::Param,
    };
    let (ptx, name) = spec.ptx(Precision::F32);
    let mut args = vec![
        HostArg::F32s(vec![0.0; 10]),
        HostArg::Output32(10),
        HostArg::U32(11),
    ];
    let err = run_kernel(&ptx, &name, [1, 1, 1], [BLOCK, 1, 1], &mut args).unwrap_err();
    assert!(err.contains("out of bounds: bytes 40..44"), "{err}");
    assert!(err.contains("thread [10, 0, 0]"), "{err}");
}

const HEADER: &str = ".version 7.0\n.target sm_80\n.address_size 64\n";

#[test]
fn an_unknown_instruction_is_refused_by_name() {
    let ptx = format!(
        "{HEADER}.visible .entry k(\n.param .u64 k_param_0\n)\n{{\n.reg .f32 %f<2>;\nsin.approx.f32 %f1, %f0;\nret;\n}}\n"
    );
    let err = run_kernel(
        &ptx,
        "k",
        [1, 1, 1],
        [1, 1, 1],
        &mut [HostArg::F32s(vec![0.0])],
    )
    .unwrap_err();
    assert!(
        err.contains("unknown instruction `sin.approx.f32`"),
        "{err}"
    );
}

#[test]
fn threads_that_skip_a_barrier_are_caught() {
    // Odd threads jump past the barrier and leave; even ones wait there.
    let ptx = format!(
        "{HEADER}.visible .entry k(\n.param .u64 k_param_0\n)\n{{\n.reg .pred %p<1>;\n.reg .b32 %r<2>;\n\
         mov.u32 %r0, %tid.x;\nand.b32 %r1, %r0, 1;\nsetp.ne.u32 %p0, %r1, 0;\n@%p0 bra L1;\nbar.sync 0;\nL1:\nret;\n}}\n"
    );
    let err = run_kernel(
        &ptx,
        "k",
        [1, 1, 1],
        [64, 1, 1],
        &mut [HostArg::F32s(vec![0.0])],
    )
    .unwrap_err();
    assert!(
        err.contains("barrier that 32 threads of its block have left"),
        "{err}"
    );
}

#[test]
fn a_block_larger_than_the_kernel_declares_is_refused() {
    let (ptx, name) = product_spec().ptx(Precision::F32);
    let mut args = product_args();
    let err = run_kernel(
        &ptx,
        &name,
        grid(Tile::SMALL),
        [Tile::SMALL.threads() * 2, 1, 1],
        &mut args,
    )
    .unwrap_err();
    assert!(err.contains(".maxntid"), "{err}");
}
