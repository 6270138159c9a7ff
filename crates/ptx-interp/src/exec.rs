//! Running a kernel: every block of the grid, every thread of a block, in
//! phases between barriers, with every memory access checked.

use crate::parse::{Bin, Cmp, Cvt, Instr, Kernel, Op, Space, Special, Src, Ty, Un};
use core::fmt;
use std::collections::HashMap;
use std::sync::Arc;

/// Bits of an address below a buffer's number: a buffer's bytes are at
/// `number << 40` and after.
const BUFFER_SHIFT: u32 = 40;
/// The most instructions one thread runs before it is taken for a loop
/// that does not end.
const STEP_LIMIT: u64 = 200_000_000;

/// Where and why a kernel failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecError {
    /// The kernel's name.
    pub kernel: String,
    /// The block, when a thread failed.
    pub block: Option<[u32; 3]>,
    /// The thread in its block.
    pub thread: Option<[u32; 3]>,
    /// The instruction, with its line in the module.
    pub at: Option<(usize, String)>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kernel {}", self.kernel)?;
        if let (Some(b), Some(t)) = (self.block, self.thread) {
            write!(f, ", block {b:?} thread {t:?}")?;
        }
        if let Some((line, text)) = &self.at {
            write!(f, ", line {line} `{text}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One block of device memory.
#[derive(Debug)]
pub enum Block {
    /// Bytes, each known to be written or not.
    Bytes {
        /// The contents.
        data: Vec<u8>,
        /// Which bytes were written.
        written: Vec<bool>,
    },
    /// Elements of a type the kernels do not compute with (dual numbers),
    /// kept as they are; a kernel that touches them fails.
    Opaque(Arc<dyn std::any::Any + Send + Sync>),
}

/// All device memory.
#[derive(Debug, Default)]
pub struct Heap {
    blocks: HashMap<u64, Block>,
    next: u64,
}

impl Heap {
    /// Stores a block and returns its number.
    pub fn insert(&mut self, block: Block) -> u64 {
        self.next += 1;
        self.blocks.insert(self.next, block);
        self.next
    }

    /// The block with a number.
    pub fn get(&self, id: u64) -> Option<&Block> {
        self.blocks.get(&id)
    }

    /// Frees a block.
    pub fn remove(&mut self, id: u64) {
        self.blocks.remove(&id);
    }

    /// The address of a block's first byte.
    pub fn address(id: u64) -> u64 {
        id << BUFFER_SHIFT
    }

    /// How many blocks are held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// A block's shared memory.
struct SharedMemory {
    data: Vec<u8>,
    written: Vec<bool>,
}

/// Reads and writes `bytes` at a place, checked.
trait Memory {
    fn load(&mut self, address: u64, bytes: usize) -> Result<u64, String>;
    fn store(&mut self, address: u64, bytes: usize, value: u64) -> Result<(), String>;
}

fn load_bytes(data: &[u8], written: &[bool], at: usize, bytes: usize) -> Result<u64, String> {
    if let Some(gap) = written[at..at + bytes].iter().position(|w| !w) {
        return Err(format!("reads byte {} which nothing has written", at + gap));
    }
    let mut raw = [0u8; 8];
    raw[..bytes].copy_from_slice(&data[at..at + bytes]);
    Ok(u64::from_le_bytes(raw))
}

fn store_bytes(data: &mut [u8], written: &mut [bool], at: usize, bytes: usize, value: u64) {
    data[at..at + bytes].copy_from_slice(&value.to_le_bytes()[..bytes]);
    written[at..at + bytes].fill(true);
}

impl Heap {
    fn locate(
        &mut self,
        address: u64,
        bytes: usize,
    ) -> Result<(&mut Vec<u8>, &mut Vec<bool>, usize), String> {
        let id = address >> BUFFER_SHIFT;
        let offset = (address & ((1 << BUFFER_SHIFT) - 1)) as usize;
        if !address.is_multiple_of(bytes as u64) {
            return Err(format!(
                "address {address:#x} is not aligned to {bytes} bytes"
            ));
        }
        match self.blocks.get_mut(&id) {
            Some(Block::Bytes { data, written }) => {
                if offset + bytes > data.len() {
                    Err(format!(
                        "out of bounds: bytes {offset}..{} of buffer {id}, which has {}",
                        offset + bytes,
                        data.len()
                    ))
                } else {
                    Ok((data, written, offset))
                }
            }
            Some(Block::Opaque(_)) => Err(format!(
                "buffer {id} holds elements the kernels do not compute with"
            )),
            None => Err(format!("address {address:#x} is in no buffer")),
        }
    }
}

impl Memory for Heap {
    fn load(&mut self, address: u64, bytes: usize) -> Result<u64, String> {
        let (data, written, at) = self.locate(address, bytes)?;
        load_bytes(data, written, at, bytes)
    }

    fn store(&mut self, address: u64, bytes: usize, value: u64) -> Result<(), String> {
        let (data, written, at) = self.locate(address, bytes)?;
        store_bytes(data, written, at, bytes, value);
        Ok(())
    }
}

impl Memory for SharedMemory {
    fn load(&mut self, address: u64, bytes: usize) -> Result<u64, String> {
        let at = self.check(address, bytes)?;
        load_bytes(&self.data, &self.written, at, bytes)
    }

    fn store(&mut self, address: u64, bytes: usize, value: u64) -> Result<(), String> {
        let at = self.check(address, bytes)?;
        store_bytes(&mut self.data, &mut self.written, at, bytes, value);
        Ok(())
    }
}

impl SharedMemory {
    fn check(&self, address: u64, bytes: usize) -> Result<usize, String> {
        if !address.is_multiple_of(bytes as u64) {
            return Err(format!(
                "shared address {address} is not aligned to {bytes} bytes"
            ));
        }
        let at = address as usize;
        if address > u64::from(u32::MAX) || at + bytes > self.data.len() {
            return Err(format!(
                "out of bounds: shared bytes {at}..{} of {} declared",
                at + bytes,
                self.data.len()
            ));
        }
        Ok(at)
    }
}

/// Threads in a warp: the ones that run a warp-wide instruction together.
const WARP: usize = 32;

/// What stopped a thread.
enum Stop {
    Barrier(usize),
    /// A warp-wide instruction (`mma.sync`), run once every thread of the
    /// warp has reached it.
    Warp(usize),
    Exit,
}

struct Thread {
    pc: usize,
    steps: u64,
    index: [u32; 3],
    stopped_at: Option<Stop>,
}

/// Runs `kernel` on `grid` blocks of `block` threads with `args` (the bits
/// of each parameter).
pub fn run(
    kernel: &Kernel,
    grid: [u32; 3],
    block: [u32; 3],
    args: &[u64],
    heap: &mut Heap,
) -> Result<(), ExecError> {
    let fail = |message: String| ExecError {
        kernel: kernel.name.clone(),
        block: None,
        thread: None,
        at: None,
        message,
    };
    if args.len() != kernel.params.len() {
        return Err(fail(format!(
            "{} arguments for {} parameters",
            args.len(),
            kernel.params.len()
        )));
    }
    let threads = block.iter().map(|&b| b as usize).product::<usize>();
    if threads == 0 || grid.contains(&0) {
        return Err(fail(format!(
            "an empty launch: grid {grid:?}, block {block:?}"
        )));
    }
    if threads > 1024 || block[2] > 64 {
        return Err(fail(format!(
            "a block of {block:?} threads is larger than a GPU's"
        )));
    }
    if let Some(max) = kernel.max_threads
        && threads > max as usize
    {
        return Err(fail(format!(
            "a block of {threads} threads, more than its .maxntid {max}"
        )));
    }
    if grid[1] > 65_535 || grid[2] > 65_535 {
        return Err(fail(format!("grid {grid:?} is larger than a GPU's")));
    }
    let registers = kernel.registers;
    let mut regs = vec![0u64; registers * threads];
    for bz in 0..grid[2] {
        for by in 0..grid[1] {
            for bx in 0..grid[0] {
                let block_index = [bx, by, bz];
                let mut shared = SharedMemory {
                    data: vec![0; kernel.shared_bytes],
                    written: vec![false; kernel.shared_bytes],
                };
                regs.fill(0);
                let mut states: Vec<Thread> = (0..threads as u32)
                    .map(|t| Thread {
                        pc: 0,
                        steps: 0,
                        index: [
                            t % block[0],
                            (t / block[0]) % block[1],
                            t / (block[0] * block[1]),
                        ],
                        stopped_at: None,
                    })
                    .collect();
                let ctx = Context {
                    kernel,
                    grid,
                    block,
                    block_index,
                    args,
                };
                loop {
                    // Every thread runs to a barrier or its end; warps
                    // that all reach a warp-wide instruction run it and go on.
                    loop {
                        for (t, state) in states.iter_mut().enumerate() {
                            if state.stopped_at.is_some() {
                                continue;
                            }
                            let regs = &mut regs[t * registers..(t + 1) * registers];
                            state.stopped_at =
                                Some(ctx.run_thread(state, regs, heap, &mut shared)?);
                        }
                        if !ctx.run_warps(&mut states, &mut regs)? {
                            break;
                        }
                    }
                    let mut barrier = None;
                    let mut exited = 0;
                    for state in &states {
                        match state.stopped_at {
                            Some(Stop::Exit) => exited += 1,
                            Some(Stop::Barrier(pc)) => match barrier {
                                None => barrier = Some((pc, state.index)),
                                Some((other, _)) if other != pc => {
                                    return Err(ExecError {
                                        block: Some(block_index),
                                        thread: Some(state.index),
                                        at: Some(ctx.at(pc)),
                                        ..fail(format!(
                                            "threads wait at different barriers (also line {})",
                                            kernel.code[other].line
                                        ))
                                    });
                                }
                                Some(_) => {}
                            },
                            Some(Stop::Warp(_)) | None => {
                                unreachable!("every thread stopped, no warp waits")
                            }
                        }
                    }
                    match barrier {
                        None => break,
                        Some((pc, thread)) if exited > 0 => {
                            return Err(ExecError {
                                block: Some(block_index),
                                thread: Some(thread),
                                at: Some(ctx.at(pc)),
                                ..fail(format!(
                                    "waits at a barrier that {exited} threads of its block have left"
                                ))
                            });
                        }
                        Some(_) => {}
                    }
                    // Past the barrier.
                    for state in &mut states {
                        if matches!(state.stopped_at, Some(Stop::Barrier(_))) {
                            state.stopped_at = None;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

struct Context<'a> {
    kernel: &'a Kernel,
    grid: [u32; 3],
    block: [u32; 3],
    block_index: [u32; 3],
    args: &'a [u64],
}

fn f32_of(bits: u64) -> f32 {
    f32::from_bits(bits as u32)
}

fn f64_of(bits: u64) -> f64 {
    f64::from_bits(bits)
}

fn of_f32(x: f32) -> u64 {
    u64::from(x.to_bits())
}

impl Context<'_> {
    /// Runs the warp-wide instructions that whole warps wait at, and says
    /// whether any ran. A warp some of whose threads wait at one while
    /// others wait elsewhere or have left fails: `mma.sync.aligned` must be
    /// reached by every thread of the warp.
    fn run_warps(&self, states: &mut [Thread], regs: &mut [u64]) -> Result<bool, ExecError> {
        let registers = self.kernel.registers;
        let mut ran = false;
        for (w, warp) in states.chunks_mut(WARP).enumerate() {
            let Some(first) = warp
                .iter()
                .position(|s| matches!(s.stopped_at, Some(Stop::Warp(_))))
            else {
                continue;
            };
            let Some(Stop::Warp(pc)) = warp[first].stopped_at else {
                unreachable!("found waiting")
            };
            let fail = |thread: [u32; 3], message: String| ExecError {
                kernel: self.kernel.name.clone(),
                block: Some(self.block_index),
                thread: Some(thread),
                at: Some(self.at(pc)),
                message,
            };
            if warp.len() < WARP {
                return Err(fail(
                    warp[first].index,
                    format!(
                        "a warp-wide instruction in a warp of {} threads, not {WARP}",
                        warp.len()
                    ),
                ));
            }
            if let Some(other) = warp
                .iter()
                .find(|s| !matches!(s.stopped_at, Some(Stop::Warp(p)) if p == pc))
            {
                let where_ = match other.stopped_at {
                    Some(Stop::Exit) => "has left".to_string(),
                    Some(Stop::Barrier(p) | Stop::Warp(p)) => {
                        format!("waits at line {}", self.kernel.code[p].line)
                    }
                    None => unreachable!("every thread stopped"),
                };
                return Err(fail(
                    warp[first].index,
                    format!(
                        "not every thread of its warp reaches this warp-wide instruction: thread {:?} {where_}",
                        other.index
                    ),
                ));
            }
            let lanes = &mut regs[w * WARP * registers..(w + 1) * WARP * registers];
            match self.kernel.code[pc].op {
                Op::Mma { d, a, b, c } => {
                    mma(lanes, registers, d, a, b, c).map_err(|m| fail(warp[0].index, m))?;
                }
                _ => unreachable!("only mma waits for its warp"),
            }
            for state in warp.iter_mut() {
                state.stopped_at = None;
            }
            ran = true;
        }
        Ok(ran)
    }

    fn at(&self, pc: usize) -> (usize, String) {
        let i: &Instr = &self.kernel.code[pc];
        (i.line, i.text.clone())
    }

    fn read(&self, regs: &[u64], thread: [u32; 3], s: Src) -> u64 {
        match s {
            Src::Reg(r) => regs[r],
            Src::Imm(v) => v,
            Src::Special(sp) => u64::from(match sp {
                Special::Tid(a) => thread[a],
                Special::Ntid(a) => self.block[a],
                Special::Ctaid(a) => self.block_index[a],
                Special::Nctaid(a) => self.grid[a],
            }),
        }
    }

    /// Runs one thread until it reaches a barrier or its end.
    fn run_thread(
        &self,
        state: &mut Thread,
        regs: &mut [u64],
        heap: &mut Heap,
        shared: &mut SharedMemory,
    ) -> Result<Stop, ExecError> {
        let code = &self.kernel.code;
        loop {
            let pc = state.pc;
            let Some(instr) = code.get(pc) else {
                return Ok(Stop::Exit);
            };
            state.steps += 1;
            let error = |message: String| ExecError {
                kernel: self.kernel.name.clone(),
                block: Some(self.block_index),
                thread: Some(state.index),
                at: Some((instr.line, instr.text.clone())),
                message,
            };
            if state.steps > STEP_LIMIT {
                return Err(error(format!(
                    "more than {STEP_LIMIT} instructions: a loop that does not end?"
                )));
            }
            state.pc += 1;
            if let Some((p, want)) = instr.guard
                && (regs[p] != 0) != want
            {
                continue;
            }
            let t = state.index;
            let r = |s: Src| self.read(regs, t, s);
            match instr.op {
                Op::LdParam { d, param } => regs[d] = self.args[param],
                Op::Mov { d, a, ty } => regs[d] = mask(r(a), ty),
                Op::Bin { op, ty, d, a, b } => {
                    regs[d] = binary(op, ty, r(a), r(b)).map_err(error)?;
                }
                Op::Fma { ty, d, a, b, c } => {
                    let (a, b, c) = (r(a), r(b), r(c));
                    regs[d] = match ty {
                        Ty::F32 => of_f32(f32_of(a).mul_add(f32_of(b), f32_of(c))),
                        Ty::F64 => f64_of(a).mul_add(f64_of(b), f64_of(c)).to_bits(),
                        _ => mask(a.wrapping_mul(b).wrapping_add(c), ty),
                    };
                }
                Op::Un { op, ty, d, a } => {
                    let a = r(a);
                    regs[d] = match (op, ty) {
                        (Un::Neg, Ty::F32) => of_f32(-f32_of(a)),
                        (Un::Neg, Ty::F64) => (-f64_of(a)).to_bits(),
                        (Un::Neg, _) => mask(a.wrapping_neg(), ty),
                        (Un::Abs, Ty::F32) => of_f32(f32_of(a).abs()),
                        (Un::Abs, _) => f64_of(a).abs().to_bits(),
                        (Un::Sqrt, Ty::F32) => of_f32(f32_of(a).sqrt()),
                        (Un::Sqrt, _) => f64_of(a).sqrt().to_bits(),
                        (Un::Rcp, Ty::F32) => of_f32(1.0 / f32_of(a)),
                        (Un::Rcp, _) => (1.0 / f64_of(a)).to_bits(),
                    };
                }
                Op::MulWide { d, a, b } => regs[d] = (r(a) & 0xFFFF_FFFF) * (r(b) & 0xFFFF_FFFF),
                Op::Cvt {
                    kind,
                    to,
                    from,
                    d,
                    a,
                } => {
                    let a = r(a);
                    regs[d] = match (kind, from) {
                        (Cvt::RoundInt, Ty::F32) => of_f32(f32_of(a).round_ties_even()),
                        (Cvt::RoundInt, _) => f64_of(a).round_ties_even().to_bits(),
                        // Truncated, saturated, NaN to 0: Rust's `as`.
                        (Cvt::TruncToInt, Ty::F32) => u64::from(f32_of(a) as i32 as u32),
                        (Cvt::TruncToInt, _) => u64::from(f64_of(a) as i32 as u32),
                        (Cvt::IntToFloat, Ty::U32) => {
                            float(to, f64::from(a as u32), a as u32 as f32)
                        }
                        (Cvt::IntToFloat, _) => {
                            float(to, f64::from(a as u32 as i32), a as u32 as i32 as f32)
                        }
                        (Cvt::Int, _) => mask(a, to),
                        (Cvt::Floor, Ty::F32) => of_f32(f32_of(a).floor()),
                        (Cvt::Floor, _) => f64_of(a).floor().to_bits(),
                        (Cvt::Float, Ty::F32) => f64::from(f32_of(a)).to_bits(),
                        (Cvt::Float, _) => of_f32(f64_of(a) as f32),
                        (Cvt::Tf32, _) => u64::from(tf32(a as u32)),
                    };
                }
                Op::Setp { cmp, ty, d, a, b } => regs[d] = u64::from(compare(cmp, ty, r(a), r(b))),
                Op::Selp { d, a, b, p } => regs[d] = if regs[p] != 0 { r(a) } else { r(b) },
                Op::Pred { and, d, a, b } => {
                    let (a, b) = (regs[a] != 0, regs[b] != 0);
                    regs[d] = u64::from(if and { a && b } else { a || b });
                }
                Op::Ld {
                    space,
                    ty,
                    d,
                    base,
                    offset,
                } => {
                    let address = regs[base].wrapping_add(offset as u64);
                    let value = match space {
                        Space::Global => heap.load(address, ty.bytes()),
                        Space::Shared => shared.load(address, ty.bytes()),
                    };
                    regs[d] = value.map_err(error)?;
                }
                Op::St {
                    space,
                    ty,
                    base,
                    offset,
                    value,
                } => {
                    let address = regs[base].wrapping_add(offset as u64);
                    let v = r(value);
                    match space {
                        Space::Global => heap.store(address, ty.bytes(), v),
                        Space::Shared => shared.store(address, ty.bytes(), v),
                    }
                    .map_err(error)?;
                }
                Op::Bra { target } => state.pc = target,
                Op::Bar => return Ok(Stop::Barrier(pc)),
                Op::Mma { .. } => return Ok(Stop::Warp(pc)),
                Op::Ret => return Ok(Stop::Exit),
            }
        }
    }
}

/// `f32` bits rounded to TF32 (10 mantissa bits), to nearest with ties
/// away from zero, as `cvt.rna.tf32.f32`: infinities stay, a NaN stays a
/// (quiet) NaN, and a magnitude past TF32's largest becomes infinite.
pub fn tf32(bits: u32) -> u32 {
    const LOW: u32 = (1 << 13) - 1;
    if f32::from_bits(bits).is_nan() {
        return (bits | 0x0040_0000) & !LOW;
    }
    // Half of TF32's last place, added to the magnitude: the carry rounds
    // it up where the dropped bits are half or more, ties included.
    (bits + (1 << 12)) & !LOW
}

/// `D = A·B + C` for one warp, `A` 16 × 8, `B` 8 × 8, `C` and `D` 16 × 8,
/// from and to the fragments the PTX ISA gives `mma.m16n8k8` with `.tf32`
/// factors and `.f32` sums. Lane `l` of the warp, with `g = l / 4` and
/// `q = l % 4`, holds
/// - of `A` (row major): `a0 = A[g][q]`, `a1 = A[g+8][q]`, `a2 = A[g][q+4]`,
///   `a3 = A[g+8][q+4]`;
/// - of `B` (column major): `b0 = B[q][g]`, `b1 = B[q+4][g]`;
/// - of `C` and `D`: `c0 = C[g][2q]`, `c1 = C[g][2q+1]`, `c2 = C[g+8][2q]`,
///   `c3 = C[g+8][2q+1]`.
///
/// A factor that is not TF32 (an `f32` whose low 13 bits are not zero) is
/// an error: the kernel forgot its `cvt.rna.tf32.f32`. The products of two
/// TF32 values are exact; each element of `D` is the sum of its eight
/// products and `C`, summed in `f64` and rounded once to `f32` (the hardware
/// adds in an order the ISA does not give, so its last bit may differ).
fn mma(
    lanes: &mut [u64],
    registers: usize,
    d: [usize; 4],
    a: [usize; 4],
    b: [usize; 2],
    c: [usize; 4],
) -> Result<(), String> {
    let mut ma = [[0f64; 8]; 16];
    let mut mb = [[0f64; 8]; 8];
    let mut mc = [[0f64; 8]; 16];
    let factor = |bits: u64, lane: usize, which: &str| -> Result<f64, String> {
        let bits = bits as u32;
        if bits & ((1 << 13) - 1) != 0 && !f32::from_bits(bits).is_nan() {
            return Err(format!(
                "lane {lane}'s {which} is {bits:#010x}, not a TF32 value (low 13 bits set)"
            ));
        }
        Ok(f64::from(f32::from_bits(bits)))
    };
    for lane in 0..WARP {
        let r = &lanes[lane * registers..(lane + 1) * registers];
        let (g, q) = (lane / 4, lane % 4);
        ma[g][q] = factor(r[a[0]], lane, "a0")?;
        ma[g + 8][q] = factor(r[a[1]], lane, "a1")?;
        ma[g][q + 4] = factor(r[a[2]], lane, "a2")?;
        ma[g + 8][q + 4] = factor(r[a[3]], lane, "a3")?;
        mb[q][g] = factor(r[b[0]], lane, "b0")?;
        mb[q + 4][g] = factor(r[b[1]], lane, "b1")?;
        for (i, (row, col)) in accumulator(lane).into_iter().enumerate() {
            mc[row][col] = f64::from(f32_of(r[c[i]]));
        }
    }
    for lane in 0..WARP {
        let r = &mut lanes[lane * registers..(lane + 1) * registers];
        for (i, (row, col)) in accumulator(lane).into_iter().enumerate() {
            let sum = (0..8).fold(mc[row][col], |s, k| s + ma[row][k] * mb[k][col]);
            r[d[i]] = of_f32(sum as f32);
        }
    }
    Ok(())
}

/// The places in `C` and `D` of lane `lane`'s four accumulator registers:
/// `(g, 2q)`, `(g, 2q + 1)`, `(g + 8, 2q)`, `(g + 8, 2q + 1)`.
fn accumulator(lane: usize) -> [(usize, usize); 4] {
    let (g, q) = (lane / 4, lane % 4);
    [
        (g, 2 * q),
        (g, 2 * q + 1),
        (g + 8, 2 * q),
        (g + 8, 2 * q + 1),
    ]
}

/// The low bits of a value of type `ty`.
fn mask(v: u64, ty: Ty) -> u64 {
    if ty.bytes() == 4 { v & 0xFFFF_FFFF } else { v }
}

fn float(to: Ty, wide: f64, narrow: f32) -> u64 {
    if to == Ty::F32 {
        of_f32(narrow)
    } else {
        wide.to_bits()
    }
}

fn binary(op: Bin, ty: Ty, a: u64, b: u64) -> Result<u64, String> {
    Ok(match ty {
        Ty::F32 => {
            let (x, y) = (f32_of(a), f32_of(b));
            of_f32(match op {
                Bin::Add => x + y,
                Bin::Sub => x - y,
                Bin::Mul => x * y,
                Bin::Div => x / y,
                Bin::Copysign => y.copysign(x),
                _ => unreachable!("the parser gives {op:?} no float type"),
            })
        }
        Ty::F64 => {
            let (x, y) = (f64_of(a), f64_of(b));
            (match op {
                Bin::Add => x + y,
                Bin::Sub => x - y,
                Bin::Mul => x * y,
                Bin::Div => x / y,
                Bin::Copysign => y.copysign(x),
                _ => unreachable!("the parser gives {op:?} no float type"),
            })
            .to_bits()
        }
        Ty::U32 | Ty::S32 => {
            let (x, y) = (a as u32, b as u32);
            let signed = ty == Ty::S32;
            u64::from(match op {
                Bin::Add => x.wrapping_add(y),
                Bin::Sub => x.wrapping_sub(y),
                Bin::Mul => x.wrapping_mul(y),
                Bin::Div | Bin::Rem if y == 0 => return Err("integer division by zero".into()),
                Bin::Div if signed => (x as i32).wrapping_div(y as i32) as u32,
                Bin::Div => x / y,
                Bin::Rem if signed => (x as i32).wrapping_rem(y as i32) as u32,
                Bin::Rem => x % y,
                Bin::Min if signed => (x as i32).min(y as i32) as u32,
                Bin::Min => x.min(y),
                Bin::Max if signed => (x as i32).max(y as i32) as u32,
                Bin::Max => x.max(y),
                Bin::And => x & y,
                Bin::Or => x | y,
                Bin::Shl => x.checked_shl(b as u32).unwrap_or(0),
                Bin::Shr if signed => (x as i32)
                    .checked_shr(b as u32)
                    .unwrap_or(if (x as i32) < 0 { -1 } else { 0 })
                    as u32,
                Bin::Shr => x.checked_shr(b as u32).unwrap_or(0),
                Bin::Copysign => unreachable!("no integer copysign"),
            })
        }
        Ty::U64 | Ty::S64 => {
            let signed = ty == Ty::S64;
            match op {
                Bin::Add => a.wrapping_add(b),
                Bin::Sub => a.wrapping_sub(b),
                Bin::Mul => a.wrapping_mul(b),
                Bin::And => a & b,
                Bin::Or => a | b,
                Bin::Shl => a.checked_shl(b as u32).unwrap_or(0),
                Bin::Shr if signed => (a as i64)
                    .checked_shr(b as u32)
                    .unwrap_or(if (a as i64) < 0 { -1 } else { 0 })
                    as u64,
                Bin::Shr => a.checked_shr(b as u32).unwrap_or(0),
                _ => return Err(format!("{op:?} on 64-bit integers is not known")),
            }
        }
    })
}

fn compare(cmp: Cmp, ty: Ty, a: u64, b: u64) -> bool {
    fn ordered<T: PartialOrd>(cmp: Cmp, x: T, y: T, nan: bool) -> bool {
        match cmp {
            Cmp::Eq => x == y,
            Cmp::Ne => !nan && x != y,
            Cmp::Lt => x < y,
            Cmp::Le => x <= y,
            Cmp::Gt => x > y,
            Cmp::Ge => x >= y,
            Cmp::Nan => nan,
        }
    }
    match ty {
        Ty::F32 => {
            let (x, y) = (f32_of(a), f32_of(b));
            ordered(cmp, x, y, x.is_nan() || y.is_nan())
        }
        Ty::F64 => {
            let (x, y) = (f64_of(a), f64_of(b));
            ordered(cmp, x, y, x.is_nan() || y.is_nan())
        }
        Ty::S32 => ordered(cmp, a as u32 as i32, b as u32 as i32, false),
        _ => ordered(cmp, a as u32, b as u32, false),
    }
}
