//! Models printed as Flux shows them: `{}` on a layer gives its constructor
//! call (`Dense(10 => 5, sigmoid)`), and on a `Chain` one member per line,
//! each with its parameter count, and the totals.
//!
//! ```
//! use typeflux_nn::prelude::*;
//!
//! let model = Chain((Dense::<10, 5>::new(sigmoid), Dense::<5, 2>::new(identity), softmax));
//! assert_eq!(
//!     model.to_string(),
//!     "Chain(
//!   Dense(10 => 5, sigmoid),              # 55 parameters
//!   Dense(5 => 2),                        # 12 parameters
//!   softmax,
//! )                   # Total: 4 arrays, 67 parameters, 268 bytes."
//! );
//! ```
//!
//! A member that is a closure has no name to print, so a `Chain` holding
//! one has no `Display`; wrap it in [`Lambda`], which prints
//! as `Lambda(…)`.

use crate::batchnorm::BatchNorm;
use crate::chain::Chain;
use crate::dense::Dense;
use crate::dropout::Dropout;
use crate::embedding::Embedding;
use crate::layer::Lambda;
use crate::normalise::LayerNorm;
use crate::scale::Scale;
use core::fmt;
use typeflux_core::functor::{Functor, Path, Ref, Visitor, visit};
use typeflux_core::{Device, Element, Kernels, Shape, Tensor};

/// How many tensors, numbers and bytes a model's parameters take: what
/// Flux prints after a model (`# Total: 4 arrays, 67 parameters, 268
/// bytes.`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Tensors.
    pub arrays: usize,
    /// Their elements.
    pub parameters: usize,
    /// Their elements' bytes.
    pub bytes: usize,
}

/// The [`Summary`] of every trainable tensor of `model`, of any element
/// type (state kept but not trained, such as running statistics, is left
/// out).
///
/// ```
/// use typeflux_nn::prelude::*;
/// use typeflux_nn::show::summary;
///
/// let s = summary(&Dense::<3, 2, Identity, f64>::new(identity));
/// assert_eq!((s.arrays, s.parameters, s.bytes), (2, 8, 64));
/// ```
pub fn summary(model: &impl Functor) -> Summary {
    let mut count = Count(Summary::default());
    visit(model, &mut count);
    count.0
}

/// The visitor behind [`summary`].
struct Count(Summary);

impl Visitor for Count {
    type Access = Ref;

    fn tensor<S: Shape, E: Element, D: Kernels<E>>(&mut self, _: &Path, t: &Tensor<S, E, D>) {
        self.0.arrays += 1;
        self.0.parameters += t.len();
        self.0.bytes += t.len() * core::mem::size_of::<E>();
    }
}

/// `Dense(I => O, activation)`, with `; bias=false` for a layer without a
/// bias; the identity is not shown, as in Flux.
impl<const I: usize, const O: usize, A, E: Element, D: Device, W, B> fmt::Display
    for Dense<I, O, A, E, D, W, B>
where
    A: fmt::Display,
    B: Functor,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dense({I} => {O}")?;
        let activation = self.activation.to_string();
        if activation != "identity" {
            write!(f, ", {activation}")?;
        }
        if summary(&self.bias).arrays == 0 {
            f.write_str("; bias=false")?;
        }
        f.write_str(")")
    }
}

/// `Scale(N, activation)`, with `; bias=false` for a scale without a bias.
impl<const N: usize, A, E: Element, D: Device, S, B> fmt::Display for Scale<N, A, E, D, S, B>
where
    A: fmt::Display,
    B: Functor,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scale({N}")?;
        let activation = self.activation.to_string();
        if activation != "identity" {
            write!(f, ", {activation}")?;
        }
        if summary(&self.bias).arrays == 0 {
            f.write_str("; bias=false")?;
        }
        f.write_str(")")
    }
}

/// `LayerNorm(N)`, with the activation of its scale where it has one.
impl<const N: usize, L: fmt::Display> fmt::Display for LayerNorm<N, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let diag = self.diag.to_string();
        match diag.strip_prefix(&format!("Scale({N}")) {
            Some(rest) => write!(f, "LayerNorm({N}{rest}"),
            None => write!(f, "LayerNorm({N}; diag={diag})"),
        }
    }
}

/// `BatchNorm(N, activation)`.
impl<const N: usize, A: fmt::Display, E: Element, D: Device, G, B, M, V, Mo> fmt::Display
    for BatchNorm<N, A, E, D, G, B, M, V, Mo>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchNorm({N}")?;
        let activation = self.activation.to_string();
        if activation != "identity" {
            write!(f, ", {activation}")?;
        }
        f.write_str(")")
    }
}

/// `Dropout(p)`.
impl<M> fmt::Display for Dropout<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Dropout({})", self.p)
    }
}

/// `Embedding(V => W)`.
impl<const V: usize, const W: usize, E: Element, D: Device, T> fmt::Display
    for Embedding<V, W, E, D, T>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Embedding({V} => {W})")
    }
}

/// `Lambda(…)`: a closure has no name to show.
impl<F> fmt::Display for Lambda<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lambda(…)")
    }
}

/// The column at which Flux starts a member's `# … parameters`.
const COMMENT_COLUMN: usize = 40;

/// The members of a chain, printed one per line.
pub trait ShowMembers {
    /// Appends each member's lines to `out`, indented by two spaces, a
    /// parameter count after a tab where it has one.
    fn show_members(&self, out: &mut String);
}

/// Appends one member: its lines indented, a comma after the last, and,
/// after a tab, its parameter count where it has parameters and fits on
/// one line. The tabs become the padding to Flux's column at the top.
fn show_member(out: &mut String, text: &str, member: Summary) {
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        out.push_str("  ");
        match line.split_once('\t') {
            Some((content, comment)) => {
                out.push_str(content);
                out.push('\t');
                out.push_str(comment);
            }
            None => {
                out.push_str(line);
                if i == last {
                    out.push(',');
                }
                if lines.len() == 1 && member.parameters > 0 {
                    out.push_str(&format!("\t# {} parameters", group(member.parameters)));
                }
            }
        }
        out.push('\n');
    }
}

/// `1234567` as Julia prints counts: `1_234_567`.
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('_');
        }
        out.push(c);
    }
    out
}

macro_rules! show_tuples {
    ($($T:ident $i:tt),*) => {
        impl<$($T: fmt::Display + Functor),*> ShowMembers for ($($T,)*) {
            fn show_members(&self, out: &mut String) {
                $(show_member(out, &format!("{:#}", self.$i), summary(&self.$i));)*
            }
        }
    };
}

show_tuples!(A 0);
show_tuples!(A 0, B 1);
show_tuples!(A 0, B 1, C 2);
show_tuples!(A 0, B 1, C 2, F 3);
show_tuples!(A 0, B 1, C 2, F 3, G 4);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11, O 12);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11, O 12, P 13);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11, O 12, P 13, Q 14);
show_tuples!(A 0, B 1, C 2, F 3, G 4, H 5, I 6, J 7, K 8, L 9, M 10, N 11, O 12, P 13, Q 14, R 15);

impl<L: fmt::Display + Functor> ShowMembers for Vec<L> {
    fn show_members(&self, out: &mut String) {
        for member in self {
            show_member(out, &format!("{member:#}"), summary(member));
        }
    }
}

/// One member per line with its parameter count, then the totals, as
/// Flux prints a `Chain` at the top level. `{:#}` gives the form a chain
/// inside another takes: no totals, and a tab where the padding before a
/// count goes.
impl<T: ShowMembers + Functor> fmt::Display for Chain<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut body = String::from("Chain(\n");
        self.0.show_members(&mut body);
        body.push(')');
        if f.alternate() {
            return f.write_str(&body);
        }
        for line in body.lines() {
            match line.split_once('\t') {
                Some((content, comment)) => {
                    let gap = COMMENT_COLUMN
                        .saturating_sub(content.chars().count())
                        .max(2);
                    writeln!(f, "{content}{}{comment}", " ".repeat(gap))?;
                }
                None if line == ")" => f.write_str(line)?,
                None => writeln!(f, "{line}")?,
            }
        }
        let total = summary(self);
        write!(
            f,
            "{}# Total: {} arrays, {} parameters, {} bytes.",
            " ".repeat(19),
            total.arrays,
            group(total.parameters),
            group(total.bytes)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::group;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1_000");
        assert_eq!(group(101_770), "101_770");
        assert_eq!(group(1_234_567), "1_234_567");
    }
}
