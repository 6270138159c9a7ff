//! The kernel builder: typed instructions written as PTX text.

use super::types::{F32, F64, Float, Int, Num, Operand, Pred, Reg, RegClass, S32, Type, U32, U64};
use core::fmt::Write;
use core::marker::PhantomData;

/// The PTX ISA version of the text: what CUDA 11.0 drivers and later, and
/// every `ptxas` since, accept. Nothing newer is used.
pub const VERSION: &str = "7.0";
/// The target: Ampere; the driver compiles the same text for every later
/// architecture (Hopper included) when it loads it.
pub const TARGET: &str = "sm_80";

/// A special register: the thread's place in its block and grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// `%tid.x`: the thread's index in its block.
    TidX,
    /// `%tid.y`
    TidY,
    /// `%ntid.x`: threads per block along x.
    NtidX,
    /// `%ntid.y`
    NtidY,
    /// `%ctaid.x`: the block's index in the grid.
    CtaidX,
    /// `%ctaid.y`
    CtaidY,
    /// `%nctaid.x`: blocks in the grid along x.
    NctaidX,
    /// `%nctaid.y`
    NctaidY,
}

impl Special {
    /// Its name in PTX.
    pub fn name(self) -> &'static str {
        match self {
            Special::TidX => "%tid.x",
            Special::TidY => "%tid.y",
            Special::NtidX => "%ntid.x",
            Special::NtidY => "%ntid.y",
            Special::CtaidX => "%ctaid.x",
            Special::CtaidY => "%ctaid.y",
            Special::NctaidX => "%nctaid.x",
            Special::NctaidY => "%nctaid.y",
        }
    }
}

/// A comparison for [`Kernel::setp`]. On floats every one is ordered: it
/// is false when either operand is NaN, as Rust's `<` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `==`
    Eq,
    /// `!=` (false on NaN)
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Cmp {
    fn name(self) -> &'static str {
        match self {
            Cmp::Eq => "eq",
            Cmp::Ne => "ne",
            Cmp::Lt => "lt",
            Cmp::Le => "le",
            Cmp::Gt => "gt",
            Cmp::Ge => "ge",
        }
    }
}

/// A state space that loads and stores address.
pub trait Space: Copy {
    /// Its name in an instruction (`ld.global`).
    const NAME: &'static str;
    /// The type of its addresses.
    type Addr: Int;
}

/// Global memory: the buffers a kernel is handed, 64-bit addresses.
#[derive(Clone, Copy, Debug)]
pub struct Global;

/// Shared memory: one block's scratch space, 32-bit addresses.
#[derive(Clone, Copy, Debug)]
pub struct Shared;

impl Space for Global {
    const NAME: &'static str = "global";
    type Addr = U64;
}

impl Space for Shared {
    const NAME: &'static str = "shared";
    type Addr = U32;
}

/// An address in state space `S`: a register plus a constant byte offset.
#[derive(Clone, Copy, Debug)]
pub struct Ptr<S: Space> {
    base: Reg<S::Addr>,
    offset: i64,
}

impl<S: Space> Ptr<S> {
    /// The address `bytes` further on.
    pub fn offset(self, bytes: i64) -> Self {
        Ptr {
            base: self.base,
            offset: self.offset + bytes,
        }
    }
}

/// An array of `T` in shared memory.
#[derive(Clone, Copy, Debug)]
pub struct SharedArray<T> {
    base: Reg<U32>,
    len: u32,
    _type: PhantomData<T>,
}

impl<T: Type> SharedArray<T> {
    /// How many elements it holds.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A place in the code to branch to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(u32);

/// One kernel (an `.entry`) being written.
///
/// Every method appends instructions and returns fresh virtual registers,
/// typed, so an `f32` cannot be added to a `u32` and an address of shared
/// memory cannot be loaded from as global. Registers are not SSA: a loop
/// counter is updated with [`assign`](Self::assign).
#[derive(Debug, Default)]
pub struct Kernel {
    name: String,
    params: Vec<(String, &'static str)>,
    counts: [u32; 5],
    labels: u32,
    shared: Vec<String>,
    shared_bytes: u32,
    body: String,
    max_threads: Option<u32>,
}

fn class_index(class: RegClass) -> usize {
    RegClass::ALL
        .iter()
        .position(|&c| c == class)
        .expect("every class is listed")
}

impl Kernel {
    /// An empty kernel called `name` (a PTX identifier).
    pub fn new(name: impl Into<String>) -> Self {
        Kernel {
            name: name.into(),
            ..Kernel::default()
        }
    }

    /// The kernel's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes of shared memory the kernel declares.
    pub fn shared_bytes(&self) -> u32 {
        self.shared_bytes
    }

    /// Declares the most threads a block may have (`.maxntid`): ptxas can
    /// then give each thread more registers, and a launch with more fails.
    pub fn max_threads(&mut self, n: u32) {
        self.max_threads = Some(n);
    }

    fn line(&mut self, text: core::fmt::Arguments<'_>) {
        self.body.push('\t');
        self.body
            .write_fmt(text)
            .expect("writing to a String cannot fail");
        self.body.push_str(";\n");
    }

    /// A fresh register of type `T`.
    pub fn reg<T: Type>(&mut self) -> Reg<T> {
        let count = &mut self.counts[class_index(T::CLASS)];
        let index = *count;
        *count += 1;
        Reg {
            index,
            class: T::CLASS,
            _type: PhantomData,
        }
    }

    /// A parameter of type `T`, loaded into a register.
    pub fn param<T: Type>(&mut self) -> Reg<T> {
        let name = format!("{}_param_{}", self.name, self.params.len());
        self.params.push((name.clone(), T::NAME));
        let r = self.reg::<T>();
        self.line(format_args!("ld.param.{} {r}, [{name}]", T::NAME));
        r
    }

    /// A pointer parameter: the address of a buffer in global memory.
    pub fn param_ptr(&mut self) -> Reg<U64> {
        let generic = self.param::<U64>();
        let r = self.reg::<U64>();
        self.line(format_args!("cvta.to.global.u64 {r}, {generic}"));
        r
    }

    /// An array of `len` elements of `T` in shared memory, and its address.
    pub fn shared<T: Type>(&mut self, len: u32) -> SharedArray<T> {
        let name = format!("smem{}", self.shared.len());
        let bytes = len
            .checked_mul(T::BYTES)
            .expect("a shared array's size fits in 32 bits");
        self.shared
            .push(format!(".shared .align 16 .b8 {name}[{bytes}];"));
        self.shared_bytes = self
            .shared_bytes
            .checked_add(bytes.next_multiple_of(16))
            .expect("shared memory fits in 32 bits");
        let base = self.reg::<U32>();
        self.line(format_args!("mov.u32 {base}, {name}"));
        SharedArray {
            base,
            len,
            _type: PhantomData,
        }
    }

    /// A special register's value.
    pub fn special(&mut self, s: Special) -> Reg<U32> {
        let r = self.reg::<U32>();
        self.line(format_args!("mov.u32 {r}, {}", s.name()));
        r
    }

    /// A copy of `a` in a fresh register.
    pub fn mov<T: Type>(&mut self, a: impl Into<Operand<T>>) -> Reg<T> {
        let r = self.reg::<T>();
        self.assign(r, a);
        r
    }

    /// `d = a`, overwriting a register (a loop counter, an accumulator).
    pub fn assign<T: Type>(&mut self, d: Reg<T>, a: impl Into<Operand<T>>) {
        let a = a.into();
        self.line(format_args!("mov.{} {d}, {a}", T::NAME));
    }

    fn op2<T: Type>(&mut self, op: &str, a: Operand<T>, b: Operand<T>) -> Reg<T> {
        let r = self.reg::<T>();
        self.line(format_args!("{op}.{} {r}, {a}, {b}", T::NAME));
        r
    }

    fn op1<T: Type>(&mut self, op: &str, a: Operand<T>) -> Reg<T> {
        let r = self.reg::<T>();
        self.line(format_args!("{op}.{} {r}, {a}", T::NAME));
        r
    }

    /// `a + b` (rounded to nearest on floats, never fused with a product).
    pub fn add<T: Num>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        self.op2(rounded::<T>("add"), a.into(), b.into())
    }

    /// `a - b`.
    pub fn sub<T: Num>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        self.op2(rounded::<T>("sub"), a.into(), b.into())
    }

    /// `a · b` (the low half on integers).
    pub fn mul<T: Num>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        let op = if is_float::<T>() { "mul.rn" } else { "mul.lo" };
        self.op2(op, a.into(), b.into())
    }

    /// `a / b` (correctly rounded on floats, truncated on integers).
    pub fn div<T: Num>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        self.op2(rounded::<T>("div"), a.into(), b.into())
    }

    /// The remainder of an integer division.
    pub fn rem<T: Int>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        self.op2("rem", a.into(), b.into())
    }

    /// The smaller of two integers. (On floats `min` returns the other
    /// operand of a NaN, unlike the CPU kernels, so floats use
    /// [`setp`](Self::setp) and [`selp`](Self::selp).)
    pub fn min<T: Int>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        self.op2("min", a.into(), b.into())
    }

    /// The larger of two integers.
    pub fn max<T: Int>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        self.op2("max", a.into(), b.into())
    }

    /// `a · b + c`, rounded once (`fma.rn`) on floats, `mad.lo` on integers.
    pub fn fma<T: Num>(
        &mut self,
        a: impl Into<Operand<T>>,
        b: impl Into<Operand<T>>,
        c: impl Into<Operand<T>>,
    ) -> Reg<T> {
        let (a, b, c) = (a.into(), b.into(), c.into());
        let op = if is_float::<T>() { "fma.rn" } else { "mad.lo" };
        let r = self.reg::<T>();
        self.line(format_args!("{op}.{} {r}, {a}, {b}, {c}", T::NAME));
        r
    }

    /// `-a`.
    pub fn neg<T: Num>(&mut self, a: impl Into<Operand<T>>) -> Reg<T> {
        self.op1("neg", a.into())
    }

    /// `|a|` of a float.
    pub fn abs<T: Float>(&mut self, a: impl Into<Operand<T>>) -> Reg<T> {
        self.op1("abs", a.into())
    }

    /// `√a`, correctly rounded.
    pub fn sqrt<T: Float>(&mut self, a: impl Into<Operand<T>>) -> Reg<T> {
        self.op1("sqrt.rn", a.into())
    }

    /// `1 / a`, correctly rounded.
    pub fn rcp<T: Float>(&mut self, a: impl Into<Operand<T>>) -> Reg<T> {
        self.op1("rcp.rn", a.into())
    }

    /// `b` with the sign of `a`.
    pub fn copysign<T: Float>(
        &mut self,
        sign: impl Into<Operand<T>>,
        b: impl Into<Operand<T>>,
    ) -> Reg<T> {
        self.op2("copysign", sign.into(), b.into())
    }

    /// `a` rounded to the nearest integer (ties to even), as a float.
    pub fn round<T: Float>(&mut self, a: impl Into<Operand<T>>) -> Reg<T> {
        let a = a.into();
        let r = self.reg::<T>();
        self.line(format_args!("cvt.rni.{0}.{0} {r}, {a}", T::NAME));
        r
    }

    /// The largest integer not above `a`, as a float.
    pub fn floor<T: Float>(&mut self, a: impl Into<Operand<T>>) -> Reg<T> {
        let a = a.into();
        let r = self.reg::<T>();
        self.line(format_args!("cvt.rmi.{0}.{0} {r}, {a}", T::NAME));
        r
    }

    /// An `f32` widened to `f64` (exactly).
    pub fn to_f64(&mut self, a: impl Into<Operand<F32>>) -> Reg<F64> {
        let a = a.into();
        let r = self.reg::<F64>();
        self.line(format_args!("cvt.f64.f32 {r}, {a}"));
        r
    }

    /// An `f64` rounded to the nearest `f32`.
    pub fn to_f32(&mut self, a: impl Into<Operand<F64>>) -> Reg<F32> {
        let a = a.into();
        let r = self.reg::<F32>();
        self.line(format_args!("cvt.rn.f32.f64 {r}, {a}"));
        r
    }

    /// An integral float as an `s32` (truncated; saturated beyond its range).
    pub fn to_s32<T: Float>(&mut self, a: impl Into<Operand<T>>) -> Reg<S32> {
        let a = a.into();
        let r = self.reg::<S32>();
        self.line(format_args!("cvt.rzi.s32.{} {r}, {a}", T::NAME));
        r
    }

    /// A `u32` as a float, rounded to nearest.
    pub fn u32_to<T: Float>(&mut self, a: impl Into<Operand<U32>>) -> Reg<T> {
        let a = a.into();
        let r = self.reg::<T>();
        self.line(format_args!("cvt.rn.{}.u32 {r}, {a}", T::NAME));
        r
    }

    /// An `s32` as a float, rounded to nearest.
    pub fn s32_to<T: Float>(&mut self, a: impl Into<Operand<S32>>) -> Reg<T> {
        let a = a.into();
        let r = self.reg::<T>();
        self.line(format_args!("cvt.rn.{}.s32 {r}, {a}", T::NAME));
        r
    }

    /// The low 32 bits of a `u64`.
    pub fn narrow(&mut self, a: impl Into<Operand<U64>>) -> Reg<U32> {
        let a = a.into();
        let r = self.reg::<U32>();
        self.line(format_args!("cvt.u32.u64 {r}, {a}"));
        r
    }

    /// A `u32` widened to `u64`.
    pub fn widen(&mut self, a: impl Into<Operand<U32>>) -> Reg<U64> {
        let a = a.into();
        let r = self.reg::<U64>();
        self.line(format_args!("cvt.u64.u32 {r}, {a}"));
        r
    }

    /// `a` rounded to TF32 (10 mantissa bits, to nearest, ties away from
    /// zero), in a `.b32` register for [`mma_tf32`](Self::mma_tf32)
    /// (`cvt.rna.tf32.f32`).
    pub fn to_tf32(&mut self, a: impl Into<Operand<F32>>) -> Reg<U32> {
        let a = a.into();
        let r = self.reg::<U32>();
        self.line(format_args!("cvt.rna.tf32.f32 {r}, {a}"));
        r
    }

    /// `D = A·B + C` for a whole warp on tensor cores
    /// (`mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32`): `A` is
    /// 16 × 8, `B` 8 × 8, `C` and `D` 16 × 8, each spread over the warp's 32
    /// threads as the PTX ISA lays out their fragments. With `g` the lane
    /// over 4 and `q` the lane modulo 4, a thread gives `a = [A[g][q],
    /// A[g+8][q], A[g][q+4], A[g+8][q+4]]` and `b = [B[q][g], B[q+4][g]]`
    /// (TF32, from [`to_tf32`](Self::to_tf32)), `c = [C[g][2q],
    /// C[g][2q+1], C[g+8][2q], C[g+8][2q+1]]`, and receives `D` in `d` in
    /// `C`'s layout (`d` may be `c`). Every thread of the warp must run it,
    /// none guarded off.
    pub fn mma_tf32(
        &mut self,
        d: [Reg<F32>; 4],
        a: [Reg<U32>; 4],
        b: [Reg<U32>; 2],
        c: [Reg<F32>; 4],
    ) {
        self.line(format_args!(
            "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {{{}, {}, {}, {}}}, {{{}, {}, {}, {}}}, {{{}, {}}}, {{{}, {}, {}, {}}}",
            d[0], d[1], d[2], d[3], a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], c[2], c[3]
        ));
    }

    /// The bits of a float.
    pub fn to_bits<T: Float>(&mut self, a: Reg<T>) -> Reg<T::Bits> {
        let r = self.reg::<T::Bits>();
        self.line(format_args!("mov.b{} {r}, {a}", T::BYTES * 8));
        r
    }

    /// The float with the given bits.
    pub fn from_bits<T: Float>(&mut self, a: impl Into<Operand<T::Bits>>) -> Reg<T> {
        let a = a.into();
        let r = self.reg::<T>();
        self.line(format_args!("mov.b{} {r}, {a}", T::BYTES * 8));
        r
    }

    /// `a & b`.
    pub fn and<T: Int>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        self.bits_op("and", a.into(), b.into())
    }

    /// `a | b`.
    pub fn or<T: Int>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<T>>) -> Reg<T> {
        self.bits_op("or", a.into(), b.into())
    }

    /// `a << b`.
    pub fn shl<T: Int>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<U32>>) -> Reg<T> {
        let (a, b) = (a.into(), b.into());
        let r = self.reg::<T>();
        self.line(format_args!("shl.b{} {r}, {a}, {b}", T::BYTES * 8));
        r
    }

    /// `a >> b`: arithmetic on signed types, logical on unsigned.
    pub fn shr<T: Int>(&mut self, a: impl Into<Operand<T>>, b: impl Into<Operand<U32>>) -> Reg<T> {
        let (a, b) = (a.into(), b.into());
        let r = self.reg::<T>();
        self.line(format_args!("shr.{} {r}, {a}, {b}", T::NAME));
        r
    }

    fn bits_op<T: Int>(&mut self, op: &str, a: Operand<T>, b: Operand<T>) -> Reg<T> {
        let r = self.reg::<T>();
        self.line(format_args!("{op}.b{} {r}, {a}, {b}", T::BYTES * 8));
        r
    }

    /// The full product of two `u32`s.
    pub fn mul_wide(&mut self, a: impl Into<Operand<U32>>, b: impl Into<Operand<U32>>) -> Reg<U64> {
        let (a, b) = (a.into(), b.into());
        let r = self.reg::<U64>();
        self.line(format_args!("mul.wide.u32 {r}, {a}, {b}"));
        r
    }

    /// `a cmp b`.
    pub fn setp<T: Num>(
        &mut self,
        cmp: Cmp,
        a: impl Into<Operand<T>>,
        b: impl Into<Operand<T>>,
    ) -> Reg<Pred> {
        let (a, b) = (a.into(), b.into());
        let r = self.reg::<Pred>();
        self.line(format_args!(
            "setp.{}.{} {r}, {a}, {b}",
            cmp.name(),
            T::NAME
        ));
        r
    }

    /// Whether a float is NaN.
    pub fn is_nan<T: Float>(&mut self, a: impl Into<Operand<T>>) -> Reg<Pred> {
        let a = a.into();
        let r = self.reg::<Pred>();
        self.line(format_args!("setp.nan.{} {r}, {a}, {a}", T::NAME));
        r
    }

    /// `p ? a : b`.
    pub fn selp<T: Type>(
        &mut self,
        p: Reg<Pred>,
        a: impl Into<Operand<T>>,
        b: impl Into<Operand<T>>,
    ) -> Reg<T> {
        let (a, b) = (a.into(), b.into());
        let r = self.reg::<T>();
        let name = if is_float::<T>() {
            T::NAME
        } else {
            bits(T::BYTES)
        };
        self.line(format_args!("selp.{name} {r}, {a}, {b}, {p}"));
        r
    }

    /// `a && b` of predicates.
    pub fn and_pred(&mut self, a: Reg<Pred>, b: Reg<Pred>) -> Reg<Pred> {
        let r = self.reg::<Pred>();
        self.line(format_args!("and.pred {r}, {a}, {b}"));
        r
    }

    /// `a || b` of predicates.
    pub fn or_pred(&mut self, a: Reg<Pred>, b: Reg<Pred>) -> Reg<Pred> {
        let r = self.reg::<Pred>();
        self.line(format_args!("or.pred {r}, {a}, {b}"));
        r
    }

    /// The address of element `index` of a global array of `T` at `base`.
    pub fn global<T: Type>(
        &mut self,
        base: Reg<U64>,
        index: impl Into<Operand<U32>>,
    ) -> Ptr<Global> {
        match index.into() {
            Operand::Imm(i, _) => Ptr {
                base,
                offset: i as i64 * i64::from(T::BYTES),
            },
            index @ Operand::Reg(_) => {
                let bytes = self.mul_wide(index, T::BYTES);
                let addr = self.add(base, bytes);
                Ptr {
                    base: addr,
                    offset: 0,
                }
            }
        }
    }

    /// The address of element `index` of a shared array.
    pub fn at<T: Type>(
        &mut self,
        array: SharedArray<T>,
        index: impl Into<Operand<U32>>,
    ) -> Ptr<Shared> {
        match index.into() {
            Operand::Imm(i, _) => Ptr {
                base: array.base,
                offset: i as i64 * i64::from(T::BYTES),
            },
            index @ Operand::Reg(_) => {
                let addr = self.fma(index, T::BYTES, array.base);
                Ptr {
                    base: addr,
                    offset: 0,
                }
            }
        }
    }

    /// Loads a `T` (`ld.global.f32`, `ld.shared.f32`).
    pub fn ld<T: Type, S: Space>(&mut self, at: Ptr<S>) -> Reg<T> {
        let r = self.reg::<T>();
        self.line(format_args!(
            "ld.{}.{} {r}, {}",
            S::NAME,
            T::NAME,
            address(at)
        ));
        r
    }

    /// Stores a `T`.
    pub fn st<T: Type, S: Space>(&mut self, at: Ptr<S>, value: impl Into<Operand<T>>) {
        let value = value.into();
        self.line(format_args!(
            "st.{}.{} {}, {value}",
            S::NAME,
            T::NAME,
            address(at)
        ));
    }

    /// A new label, to be placed with [`place`](Self::place).
    pub fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels)
    }

    /// Places a label here.
    pub fn place(&mut self, l: Label) {
        writeln!(self.body, "L{}:", l.0).expect("writing to a String cannot fail");
    }

    /// Jumps to `l`.
    pub fn bra(&mut self, l: Label) {
        self.line(format_args!("bra.uni L{}", l.0));
    }

    /// Jumps to `l` where `p` holds.
    pub fn bra_if(&mut self, p: Reg<Pred>, l: Label) {
        self.line(format_args!("@{p} bra L{}", l.0));
    }

    /// Jumps to `l` where `p` does not hold.
    pub fn bra_unless(&mut self, p: Reg<Pred>, l: Label) {
        self.line(format_args!("@!{p} bra L{}", l.0));
    }

    /// Runs `body` only where `p` holds.
    pub fn when(&mut self, p: Reg<Pred>, body: impl FnOnce(&mut Self)) {
        let skip = self.label();
        self.bra_unless(p, skip);
        body(self);
        self.place(skip);
    }

    /// `for i in (start..end).step_by(step) { body(i) }`, the test at the
    /// top, so that an empty range runs nothing.
    pub fn range(
        &mut self,
        start: impl Into<Operand<U32>>,
        end: impl Into<Operand<U32>>,
        step: impl Into<Operand<U32>>,
        body: impl FnOnce(&mut Self, Reg<U32>),
    ) {
        let (end, step) = (end.into(), step.into());
        let i = self.mov(start);
        let (top, done) = (self.label(), self.label());
        self.place(top);
        let out = self.setp(Cmp::Ge, i, end);
        self.bra_if(out, done);
        body(self, i);
        let next = self.add(i, step);
        self.assign(i, next);
        self.bra(top);
        self.place(done);
    }

    /// Waits until every thread of the block has reached this barrier, and
    /// sees what they wrote to shared memory before it.
    pub fn bar_sync(&mut self) {
        self.line(format_args!("bar.sync 0"));
    }

    /// The kernel's `.entry`, declarations first.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let params = self
            .params
            .iter()
            .map(|(name, ty)| format!("\t.param .{ty} {name}"))
            .collect::<Vec<_>>()
            .join(",\n");
        let _ = writeln!(out, ".visible .entry {}(\n{params}\n)", self.name);
        if let Some(n) = self.max_threads {
            let _ = writeln!(out, ".maxntid {n}, 1, 1");
        }
        out.push_str("{\n");
        for class in RegClass::ALL {
            let n = self.counts[class_index(class)];
            if n > 0 {
                let _ = writeln!(out, "\t.reg {} {}<{n}>;", class.decl(), class.prefix());
            }
        }
        for s in &self.shared {
            let _ = writeln!(out, "\t{s}");
        }
        out.push_str(&self.body);
        out.push_str("\tret;\n}\n");
        out
    }
}

/// A module: the header and its kernels, ready for `ptxas` or the driver.
pub fn module(kernels: &[&Kernel]) -> String {
    let mut out = format!(
        "// Written by typeflux-gpu.\n.version {VERSION}\n.target {TARGET}\n.address_size 64\n"
    );
    for k in kernels {
        out.push('\n');
        out.push_str(&k.text());
    }
    out
}

fn address<S: Space>(at: Ptr<S>) -> String {
    match at.offset {
        0 => format!("[{}]", at.base),
        o if o > 0 => format!("[{}+{o}]", at.base),
        o => format!("[{}{o}]", at.base),
    }
}

fn is_float<T: Type>() -> bool {
    T::CLASS == RegClass::F32 || T::CLASS == RegClass::F64
}

fn rounded<T: Type>(op: &'static str) -> &'static str {
    match (is_float::<T>(), op) {
        (true, "add") => "add.rn",
        (true, "sub") => "sub.rn",
        (true, "div") => "div.rn",
        _ => op,
    }
}

fn bits(bytes: u32) -> &'static str {
    if bytes == 8 { "b64" } else { "b32" }
}

/// The literal `value` of a float type as an operand.
pub fn lit<T: Float>(value: f64) -> Operand<T> {
    T::lit(value)
}
