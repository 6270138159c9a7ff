//! PTX text to decoded instructions: the subset typeflux's builder writes,
//! every other instruction refused by name.

use std::collections::HashMap;

/// A value type of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// 32-bit unsigned (and untyped `b32`).
    U32,
    /// 32-bit signed.
    S32,
    /// 64-bit unsigned (and untyped `b64`).
    U64,
    /// 64-bit signed.
    S64,
    /// `f32`
    F32,
    /// `f64`
    F64,
}

impl Ty {
    fn parse(s: &str) -> Option<Ty> {
        Some(match s {
            "u32" | "b32" => Ty::U32,
            "s32" => Ty::S32,
            "u64" | "b64" => Ty::U64,
            "s64" => Ty::S64,
            "f32" => Ty::F32,
            "f64" => Ty::F64,
            _ => return None,
        })
    }

    /// Bytes in memory.
    pub fn bytes(self) -> usize {
        match self {
            Ty::U32 | Ty::S32 | Ty::F32 => 4,
            Ty::U64 | Ty::S64 | Ty::F64 => 8,
        }
    }

    fn is_float(self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }
}

/// A special register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// `%tid.{x,y,z}`
    Tid(usize),
    /// `%ntid.{x,y,z}`
    Ntid(usize),
    /// `%ctaid.{x,y,z}`
    Ctaid(usize),
    /// `%nctaid.{x,y,z}`
    Nctaid(usize),
}

/// What an instruction reads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Src {
    /// A register's slot.
    Reg(usize),
    /// An immediate's bits (or a shared array's address).
    Imm(u64),
    /// A special register.
    Special(Special),
}

/// A state space of loads and stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// Global memory.
    Global,
    /// The block's shared memory.
    Shared,
}

/// Two-operand operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul.lo` / `mul.rn`
    Mul,
    /// `div`
    Div,
    /// `rem`
    Rem,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `and`
    And,
    /// `or`
    Or,
    /// `shl`
    Shl,
    /// `shr`
    Shr,
    /// `copysign`
    Copysign,
}

/// One-operand operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Un {
    /// `neg`
    Neg,
    /// `abs`
    Abs,
    /// `sqrt.rn`
    Sqrt,
    /// `rcp.rn`
    Rcp,
}

/// Comparisons of `setp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `lt`
    Lt,
    /// `le`
    Le,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `nan`: either is NaN.
    Nan,
}

/// Conversions of `cvt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cvt {
    /// Float to the nearest integral float (`cvt.rni.f32.f32`).
    RoundInt,
    /// Float to integer, truncating (`cvt.rzi.s32.f32`).
    TruncToInt,
    /// Integer to float, rounded to nearest (`cvt.rn.f32.u32`).
    IntToFloat,
    /// Integer to integer (`cvt.u64.u32`, `cvt.u32.u64`).
    Int,
    /// Float down to the integral float below (`cvt.rmi.f32.f32`).
    Floor,
    /// `f32` to `f64` and back (`cvt.f64.f32`, `cvt.rn.f32.f64`).
    Float,
    /// `f32` to TF32 in a `.b32` register, rounded to nearest with ties
    /// away from zero (`cvt.rna.tf32.f32`).
    Tf32,
}

/// A decoded instruction.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `ld.param`
    LdParam {
        /// Destination slot.
        d: usize,
        /// Which parameter.
        param: usize,
    },
    /// `mov`, `cvta.to.global`
    Mov {
        /// Destination.
        d: usize,
        /// Source.
        a: Src,
        /// Width.
        ty: Ty,
    },
    /// A two-operand operation.
    Bin {
        /// Which.
        op: Bin,
        /// Type.
        ty: Ty,
        /// Destination.
        d: usize,
        /// Left operand.
        a: Src,
        /// Right operand.
        b: Src,
    },
    /// `fma.rn`, `mad.lo`
    Fma {
        /// Type.
        ty: Ty,
        /// Destination.
        d: usize,
        /// Factor.
        a: Src,
        /// Factor.
        b: Src,
        /// Addend.
        c: Src,
    },
    /// A one-operand operation.
    Un {
        /// Which.
        op: Un,
        /// Type.
        ty: Ty,
        /// Destination.
        d: usize,
        /// Operand.
        a: Src,
    },
    /// `mul.wide.u32`
    MulWide {
        /// Destination (u64).
        d: usize,
        /// Factor.
        a: Src,
        /// Factor.
        b: Src,
    },
    /// `cvt`
    Cvt {
        /// Kind.
        kind: Cvt,
        /// Destination type.
        to: Ty,
        /// Source type.
        from: Ty,
        /// Destination.
        d: usize,
        /// Source.
        a: Src,
    },
    /// `setp`
    Setp {
        /// Comparison.
        cmp: Cmp,
        /// Type.
        ty: Ty,
        /// Destination predicate.
        d: usize,
        /// Left.
        a: Src,
        /// Right.
        b: Src,
    },
    /// `selp`: `d = p ? a : b`.
    Selp {
        /// Destination.
        d: usize,
        /// Chosen where `p`.
        a: Src,
        /// Chosen elsewhere.
        b: Src,
        /// The predicate.
        p: usize,
    },
    /// `and.pred`, `or.pred`
    Pred {
        /// `and` (or `or`).
        and: bool,
        /// Destination.
        d: usize,
        /// Left.
        a: usize,
        /// Right.
        b: usize,
    },
    /// `ld.global`, `ld.shared`
    Ld {
        /// Space.
        space: Space,
        /// Type.
        ty: Ty,
        /// Destination.
        d: usize,
        /// Address register.
        base: usize,
        /// Byte offset.
        offset: i64,
    },
    /// `st.global`, `st.shared`
    St {
        /// Space.
        space: Space,
        /// Type.
        ty: Ty,
        /// Address register.
        base: usize,
        /// Byte offset.
        offset: i64,
        /// Value.
        value: Src,
    },
    /// `mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32`: a warp's
    /// `D = A·B + C` on 16 × 8 × 8 tiles, each thread holding its
    /// fragments in the registers named (see the interpreter's `mma`).
    Mma {
        /// `D`'s fragment: four `f32` registers.
        d: [usize; 4],
        /// `A`'s fragment: four `.b32` registers of TF32 values.
        a: [usize; 4],
        /// `B`'s fragment: two `.b32` registers of TF32 values.
        b: [usize; 2],
        /// `C`'s fragment: four `f32` registers.
        c: [usize; 4],
    },
    /// `bra`
    Bra {
        /// Instruction index.
        target: usize,
    },
    /// `bar.sync 0`
    Bar,
    /// `ret`
    Ret,
}

/// An instruction with its guard and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Instr {
    /// `@%p` (true) or `@!%p` (false).
    pub guard: Option<(usize, bool)>,
    /// The operation.
    pub op: Op,
    /// Line in the module, from 1.
    pub line: usize,
    /// The text, for messages.
    pub text: String,
}

/// A parsed kernel.
#[derive(Clone, Debug)]
pub struct Kernel {
    /// Its name.
    pub name: String,
    /// Parameter types, in order.
    pub params: Vec<(String, Ty)>,
    /// `.maxntid`, if declared.
    pub max_threads: Option<u32>,
    /// Register slots per thread.
    pub registers: usize,
    /// Bytes of shared memory.
    pub shared_bytes: usize,
    /// The code.
    pub code: Vec<Instr>,
}

/// A parse error: the line and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Line, from 1.
    pub line: usize,
    /// What.
    pub message: String,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

struct Scope {
    /// Register prefix to (first slot, count).
    regs: HashMap<String, (usize, usize)>,
    next_slot: usize,
    shared: HashMap<String, u64>,
    shared_bytes: usize,
    params: Vec<(String, Ty)>,
    labels: HashMap<String, usize>,
}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        message: message.into(),
    })
}

/// Parses a module and returns its kernels.
pub fn parse(text: &str) -> Result<Vec<Kernel>, ParseError> {
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("").trim().to_string()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let mut kernels = Vec::new();
    let mut i = 0;
    let mut header = (false, false, false);
    while i < lines.len() {
        let (n, line) = &lines[i];
        if let Some(v) = line.strip_prefix(".version ") {
            let (major, minor) = v.split_once('.').unwrap_or((v, "0"));
            let ok = major.parse::<u32>().is_ok() && minor.parse::<u32>().is_ok();
            if !ok {
                return err(*n, format!("bad version `{v}`"));
            }
            header.0 = true;
            i += 1;
        } else if let Some(t) = line.strip_prefix(".target ") {
            if !t.starts_with("sm_") {
                return err(*n, format!("unknown target `{t}`"));
            }
            header.1 = true;
            i += 1;
        } else if line == ".address_size 64" {
            header.2 = true;
            i += 1;
        } else if let Some(rest) = line.strip_prefix(".visible .entry ") {
            if header != (true, true, true) {
                return err(*n, "an entry before .version, .target and .address_size 64");
            }
            let name = rest.trim_end_matches('(').trim().to_string();
            let (kernel, next) = parse_entry(&lines, i + 1, name)?;
            kernels.push(kernel);
            i = next;
        } else {
            return err(*n, format!("unknown directive `{line}`"));
        }
    }
    Ok(kernels)
}

fn parse_entry(
    lines: &[(usize, String)],
    mut i: usize,
    name: String,
) -> Result<(Kernel, usize), ParseError> {
    let mut scope = Scope {
        regs: HashMap::new(),
        next_slot: 0,
        shared: HashMap::new(),
        shared_bytes: 0,
        params: Vec::new(),
        labels: HashMap::new(),
    };
    // Parameters, up to `)`.
    while i < lines.len() && lines[i].1 != ")" {
        let (n, l) = &lines[i];
        let l = l.trim_end_matches(',');
        let parts: Vec<&str> = l.split_whitespace().collect();
        match parts.as_slice() {
            [".param", ty, pname] => {
                let ty = ty
                    .strip_prefix('.')
                    .and_then(Ty::parse)
                    .ok_or_else(|| ParseError {
                        line: *n,
                        message: format!("unknown parameter type `{ty}`"),
                    })?;
                scope.params.push((pname.to_string(), ty));
            }
            _ => return err(*n, format!("bad parameter `{l}`")),
        }
        i += 1;
    }
    i += 1;
    let mut max_threads = None;
    if let Some((n, l)) = lines.get(i)
        && let Some(rest) = l.strip_prefix(".maxntid ")
    {
        let x = rest.split(',').next().unwrap_or("").trim();
        max_threads = Some(x.parse().map_err(|_| ParseError {
            line: *n,
            message: format!("bad .maxntid `{rest}`"),
        })?);
        i += 1;
    }
    match lines.get(i) {
        Some((_, l)) if l == "{" => i += 1,
        Some((n, l)) => return err(*n, format!("expected `{{`, found `{l}`")),
        None => return err(0, "the module ends inside an entry"),
    }
    // Declarations, then the body up to `}`; labels first, to resolve
    // branches forward.
    let start = i;
    let mut index = 0;
    let mut end = None;
    for (j, (n, l)) in lines.iter().enumerate().skip(start) {
        if l == "}" {
            end = Some(j);
            break;
        }
        if let Some(label) = l.strip_suffix(':') {
            if scope.labels.insert(label.to_string(), index).is_some() {
                return err(*n, format!("label `{label}` placed twice"));
            }
        } else if !l.starts_with('.') {
            index += 1;
        }
    }
    let end = end.ok_or(ParseError {
        line: lines.last().map_or(0, |l| l.0),
        message: "the module ends inside an entry".into(),
    })?;
    let mut code = Vec::new();
    for (n, l) in &lines[start..end] {
        if l.ends_with(':') {
            continue;
        }
        if let Some(decl) = l.strip_prefix(".reg ") {
            declare_regs(&mut scope, *n, decl)?;
        } else if let Some(decl) = l.strip_prefix(".shared ") {
            declare_shared(&mut scope, *n, decl)?;
        } else if l.starts_with('.') {
            return err(*n, format!("unknown directive `{l}`"));
        } else {
            code.push(instruction(&scope, *n, l)?);
        }
    }
    Ok((
        Kernel {
            name,
            params: scope.params,
            max_threads,
            registers: scope.next_slot,
            shared_bytes: scope.shared_bytes,
            code,
        },
        end + 1,
    ))
}

fn declare_regs(scope: &mut Scope, n: usize, decl: &str) -> Result<(), ParseError> {
    // `.b32 %r<12>;`
    let decl = decl.trim_end_matches(';');
    let mut parts = decl.split_whitespace();
    let (Some(ty), Some(regs), None) = (parts.next(), parts.next(), parts.next()) else {
        return err(n, format!("bad register declaration `{decl}`"));
    };
    if !matches!(ty, ".pred" | ".b32" | ".b64" | ".f32" | ".f64") {
        return err(n, format!("unknown register type `{ty}`"));
    }
    let (prefix, count) = regs
        .strip_suffix('>')
        .and_then(|r| r.split_once('<'))
        .and_then(|(p, c)| Some((p, c.parse::<usize>().ok()?)))
        .ok_or(ParseError {
            line: n,
            message: format!("bad register list `{regs}`"),
        })?;
    if scope
        .regs
        .insert(prefix.to_string(), (scope.next_slot, count))
        .is_some()
    {
        return err(n, format!("registers `{prefix}` declared twice"));
    }
    scope.next_slot += count;
    Ok(())
}

fn declare_shared(scope: &mut Scope, n: usize, decl: &str) -> Result<(), ParseError> {
    // `.align 16 .b8 smem0[1024];`
    let decl = decl.trim_end_matches(';');
    let parts: Vec<&str> = decl.split_whitespace().collect();
    let [".align", align, ".b8", array] = parts.as_slice() else {
        return err(n, format!("bad shared declaration `{decl}`"));
    };
    let align: usize = align.parse().map_err(|_| ParseError {
        line: n,
        message: format!("bad alignment `{align}`"),
    })?;
    let (name, bytes) = array
        .strip_suffix(']')
        .and_then(|a| a.split_once('['))
        .and_then(|(name, b)| Some((name, b.parse::<usize>().ok()?)))
        .ok_or(ParseError {
            line: n,
            message: format!("bad shared array `{array}`"),
        })?;
    let offset = scope.shared_bytes.next_multiple_of(align.max(1));
    scope.shared.insert(name.to_string(), offset as u64);
    scope.shared_bytes = offset + bytes;
    Ok(())
}

fn reg(scope: &Scope, n: usize, text: &str) -> Result<usize, ParseError> {
    let digits = text.trim_start_matches(|c: char| !c.is_ascii_digit());
    let prefix = &text[..text.len() - digits.len()];
    let index: usize = digits.parse().map_err(|_| ParseError {
        line: n,
        message: format!("`{text}` is not a register"),
    })?;
    match scope.regs.get(prefix) {
        Some(&(first, count)) if index < count => Ok(first + index),
        Some(&(_, count)) => err(
            n,
            format!("`{text}`: only {count} `{prefix}` registers declared"),
        ),
        None => err(n, format!("`{text}`: no `{prefix}` registers declared")),
    }
}

fn special(text: &str) -> Option<Special> {
    let (name, axis) = text.split_once('.')?;
    let axis = match axis {
        "x" => 0,
        "y" => 1,
        "z" => 2,
        _ => return None,
    };
    Some(match name {
        "%tid" => Special::Tid(axis),
        "%ntid" => Special::Ntid(axis),
        "%ctaid" => Special::Ctaid(axis),
        "%nctaid" => Special::Nctaid(axis),
        _ => return None,
    })
}

fn src(scope: &Scope, n: usize, text: &str, ty: Ty) -> Result<Src, ParseError> {
    if let Some(s) = special(text) {
        return Ok(Src::Special(s));
    }
    if text.starts_with('%') {
        return reg(scope, n, text).map(Src::Reg);
    }
    if let Some(&offset) = scope.shared.get(text) {
        return Ok(Src::Imm(offset));
    }
    let bad = || ParseError {
        line: n,
        message: format!("bad {ty:?} operand `{text}`"),
    };
    if let Some(hex) = text.strip_prefix("0f") {
        if ty != Ty::F32 || hex.len() != 8 {
            return Err(bad());
        }
        return u64::from_str_radix(hex, 16)
            .map(Src::Imm)
            .map_err(|_| bad());
    }
    if let Some(hex) = text.strip_prefix("0d") {
        if ty != Ty::F64 || hex.len() != 16 {
            return Err(bad());
        }
        return u64::from_str_radix(hex, 16)
            .map(Src::Imm)
            .map_err(|_| bad());
    }
    if ty.is_float() {
        return Err(bad());
    }
    let v: i128 = text.parse().map_err(|_| bad())?;
    let fits = match ty {
        Ty::U32 | Ty::S32 => (i128::from(i32::MIN)..=i128::from(u32::MAX)).contains(&v),
        _ => (i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&v),
    };
    if !fits {
        return Err(bad());
    }
    let bits = v as u64;
    Ok(Src::Imm(if ty.bytes() == 4 {
        bits & 0xFFFF_FFFF
    } else {
        bits
    }))
}

fn address(scope: &Scope, n: usize, text: &str) -> Result<(usize, i64), ParseError> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or(ParseError {
            line: n,
            message: format!("`{text}` is not an address"),
        })?;
    let split = inner[1..].find(['+', '-']).map(|p| p + 1);
    let (base, offset) = match split {
        Some(p) => (&inner[..p], &inner[p..]),
        None => (inner, "+0"),
    };
    let offset: i64 = offset
        .trim_start_matches('+')
        .parse()
        .map_err(|_| ParseError {
            line: n,
            message: format!("bad offset in `{text}`"),
        })?;
    Ok((reg(scope, n, base)?, offset))
}

fn instruction(scope: &Scope, n: usize, line: &str) -> Result<Instr, ParseError> {
    let text = line.trim_end_matches(';').trim();
    if !line.ends_with(';') {
        return err(n, format!("`{line}` does not end with `;`"));
    }
    let (guard, body) = match text.strip_prefix('@') {
        Some(rest) => {
            let (p, body) = rest.split_once(' ').ok_or(ParseError {
                line: n,
                message: format!("a guard without an instruction: `{line}`"),
            })?;
            let (negate, p) = match p.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, p),
            };
            (Some((reg(scope, n, p)?, !negate)), body.trim())
        }
        None => (None, text),
    };
    let (opcode, operands) = body.split_once(' ').unwrap_or((body, ""));
    let ops: Vec<&str> = if operands.trim().is_empty() {
        Vec::new()
    } else {
        operands.split(',').map(str::trim).collect()
    };
    let op = decode(scope, n, opcode, &ops)?;
    Ok(Instr {
        guard,
        op,
        line: n,
        text: text.to_string(),
    })
}

fn decode(scope: &Scope, n: usize, opcode: &str, ops: &[&str]) -> Result<Op, ParseError> {
    let parts: Vec<&str> = opcode.split('.').collect();
    let unknown = || ParseError {
        line: n,
        message: format!("unknown instruction `{opcode}`"),
    };
    let arity = |k: usize| -> Result<(), ParseError> {
        if ops.len() == k {
            Ok(())
        } else {
            err(
                n,
                format!("`{opcode}` takes {k} operands, found {}", ops.len()),
            )
        }
    };
    let ty_at = |i: usize| {
        parts
            .get(i)
            .copied()
            .and_then(Ty::parse)
            .ok_or_else(unknown)
    };
    let d = |i: usize| reg(scope, n, ops[i]);
    let s = |i: usize, ty: Ty| src(scope, n, ops[i], ty);
    Ok(match parts.as_slice() {
        ["ld", "param", ty] => {
            arity(2)?;
            Ty::parse(ty).ok_or_else(unknown)?;
            let name = ops[1].trim_start_matches('[').trim_end_matches(']');
            let param = scope
                .params
                .iter()
                .position(|(p, _)| p == name)
                .ok_or(ParseError {
                    line: n,
                    message: format!("no parameter `{name}`"),
                })?;
            Op::LdParam { d: d(0)?, param }
        }
        ["ld", space @ ("global" | "shared"), _] | ["st", space @ ("global" | "shared"), _] => {
            arity(2)?;
            let ty = ty_at(2)?;
            let space = if *space == "global" {
                Space::Global
            } else {
                Space::Shared
            };
            if parts[0] == "ld" {
                let (base, offset) = address(scope, n, ops[1])?;
                Op::Ld {
                    space,
                    ty,
                    d: d(0)?,
                    base,
                    offset,
                }
            } else {
                let (base, offset) = address(scope, n, ops[0])?;
                Op::St {
                    space,
                    ty,
                    base,
                    offset,
                    value: s(1, ty)?,
                }
            }
        }
        ["cvta", "to", "global", "u64"] => {
            arity(2)?;
            Op::Mov {
                d: d(0)?,
                a: s(1, Ty::U64)?,
                ty: Ty::U64,
            }
        }
        ["mov", _] => {
            arity(2)?;
            let ty = ty_at(1)?;
            Op::Mov {
                d: d(0)?,
                a: s(1, ty)?,
                ty,
            }
        }
        [name, rest @ ..] if binary(name, rest).is_some() => {
            arity(3)?;
            let (op, ty) = binary(name, rest).ok_or_else(unknown)?;
            let b_ty = if matches!(op, Bin::Shl | Bin::Shr) {
                Ty::U32
            } else {
                ty
            };
            Op::Bin {
                op,
                ty,
                d: d(0)?,
                a: s(1, ty)?,
                b: s(2, b_ty)?,
            }
        }
        ["fma", "rn", ty @ ("f32" | "f64")] | ["mad", "lo", ty @ ("u32" | "s32" | "u64")] => {
            arity(4)?;
            let ty = Ty::parse(ty).ok_or_else(unknown)?;
            Op::Fma {
                ty,
                d: d(0)?,
                a: s(1, ty)?,
                b: s(2, ty)?,
                c: s(3, ty)?,
            }
        }
        [name, rest @ ..] if unary(name, rest).is_some() => {
            arity(2)?;
            let (op, ty) = unary(name, rest).ok_or_else(unknown)?;
            Op::Un {
                op,
                ty,
                d: d(0)?,
                a: s(1, ty)?,
            }
        }
        ["mul", "wide", "u32"] => {
            arity(3)?;
            Op::MulWide {
                d: d(0)?,
                a: s(1, Ty::U32)?,
                b: s(2, Ty::U32)?,
            }
        }
        ["cvt", rest @ ..] => {
            arity(2)?;
            let (kind, to, from) = match rest {
                ["rni", a, b] if a == b && matches!(*a, "f32" | "f64") => {
                    (Cvt::RoundInt, ty_at(2)?, ty_at(3)?)
                }
                ["rmi", a, b] if a == b && matches!(*a, "f32" | "f64") => {
                    (Cvt::Floor, ty_at(2)?, ty_at(3)?)
                }
                ["f64", "f32"] => (Cvt::Float, Ty::F64, Ty::F32),
                ["rn", "f32", "f64"] => (Cvt::Float, Ty::F32, Ty::F64),
                ["rzi", "s32", f @ ("f32" | "f64")] => {
                    (Cvt::TruncToInt, Ty::S32, Ty::parse(f).ok_or_else(unknown)?)
                }
                ["rn", f @ ("f32" | "f64"), i @ ("u32" | "s32")] => (
                    Cvt::IntToFloat,
                    Ty::parse(f).ok_or_else(unknown)?,
                    Ty::parse(i).ok_or_else(unknown)?,
                ),
                ["u64", "u32"] => (Cvt::Int, Ty::U64, Ty::U32),
                ["u32", "u64"] => (Cvt::Int, Ty::U32, Ty::U64),
                ["rna", "tf32", "f32"] => (Cvt::Tf32, Ty::U32, Ty::F32),
                _ => return Err(unknown()),
            };
            Op::Cvt {
                kind,
                to,
                from,
                d: d(0)?,
                a: s(1, from)?,
            }
        }
        ["setp", cmp, ty] => {
            arity(3)?;
            let ty = Ty::parse(ty).ok_or_else(unknown)?;
            let cmp = match *cmp {
                "eq" => Cmp::Eq,
                "ne" => Cmp::Ne,
                "lt" => Cmp::Lt,
                "le" => Cmp::Le,
                "gt" => Cmp::Gt,
                "ge" => Cmp::Ge,
                "nan" if ty.is_float() => Cmp::Nan,
                _ => return Err(unknown()),
            };
            if matches!(ty, Ty::U64 | Ty::S64) {
                return Err(unknown());
            }
            Op::Setp {
                cmp,
                ty,
                d: d(0)?,
                a: s(1, ty)?,
                b: s(2, ty)?,
            }
        }
        ["selp", ty @ ("b32" | "b64" | "f32" | "f64")] => {
            arity(4)?;
            let ty = Ty::parse(ty).ok_or_else(unknown)?;
            Op::Selp {
                d: d(0)?,
                a: s(1, ty)?,
                b: s(2, ty)?,
                p: d(3)?,
            }
        }
        [which @ ("and" | "or"), "pred"] => {
            arity(3)?;
            Op::Pred {
                and: *which == "and",
                d: d(0)?,
                a: d(1)?,
                b: d(2)?,
            }
        }
        ["bra"] | ["bra", "uni"] => {
            arity(1)?;
            let target = *scope.labels.get(ops[0]).ok_or(ParseError {
                line: n,
                message: format!("no label `{}`", ops[0]),
            })?;
            Op::Bra { target }
        }
        [
            "mma",
            "sync",
            "aligned",
            "m16n8k8",
            "row",
            "col",
            "f32",
            "tf32",
            "tf32",
            "f32",
        ] => mma(scope, n, ops)?,
        ["bar", "sync"] => {
            arity(1)?;
            if ops[0] != "0" {
                return err(n, "only barrier 0 is known");
            }
            Op::Bar
        }
        ["ret"] => {
            arity(0)?;
            Op::Ret
        }
        _ => return Err(unknown()),
    })
}

/// The operands of `mma`: four vectors of registers in braces, of 4, 4, 2
/// and 4 registers (`{%f1, %f2, %f3, %f4}, {%r1, ...}, ...`), which the
/// operand list holds split at every comma.
fn mma(scope: &Scope, n: usize, ops: &[&str]) -> Result<Op, ParseError> {
    let bad = || ParseError {
        line: n,
        message: "`mma` takes vectors of 4, 4, 2 and 4 registers: {d}, {a}, {b}, {c}".into(),
    };
    let mut vectors: Vec<Vec<usize>> = Vec::new();
    let mut open = false;
    for op in ops {
        let mut name = *op;
        if let Some(rest) = name.strip_prefix('{') {
            if open {
                return Err(bad());
            }
            open = true;
            vectors.push(Vec::new());
            name = rest.trim();
        }
        let close = name.ends_with('}');
        let name = name.trim_end_matches('}').trim();
        if !open {
            return Err(bad());
        }
        vectors
            .last_mut()
            .expect("a vector is open")
            .push(reg(scope, n, name)?);
        if close {
            open = false;
        }
    }
    let lens: Vec<usize> = vectors.iter().map(Vec::len).collect();
    if open || lens != [4, 4, 2, 4] {
        return Err(bad());
    }
    let four = |v: &[usize]| [v[0], v[1], v[2], v[3]];
    Ok(Op::Mma {
        d: four(&vectors[0]),
        a: four(&vectors[1]),
        b: [vectors[2][0], vectors[2][1]],
        c: four(&vectors[3]),
    })
}

/// `add.f32`, `mul.lo.u32`, `shl.b32`, ... and their types.
fn binary(name: &str, rest: &[&str]) -> Option<(Bin, Ty)> {
    let int = |t: &str| matches!(t, "u32" | "s32" | "u64" | "s64");
    let float = |t: &str| matches!(t, "f32" | "f64");
    let (op, ty) = match (name, rest) {
        ("add", [t]) if int(t) => (Bin::Add, *t),
        ("sub", [t]) if int(t) => (Bin::Sub, *t),
        ("add", ["rn", t]) if float(t) => (Bin::Add, *t),
        ("sub", ["rn", t]) if float(t) => (Bin::Sub, *t),
        ("mul", ["lo", t]) if int(t) => (Bin::Mul, *t),
        ("mul", ["rn", t]) if float(t) => (Bin::Mul, *t),
        ("div", [t]) if matches!(*t, "u32" | "s32") => (Bin::Div, *t),
        ("div", ["rn", t]) if float(t) => (Bin::Div, *t),
        ("rem", [t]) if matches!(*t, "u32" | "s32") => (Bin::Rem, *t),
        ("min", [t]) if matches!(*t, "u32" | "s32") => (Bin::Min, *t),
        ("max", [t]) if matches!(*t, "u32" | "s32") => (Bin::Max, *t),
        ("and", [t]) if matches!(*t, "b32" | "b64") => (Bin::And, *t),
        ("or", [t]) if matches!(*t, "b32" | "b64") => (Bin::Or, *t),
        ("shl", [t]) if matches!(*t, "b32" | "b64") => (Bin::Shl, *t),
        ("shr", [t]) if int(t) => (Bin::Shr, *t),
        ("copysign", [t]) if float(t) => (Bin::Copysign, *t),
        _ => return None,
    };
    Some((op, Ty::parse(ty)?))
}

/// `neg.f32`, `sqrt.rn.f64`, ... and their types.
fn unary(name: &str, rest: &[&str]) -> Option<(Un, Ty)> {
    let float = |t: &str| matches!(t, "f32" | "f64");
    let (op, ty) = match (name, rest) {
        ("neg", [t]) if float(t) || matches!(*t, "s32" | "s64") => (Un::Neg, *t),
        ("abs", [t]) if float(t) => (Un::Abs, *t),
        ("sqrt", ["rn", t]) if float(t) => (Un::Sqrt, *t),
        ("rcp", ["rn", t]) if float(t) => (Un::Rcp, *t),
        _ => return None,
    };
    Some((op, Ty::parse(ty)?))
}
