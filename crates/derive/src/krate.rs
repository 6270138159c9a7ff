//! Finding the `functor` module from the crate that uses the derive.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

/// The path of the `functor` module, as the deriving crate can name it.
///
/// `#[functor(crate = path)]` wins. Otherwise the deriving crate's manifest
/// says whether it depends on `typeflux-core` (as nn does) or on the facade
/// `typeflux` (as users do), and under which name, since a dependency can be
/// renamed. A crate that finds itself gets its own name too, not `crate`: the
/// integration tests, examples and doctests that derive are separate crates
/// that see the library under its name.
pub fn functor_module(explicit: Option<syn::Path>) -> syn::Result<TokenStream> {
    if let Some(path) = explicit {
        return Ok(quote!(#path::functor));
    }
    for package in ["typeflux-core", "typeflux"] {
        let name = match crate_name(package) {
            Ok(FoundCrate::Itself) => package.replace('-', "_"),
            Ok(FoundCrate::Name(name)) => name,
            Err(_) => continue,
        };
        let ident = Ident::new(&name, Span::call_site());
        return Ok(quote!(::#ident::functor));
    }
    Err(syn::Error::new(
        Span::call_site(),
        "#[derive(Functor)] cannot find typeflux in this crate's Cargo.toml: \
         add `typeflux` (or `typeflux-core`) to [dependencies], or name the crate \
         with #[functor(crate = path::to::typeflux)]",
    ))
}
