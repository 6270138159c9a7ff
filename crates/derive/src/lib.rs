//! `#[derive(Functor)]` for typeflux: Functors.jl's `@functor` for Rust
//! structs.
//!
//! The derive writes the `Functor` trait of `typeflux::functor` (also
//! `typeflux_core::functor`) for a struct, so that optimisers, parameter
//! counts, weight files and device moves can walk it. The trait, the rules
//! and worked examples are documented there; this crate only generates code.
//!
//! # Attributes
//! - `#[functor(a, c)]` on the struct: only these fields are children, in this
//!   order (`#[functor(0, 2)]` for a tuple struct), as `@functor T (a, c)`;
//!   `#[functor()]` lists none: the struct has no children (`@functor T ()`).
//! - `#[functor(skip)]` on a field: every field but the skipped ones is a
//!   child. Use one form or the other, not both.
//! - `#[functor(crate = path)]` on the struct: the crate whose `functor` module
//!   to use, for code that reaches typeflux through a re-export. Without it the
//!   derive reads the deriving crate's `Cargo.toml` and finds `typeflux-core`
//!   or `typeflux` there, under whatever name it was given.
//! - `#[functor(device = D)]` on the struct: the type parameter that is the
//!   struct's device. Without it, the one type parameter bounded by `Device`
//!   (or `Host`) is taken, if there is one.
//! - `#[functor(element = E)]` on the struct: the type parameter that is the
//!   element type of its tensors. Without it, the one type parameter bounded
//!   by `Element` is taken, if there is one.
//!
//! # What is generated
//! `Functor` (children, walks by reference and by value) and `Rebuild`. A
//! child whose declared type is a bare type parameter that appears nowhere
//! else (no bound, no other field, no where clause) can be rebuilt with a
//! value of another type; every other child is rebuilt with its own type.
//!
//! `ToDevice` (Flux's `gpu`/`cpu`), when the struct has a device parameter
//! or such changeable children: the copy on a device `D2` has `D2` for the
//! device parameter and, for each changeable child, the type its value
//! moves to. Every field whose type mentions either is moved with
//! `ToDevice`; every other field (a name, a hyperparameter) is cloned.
//! `ToElement` (Flux's `f32`/`f64`) likewise, with the element type
//! parameter in the place of the device's.

mod attrs;
mod expand;
mod krate;

use proc_macro::TokenStream;

/// Derives `typeflux::functor::Functor` and `Rebuild` for a struct; see the
/// crate documentation for the attributes.
#[proc_macro_derive(Functor, attributes(functor))]
pub fn derive_functor(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
