//! The types of PTX values: each a zero-sized marker that names its PTX
//! type, its register class and how an immediate of it is written.

use core::fmt::{self, Debug};
use core::marker::PhantomData;

/// A class of virtual registers, declared together (`.reg .f32 %f<12>;`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegClass {
    /// `.pred %p`
    Pred,
    /// `.b32 %r`, for 32-bit integers and bit patterns.
    B32,
    /// `.b64 %rd`, for 64-bit integers and addresses.
    B64,
    /// `.f32 %f`
    F32,
    /// `.f64 %fd`
    F64,
}

impl RegClass {
    /// Every class, in declaration order.
    pub const ALL: [RegClass; 5] = [
        RegClass::Pred,
        RegClass::B32,
        RegClass::B64,
        RegClass::F32,
        RegClass::F64,
    ];

    /// The name the class's registers start with.
    pub fn prefix(self) -> &'static str {
        match self {
            RegClass::Pred => "%p",
            RegClass::B32 => "%r",
            RegClass::B64 => "%rd",
            RegClass::F32 => "%f",
            RegClass::F64 => "%fd",
        }
    }

    /// The PTX type the class is declared with.
    pub fn decl(self) -> &'static str {
        match self {
            RegClass::Pred => ".pred",
            RegClass::B32 => ".b32",
            RegClass::B64 => ".b64",
            RegClass::F32 => ".f32",
            RegClass::F64 => ".f64",
        }
    }
}

/// A PTX type: `u32`, `s32`, `u64`, `s64`, `f32`, `f64` or `pred`.
pub trait Type: Copy + Debug + Default + Send + Sync + 'static {
    /// The type's name in an instruction (`add.f32`).
    const NAME: &'static str;
    /// Where a register of the type lives.
    const CLASS: RegClass;
    /// Its size in bytes (predicates: 0, they are never stored).
    const BYTES: u32;

    /// An immediate of the type, written as PTX writes it.
    fn immediate(bits: u64) -> String;
}

/// A type with arithmetic: `add`, `sub`, `min`, `max`, comparisons.
pub trait Num: Type {}

/// An integer type.
pub trait Int: Num {
    /// The immediate of a value.
    fn int(value: i64) -> Operand<Self> {
        Operand::Imm(value as u64, PhantomData)
    }
}

/// A floating-point type: `f32` or `f64`.
pub trait Float: Num {
    /// The unsigned integer type of the same width (for bit patterns).
    type Bits: Int;
    /// Whether it is `f64`.
    const DOUBLE: bool;
    /// Bits of the significand without the hidden bit.
    const MANTISSA: u32;
    /// The exponent bias.
    const BIAS: i64;

    /// The immediate of a constant, rounded to the type.
    fn lit(value: f64) -> Operand<Self>;
}

macro_rules! types {
    ($($(#[$doc:meta])* $T:ident $name:literal $class:ident $bytes:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $T;

        impl Type for $T {
            const NAME: &'static str = $name;
            const CLASS: RegClass = RegClass::$class;
            const BYTES: u32 = $bytes;

            fn immediate(bits: u64) -> String {
                $T::format(bits)
            }
        }
    )*};
}

types! {
    /// `.u32`
    U32 "u32" B32 4;
    /// `.s32`
    S32 "s32" B32 4;
    /// `.u64`
    U64 "u64" B64 8;
    /// `.s64`
    S64 "s64" B64 8;
    /// `.f32`
    F32 "f32" F32 4;
    /// `.f64`
    F64 "f64" F64 8;
    /// `.pred`
    Pred "pred" Pred 0;
}

impl U32 {
    fn format(bits: u64) -> String {
        (bits as u32).to_string()
    }
}

impl S32 {
    fn format(bits: u64) -> String {
        (bits as i32).to_string()
    }
}

impl U64 {
    fn format(bits: u64) -> String {
        bits.to_string()
    }
}

impl S64 {
    fn format(bits: u64) -> String {
        (bits as i64).to_string()
    }
}

impl F32 {
    fn format(bits: u64) -> String {
        format!("0f{:08X}", bits as u32)
    }
}

impl F64 {
    fn format(bits: u64) -> String {
        format!("0d{bits:016X}")
    }
}

impl Pred {
    fn format(bits: u64) -> String {
        unreachable!("a predicate has no immediate (bits {bits})")
    }
}

impl Num for U32 {}
impl Num for S32 {}
impl Num for U64 {}
impl Num for S64 {}
impl Num for F32 {}
impl Num for F64 {}
impl Int for U32 {}
impl Int for S32 {}
impl Int for U64 {}
impl Int for S64 {}

impl Float for F32 {
    type Bits = U32;
    const DOUBLE: bool = false;
    const MANTISSA: u32 = 23;
    const BIAS: i64 = 127;

    fn lit(value: f64) -> Operand<F32> {
        Operand::Imm(u64::from((value as f32).to_bits()), PhantomData)
    }
}

impl Float for F64 {
    type Bits = U64;
    const DOUBLE: bool = true;
    const MANTISSA: u32 = 52;
    const BIAS: i64 = 1023;

    fn lit(value: f64) -> Operand<F64> {
        Operand::Imm(value.to_bits(), PhantomData)
    }
}

/// A virtual register holding a `T`; ptxas allocates the real ones.
pub struct Reg<T> {
    pub(crate) index: u32,
    pub(crate) class: RegClass,
    pub(crate) _type: PhantomData<T>,
}

impl<T> Clone for Reg<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Reg<T> {}

impl<T> PartialEq for Reg<T> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index && self.class == other.class
    }
}

impl<T> Eq for Reg<T> {}

impl<T> Debug for Reg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.class.prefix(), self.index)
    }
}

impl<T> fmt::Display for Reg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Debug::fmt(self, f)
    }
}

impl<T: Type> Reg<T> {
    /// The same register read as another type of its class (`u32` as
    /// `s32`): no instruction, PTX allows it between types of one size.
    pub fn cast<U: Type>(self) -> Reg<U> {
        assert_eq!(
            T::CLASS,
            U::CLASS,
            "a {} register cannot be read as {}",
            T::NAME,
            U::NAME
        );
        Reg {
            index: self.index,
            class: self.class,
            _type: PhantomData,
        }
    }
}

/// What an instruction reads: a register or an immediate.
pub enum Operand<T> {
    /// A register.
    Reg(Reg<T>),
    /// An immediate's bits, written by [`Type::immediate`].
    Imm(u64, PhantomData<T>),
}

impl<T> Clone for Operand<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Operand<T> {}

impl<T: Type> Operand<T> {
    /// The same operand read as another type of its register class.
    pub fn cast<U: Type>(self) -> Operand<U> {
        match self {
            Operand::Reg(r) => Operand::Reg(r.cast()),
            Operand::Imm(bits, _) => {
                assert_eq!(T::CLASS, U::CLASS, "an immediate cannot change its class");
                Operand::Imm(bits, PhantomData)
            }
        }
    }
}

impl<T: Type> fmt::Display for Operand<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Reg(r) => write!(f, "{r}"),
            Operand::Imm(bits, _) => f.write_str(&T::immediate(*bits)),
        }
    }
}

impl<T: Type> Debug for Operand<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl<T> From<Reg<T>> for Operand<T> {
    fn from(r: Reg<T>) -> Self {
        Operand::Reg(r)
    }
}

impl From<u32> for Operand<U32> {
    fn from(v: u32) -> Self {
        Operand::Imm(u64::from(v), PhantomData)
    }
}

impl From<i32> for Operand<S32> {
    fn from(v: i32) -> Self {
        Operand::Imm(v as u32 as u64, PhantomData)
    }
}

impl From<u64> for Operand<U64> {
    fn from(v: u64) -> Self {
        Operand::Imm(v, PhantomData)
    }
}

impl From<i64> for Operand<S64> {
    fn from(v: i64) -> Self {
        Operand::Imm(v as u64, PhantomData)
    }
}

impl From<f32> for Operand<F32> {
    fn from(v: f32) -> Self {
        Operand::Imm(u64::from(v.to_bits()), PhantomData)
    }
}

impl From<f64> for Operand<F64> {
    fn from(v: f64) -> Self {
        Operand::Imm(v.to_bits(), PhantomData)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediates_are_written_as_ptx_writes_them() {
        assert_eq!(Operand::<F32>::from(1.0f32).to_string(), "0f3F800000");
        assert_eq!(
            Operand::<F64>::from(-2.0f64).to_string(),
            "0dC000000000000000"
        );
        assert_eq!(Operand::<S32>::from(-7).to_string(), "-7");
        assert_eq!(Operand::<U32>::from(7u32).to_string(), "7");
        assert_eq!(F32::lit(0.1).to_string(), "0f3DCCCCCD");
    }
}
