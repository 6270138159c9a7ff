//! Where a walk is: the dotted name of the current node.

use super::tied::Passed;
use core::fmt::{self, Write};
use core::hash::{Hash, Hasher};

/// The dotted name of the node a walk is at, such as `0.weight` or
/// `layers.2.bias`: struct fields by name, tuple positions and `Vec` or array
/// elements by index. These are the names weight files use.
///
/// One `Path` is reused for a whole walk: entering a child appends to one
/// buffer and leaving it truncates, so naming leaves allocates nothing once the
/// buffer has grown to the deepest name.
///
/// A path also remembers the [`Tied`](super::Tied) nodes the walk has
/// passed, so that each is walked once, at the first path that reaches it.
/// Two paths are equal when their names are.
///
/// ```
/// use typeflux_core::functor::Path;
///
/// let mut path = Path::new();
/// path.push("layers");
/// path.push_index(2);
/// path.push("bias");
/// assert_eq!(path.as_str(), "layers.2.bias");
/// path.pop();
/// path.pop();
/// assert_eq!(path.as_str(), "layers");
/// ```
#[derive(Clone, Default)]
pub struct Path {
    text: String,
    /// Length of `text` before each segment was pushed, innermost last.
    starts: Vec<usize>,
    /// The tied nodes passed so far.
    pub(super) ties: Passed,
}

impl PartialEq for Path {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Path {}

impl Hash for Path {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl Path {
    /// The root: an empty name.
    pub fn new() -> Self {
        Self::default()
    }

    /// The dotted name, empty at the root.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Enters the child called `name`.
    pub fn push(&mut self, name: &str) {
        self.open();
        self.text.push_str(name);
    }

    /// Enters the child at position `index` (a `Vec` or array element).
    pub fn push_index(&mut self, index: usize) {
        self.open();
        write!(self.text, "{index}").expect("writing to a String cannot fail");
    }

    /// Leaves the innermost child.
    ///
    /// # Panics
    /// At the root, which is a bug in the walk that called it.
    pub fn pop(&mut self) {
        let start = self.starts.pop().expect("Path::pop at the root");
        self.text.truncate(start);
    }

    fn open(&mut self) {
        self.starts.push(self.text.len());
        if self.starts.len() > 1 {
            self.text.push('.');
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}
