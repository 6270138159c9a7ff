//! The elementwise table, evaluated on registers: a number whose arithmetic
//! writes PTX.
//!
//! Core's table writes each operation once, for any number that implements
//! [`Math`]. [`Sym`] implements it by appending instructions to the kernel
//! being written, so `Tanh::apply(Sym(x))` *is* the GPU code of `tanh`,
//! from the same line of the table as the CPU's. The derivative comes the
//! way it does on the CPU: [`Fwd`] is a dual number over `Sym`, and the
//! table evaluated on it gives the value and the slope in one pass, from
//! the same rules as num-dual's `Dual` (the derivative of each primitive,
//! chained), so that both devices differentiate the same formula.
//!
//! A `select` computes both branches and picks one (`selp`), as the
//! table's documentation allows; comparisons are ordered, so NaN takes the
//! same branch as on the CPU.

use super::builder::{Cmp, Kernel};
use super::math;
use super::types::{Float, Operand, Pred, Reg};
use core::cell::RefCell;
use core::ops::{Add, Div, Mul, Neg, Sub};
use typeflux_core::Math;

thread_local! {
    static ACTIVE: RefCell<Option<Kernel>> = const { RefCell::new(None) };
}

/// Runs `f` with `kernel` as the one [`Sym`] arithmetic writes to.
///
/// # Panics
/// When called inside another `trace` on the same thread.
pub fn trace<R>(kernel: &mut Kernel, f: impl FnOnce() -> R) -> R {
    let taken = core::mem::take(kernel);
    ACTIVE.with(|active| {
        let previous = active.borrow_mut().replace(taken);
        assert!(
            previous.is_none(),
            "traces of the elementwise table do not nest"
        );
    });
    let out = f();
    *kernel = ACTIVE
        .with(|active| active.borrow_mut().take())
        .expect("the kernel is returned where it was taken");
    out
}

fn with<R>(f: impl FnOnce(&mut Kernel) -> R) -> R {
    ACTIVE.with(|active| {
        let mut active = active.borrow_mut();
        f(active.as_mut().expect("Sym arithmetic runs inside `trace`"))
    })
}

/// A value of type `T` in the kernel being traced: a register or a constant.
pub struct Sym<T>(pub Operand<T>);

impl<T> Clone for Sym<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Sym<T> {}

impl<T> From<Reg<T>> for Sym<T> {
    fn from(r: Reg<T>) -> Self {
        Sym(Operand::Reg(r))
    }
}

impl<T: Float> Sym<T> {
    /// The register holding the value (a constant is moved into one).
    pub fn reg(self) -> Reg<T> {
        match self.0 {
            Operand::Reg(r) => r,
            imm => with(|k| k.mov(imm)),
        }
    }
}

/// A comparison's result in the kernel being traced.
#[derive(Clone, Copy)]
pub struct SymBool(Reg<Pred>);

macro_rules! binary {
    ($Trait:ident $method:ident) => {
        impl<T: Float> $Trait for Sym<T> {
            type Output = Sym<T>;
            fn $method(self, rhs: Self) -> Sym<T> {
                with(|k| k.$method(self.0, rhs.0)).into()
            }
        }
    };
}

binary!(Add add);
binary!(Sub sub);
binary!(Mul mul);
binary!(Div div);

impl<T: Float> Neg for Sym<T> {
    type Output = Sym<T>;
    fn neg(self) -> Sym<T> {
        with(|k| k.neg(self.0)).into()
    }
}

impl<T: Float> Sym<T> {
    fn compare(self, cmp: Cmp, rhs: Self) -> SymBool {
        SymBool(with(|k| k.setp(cmp, self.0, rhs.0)))
    }

    fn call(self, f: fn(&mut Kernel, Operand<T>) -> Reg<T>) -> Self {
        with(|k| f(k, self.0)).into()
    }
}

impl<T: Float> Math for Sym<T> {
    type Bool = SymBool;

    fn lit(x: f64) -> Self {
        Sym(T::lit(x))
    }
    fn lt(self, rhs: Self) -> SymBool {
        self.compare(Cmp::Lt, rhs)
    }
    fn gt(self, rhs: Self) -> SymBool {
        self.compare(Cmp::Gt, rhs)
    }
    fn le(self, rhs: Self) -> SymBool {
        self.compare(Cmp::Le, rhs)
    }
    fn select(
        cond: SymBool,
        then: impl FnOnce() -> Self,
        otherwise: impl FnOnce() -> Self,
    ) -> Self {
        let (a, b) = (then(), otherwise());
        with(|k| k.selp(cond.0, a.0, b.0)).into()
    }
    fn exp(self) -> Self {
        self.call(math::exp)
    }
    fn exp_m1(self) -> Self {
        self.call(math::exp_m1)
    }
    fn ln(self) -> Self {
        self.call(math::ln)
    }
    fn ln_1p(self) -> Self {
        self.call(math::ln_1p)
    }
    fn sqrt(self) -> Self {
        self.call(|k, x| k.sqrt(x))
    }
    fn recip(self) -> Self {
        self.call(|k, x| k.rcp(x))
    }
    fn tanh(self) -> Self {
        self.call(math::tanh)
    }
    fn sin(self) -> Self {
        self.call(math::sin)
    }
    fn cos(self) -> Self {
        self.call(math::cos)
    }
    fn atan(self) -> Self {
        self.call(math::atan)
    }
}

/// A dual number `re + eps·ε`, `ε² = 0`: the value and the derivative
/// carried through a formula together, by num-dual's rules.
#[derive(Clone, Copy)]
pub struct Fwd<X> {
    /// The value.
    pub re: X,
    /// The derivative.
    pub eps: X,
}

impl<X: Math> Fwd<X> {
    /// The variable at `x`: derivative 1.
    pub fn variable(x: X) -> Self {
        Fwd {
            re: x,
            eps: X::lit(1.0),
        }
    }

    fn chain(self, value: X, slope: X) -> Self {
        Fwd {
            re: value,
            eps: self.eps * slope,
        }
    }
}

impl<X: Math> Add for Fwd<X> {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Fwd {
            re: self.re + rhs.re,
            eps: self.eps + rhs.eps,
        }
    }
}

impl<X: Math> Sub for Fwd<X> {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        Fwd {
            re: self.re - rhs.re,
            eps: self.eps - rhs.eps,
        }
    }
}

impl<X: Math> Mul for Fwd<X> {
    type Output = Self;
    fn mul(self, rhs: Self) -> Self {
        Fwd {
            re: self.re * rhs.re,
            eps: self.eps * rhs.re + self.re * rhs.eps,
        }
    }
}

impl<X: Math> Div for Fwd<X> {
    type Output = Self;
    fn div(self, rhs: Self) -> Self {
        let inv = rhs.re.recip();
        Fwd {
            re: self.re * inv,
            eps: (self.eps * rhs.re - self.re * rhs.eps) * inv * inv,
        }
    }
}

impl<X: Math> Neg for Fwd<X> {
    type Output = Self;
    fn neg(self) -> Self {
        Fwd {
            re: -self.re,
            eps: -self.eps,
        }
    }
}

impl<X: Math> Math for Fwd<X> {
    type Bool = X::Bool;

    fn lit(x: f64) -> Self {
        Fwd {
            re: X::lit(x),
            eps: X::lit(0.0),
        }
    }
    fn lt(self, rhs: Self) -> X::Bool {
        self.re.lt(rhs.re)
    }
    fn gt(self, rhs: Self) -> X::Bool {
        self.re.gt(rhs.re)
    }
    fn le(self, rhs: Self) -> X::Bool {
        self.re.le(rhs.re)
    }
    fn select(
        cond: X::Bool,
        then: impl FnOnce() -> Self,
        otherwise: impl FnOnce() -> Self,
    ) -> Self {
        let (a, b) = (then(), otherwise());
        Fwd {
            re: X::select(cond, || a.re, || b.re),
            eps: X::select(cond, || a.eps, || b.eps),
        }
    }
    fn exp(self) -> Self {
        let e = self.re.exp();
        self.chain(e, e)
    }
    fn exp_m1(self) -> Self {
        let slope = self.re.exp();
        self.chain(self.re.exp_m1(), slope)
    }
    fn ln(self) -> Self {
        self.chain(self.re.ln(), self.re.recip())
    }
    fn ln_1p(self) -> Self {
        let slope = (X::lit(1.0) + self.re).recip();
        self.chain(self.re.ln_1p(), slope)
    }
    fn sqrt(self) -> Self {
        let s = self.re.sqrt();
        self.chain(s, s * self.re.recip() * X::lit(0.5))
    }
    fn recip(self) -> Self {
        let r = self.re.recip();
        self.chain(r, -(r * r))
    }
    /// As core's `Math::tanh` of a dual number: `(t + h) / (1 + t·h)` with
    /// `t = tanh(re)` and `h` the number less its real part (its real part
    /// 0), rounded as the CPU rounds it. At an infinite `re` that is ±1 with
    /// slope `1 - t² = 0`, as core's.
    fn tanh(self) -> Self {
        let t = self.re.tanh();
        let h = X::lit(0.0);
        let num = Fwd {
            re: t + h,
            eps: self.eps,
        };
        let den = Fwd {
            re: X::lit(1.0) + t * h,
            eps: X::lit(0.0) * h + self.eps * t,
        };
        num / den
    }
    fn sin(self) -> Self {
        self.chain(self.re.sin(), self.re.cos())
    }
    fn cos(self) -> Self {
        self.chain(self.re.cos(), -self.re.sin())
    }
    fn atan(self) -> Self {
        let slope = (X::lit(1.0) + self.re * self.re).recip();
        self.chain(self.re.atan(), slope)
    }
}
