//! The `#[functor(...)]` attributes.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitInt, Token};

/// What the attributes on the struct itself say.
#[derive(Default)]
pub struct StructOptions {
    /// `#[functor(a, c)]`: only these fields are children, in this order;
    /// `#[functor()]`: none is (Functors.jl's `@functor T ()`). `None`
    /// when no list is given: every field is a child.
    pub children: Option<Vec<FieldName>>,
    /// `#[functor(crate = path)]`: where to find the `functor` module.
    pub krate: Option<syn::Path>,
    /// `#[functor(device = D)]`: the type parameter that is the device.
    pub device: Option<Ident>,
    /// `#[functor(element = E)]`: the type parameter that is the element
    /// type.
    pub element: Option<Ident>,
}

/// A field named in a list of children: `a` for a named field, `0` for a
/// tuple struct's.
pub enum FieldName {
    Named(Ident),
    Index(LitInt),
}

impl FieldName {
    pub fn span(&self) -> Span {
        match self {
            FieldName::Named(ident) => ident.span(),
            FieldName::Index(lit) => lit.span(),
        }
    }

    pub fn text(&self) -> String {
        match self {
            FieldName::Named(ident) => ident.to_string(),
            FieldName::Index(lit) => lit.to_string(),
        }
    }
}

/// One item inside `#[functor(...)]` on a struct.
enum StructItem {
    Crate(syn::Path),
    Device(Ident),
    Element(Ident),
    Child(FieldName),
    Skip(Span),
}

impl Parse for StructItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![crate]) {
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            return Ok(StructItem::Crate(input.parse()?));
        }
        if input.peek(LitInt) {
            return Ok(StructItem::Child(FieldName::Index(input.parse()?)));
        }
        let ident: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a field name, a field index, `crate = path`, \
                 `device = D` or `element = E`, as in `#[functor(weight, bias)]`",
            )
        })?;
        if ident == "device" && input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            return Ok(StructItem::Device(input.parse()?));
        }
        if ident == "element" && input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            return Ok(StructItem::Element(input.parse()?));
        }
        if ident == "skip" {
            return Ok(StructItem::Skip(ident.span()));
        }
        Ok(StructItem::Child(FieldName::Named(ident)))
    }
}

/// Reads every `#[functor(...)]` on the struct.
pub fn struct_options(attrs: &[Attribute]) -> syn::Result<StructOptions> {
    let mut options = StructOptions::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("functor")) {
        let items = attr.parse_args_with(Punctuated::<StructItem, Token![,]>::parse_terminated)?;
        if items.is_empty() {
            // `#[functor()]`: an empty list of children, not "all fields".
            options.children.get_or_insert_with(Vec::new);
        }
        for item in items {
            match item {
                StructItem::Crate(path) => {
                    if options.krate.replace(path).is_some() {
                        return Err(syn::Error::new_spanned(
                            attr,
                            "`crate = ...` is given twice",
                        ));
                    }
                }
                StructItem::Device(ident) => {
                    if options.device.replace(ident).is_some() {
                        return Err(syn::Error::new_spanned(
                            attr,
                            "`device = ...` is given twice",
                        ));
                    }
                }
                StructItem::Element(ident) => {
                    if options.element.replace(ident).is_some() {
                        return Err(syn::Error::new_spanned(
                            attr,
                            "`element = ...` is given twice",
                        ));
                    }
                }
                StructItem::Child(name) => {
                    let children = options.children.get_or_insert_with(Vec::new);
                    if children.iter().any(|c| c.text() == name.text()) {
                        return Err(syn::Error::new(
                            name.span(),
                            format!("field `{}` is listed twice", name.text()),
                        ));
                    }
                    children.push(name);
                }
                StructItem::Skip(span) => {
                    return Err(syn::Error::new(
                        span,
                        "`skip` goes on a field: `#[functor(skip)] field: Type`; \
                         on the struct, list the fields that are children instead",
                    ));
                }
            }
        }
    }
    Ok(options)
}

/// The `#[functor(skip)]` on a field, if any.
pub fn field_skip(attrs: &[Attribute]) -> syn::Result<Option<Span>> {
    let mut skip = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("functor")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                skip = Some(
                    meta.path
                        .get_ident()
                        .map_or_else(Span::call_site, Ident::span),
                );
                Ok(())
            } else {
                Err(meta.error("expected `skip`: the only option on a field is `#[functor(skip)]`"))
            }
        })?;
    }
    Ok(skip)
}
