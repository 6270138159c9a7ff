//! The generated `Functor` and `Rebuild` impls.

use crate::attrs::{FieldName, field_skip, struct_options};
use crate::krate::functor_module;
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{
    Data, DeriveInput, Fields, GenericParam, Generics, Ident, Member, Type, WhereClause,
    parse_quote,
};

/// One field of the struct, as the generated code names it.
struct Field<'a> {
    member: Member,
    ty: &'a Type,
    /// The segment of a walk's path: the field's name, or its index.
    name: String,
    /// The local variable that holds the field while the struct is taken apart.
    local: Ident,
}

pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => return Err(not_a_struct(data.enum_token.span)),
        Data::Union(data) => return Err(not_a_struct(data.union_token.span)),
    };
    let options = struct_options(&input.attrs)?;
    let fields: Vec<Field> = fields
        .iter()
        .enumerate()
        .map(|(i, field)| Field {
            member: field
                .ident
                .clone()
                .map_or_else(|| Member::from(i), Member::Named),
            ty: &field.ty,
            name: field
                .ident
                .as_ref()
                .map_or_else(|| i.to_string(), |ident| ident.unraw().to_string()),
            local: format_ident!("__field{}", i, span = Span::mixed_site()),
        })
        .collect();
    let children = child_indices(input, options.children.as_deref())?;
    let device = bounded_param(&input.generics, options.device, &DEVICE)?;
    let element = bounded_param(&input.generics, options.element, &ELEMENT)?;
    let functor = functor_module(options.krate)?;
    Ok(Impls {
        input,
        fields: &fields,
        children: &children,
        functor: &functor,
        device: device.as_ref(),
        element: element.as_ref(),
    }
    .expand())
}

fn not_a_struct(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "#[derive(Functor)] works on structs only; implement `Functor` by hand \
         for an enum or a union",
    )
}

/// Which fields are children, in the order their walk visits them.
fn child_indices(input: &DeriveInput, list: Option<&[FieldName]>) -> syn::Result<Vec<usize>> {
    let Data::Struct(data) = &input.data else {
        unreachable!("derive checked for a struct")
    };
    let mut skipped = Vec::new();
    for field in &data.fields {
        skipped.push(field_skip(&field.attrs)?);
    }
    let Some(list) = list else {
        return Ok((0..skipped.len())
            .filter(|&i| skipped[i].is_none())
            .collect());
    };
    if let Some(span) = skipped.iter().flatten().next() {
        return Err(syn::Error::new(
            *span,
            "this struct lists its children in #[functor(...)]; \
             drop `skip` here, or drop the list",
        ));
    }
    list.iter()
        .map(|name| field_index(input, &data.fields, name))
        .collect()
}

/// Where `name`, from a list of children, is among the fields.
fn field_index(input: &DeriveInput, fields: &Fields, name: &FieldName) -> syn::Result<usize> {
    let found = match (name, fields) {
        (FieldName::Named(ident), Fields::Named(_)) => fields
            .iter()
            .position(|f| f.ident.as_ref().is_some_and(|i| i.unraw() == ident.unraw())),
        (FieldName::Index(lit), Fields::Unnamed(_)) => lit
            .base10_parse::<usize>()
            .ok()
            .filter(|&i| i < fields.len()),
        _ => None,
    };
    found.ok_or_else(|| {
        let struct_name = &input.ident;
        let hint = match fields {
            Fields::Named(named) => {
                let names: Vec<String> = named
                    .named
                    .iter()
                    .filter_map(|f| f.ident.as_ref().map(|i| format!("`{}`", i.unraw())))
                    .collect();
                format!("its fields are {}", names.join(", "))
            }
            Fields::Unnamed(_) if fields.len() == 1 => {
                "a tuple struct's fields are named by index; its only field is `0`".to_owned()
            }
            Fields::Unnamed(_) => format!(
                "a tuple struct's fields are named by index, 0 to {}",
                fields.len() - 1
            ),
            Fields::Unit => "it has no fields".to_owned(),
        };
        syn::Error::new(
            name.span(),
            format!("no field `{}` in `{struct_name}`: {hint}", name.text()),
        )
    })
}

/// A kind of type parameter a transfer changes: the traits that bound it,
/// and the attribute that names it.
struct ParamKind {
    bounds: &'static [&'static str],
    attribute: &'static str,
    what: &'static str,
}

const DEVICE: ParamKind = ParamKind {
    bounds: &["Device", "Host"],
    attribute: "device",
    what: "a device move",
};

const ELEMENT: ParamKind = ParamKind {
    bounds: &["Element"],
    attribute: "element",
    what: "a change of element type",
};

/// The type parameter that is the struct's device (or element type): the
/// one named by `#[functor(device = D)]` (`element = E`), or else the one
/// type parameter bounded by `Device` or `Host` (`Element`), if there is
/// one.
fn bounded_param(
    generics: &Generics,
    explicit: Option<Ident>,
    kind: &ParamKind,
) -> syn::Result<Option<Ident>> {
    if let Some(ident) = explicit {
        return if generics.type_params().any(|p| p.ident == ident) {
            Ok(Some(ident))
        } else {
            Err(syn::Error::new(
                ident.span(),
                format!(
                    "`{} = {ident}` names no type parameter of this struct",
                    kind.attribute
                ),
            ))
        };
    }
    let bounded: Vec<&Ident> = generics
        .type_params()
        .filter(|p| {
            p.bounds.iter().any(|bound| match bound {
                syn::TypeParamBound::Trait(t) => t
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| kind.bounds.iter().any(|b| s.ident == b)),
                _ => false,
            })
        })
        .map(|p| &p.ident)
        .collect();
    match bounded.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        [_, second, ..] => Err(syn::Error::new(
            second.span(),
            format!(
                "several type parameters could be the one {} changes; name it with \
                 #[functor({} = ...)]",
                kind.what, kind.attribute
            ),
        )),
    }
}

/// Everything the generated impls are built from.
struct Impls<'a> {
    input: &'a DeriveInput,
    fields: &'a [Field<'a>],
    children: &'a [usize],
    functor: &'a TokenStream,
    device: Option<&'a Ident>,
    element: Option<&'a Ident>,
}

/// A copy of the struct with one type parameter changed: the trait that
/// makes it (`ToDevice` or `ToElement`), its method, whether the method
/// takes the target as an argument, the target's name in the generated
/// impl, the parameter that changes, and the target's bound.
struct Transfer<'a> {
    trait_path: TokenStream,
    method: Ident,
    takes_target: bool,
    target: Ident,
    param: Option<&'a Ident>,
    base_bound: TokenStream,
}

impl Impls<'_> {
    fn expand(&self) -> TokenStream {
        let functor_impl = self.functor_impl();
        let rebuild_impl = self.rebuild_impl();
        let to_device_impl = self.to_device_impl();
        let to_element_impl = self.to_element_impl();
        let trace_impl = self.trace_impl();
        quote! {
            #functor_impl
            #rebuild_impl
            #to_device_impl
            #to_element_impl
            #trace_impl
        }
    }

    fn children(&self) -> impl Iterator<Item = &Field<'_>> + Clone {
        self.children.iter().map(|&i| &self.fields[i])
    }

    fn rest(&self) -> impl Iterator<Item = &Field<'_>> + Clone {
        (0..self.fields.len())
            .filter(|i| !self.children.contains(i))
            .map(|i| &self.fields[i])
    }

    /// The struct's where clause, plus `Functor` for each child whose type
    /// depends on a type parameter. Children of concrete types need no bound:
    /// the walk's call on them reports, at the field, a type that is not a
    /// functor.
    fn where_clause(&self) -> WhereClause {
        let functor = self.functor;
        let mut generics = self.input.generics.clone();
        let params: Vec<&Ident> = self
            .input
            .generics
            .type_params()
            .map(|p| &p.ident)
            .collect();
        let where_clause = generics.make_where_clause();
        for child in self.children() {
            let ty = child.ty;
            if params.iter().any(|p| mentions(ty, p)) {
                where_clause
                    .predicates
                    .push(parse_quote!(#ty: #functor::Functor));
            }
        }
        where_clause.clone()
    }

    fn functor_impl(&self) -> TokenStream {
        let functor = self.functor;
        let name = &self.input.ident;
        let (impl_generics, ty_generics, _) = self.input.generics.split_for_impl();
        let where_clause = self.where_clause();

        let child_tys = self.children().map(|f| f.ty);
        let child_refs = self.children().map(|f| f.ty);
        let child_members = self.children().map(|f| &f.member);
        // An empty body, not `()`, for a struct without children: the code
        // lands in the user's crate, where clippy would flag a unit expression.
        let child_refs_expr = if self.children.is_empty() {
            TokenStream::new()
        } else {
            quote!((#(&self.#child_members,)*))
        };
        let child_locals = self.children().map(|f| &f.local);
        let child_names = self.children().map(|f| &f.name);
        let rest_tys = self.rest().map(|f| f.ty);
        let rest_locals = self.rest().map(|f| &f.local);
        let members = self.fields.iter().map(|f| &f.member);
        let locals = self.fields.iter().map(|f| &f.local);
        let take_apart = quote!(let Self { #(#members: #locals),* } = self;);
        let members = self.fields.iter().map(|f| &f.member);
        let locals = self.fields.iter().map(|f| &f.local);
        let put_together = quote!(Self { #(#members: #locals),* });

        let walk = self.walk_body();
        let map_children = self.children().map(|f| {
            let (local, segment) = (&f.local, &f.name);
            let map = self.method(f.ty, "map_leaves");
            quote! {
                __path.push(#segment);
                let #local = #map(#local, __path, __mapper);
                __path.pop();
            }
        });

        quote! {
            #[automatically_derived]
            impl #impl_generics #functor::Functor for #name #ty_generics #where_clause {
                type Children = (#(#child_tys,)*);
                type ChildRefs<'__functor> = (#(&'__functor #child_refs,)*)
                where
                    Self: '__functor;
                type Rest = (#(#rest_tys,)*);
                const NAMES: &'static [&'static str] = &[#(#child_names),*];

                #[inline]
                fn children(&self) -> Self::ChildRefs<'_> {
                    #child_refs_expr
                }

                #[inline]
                fn into_children(self) -> (Self::Children, Self::Rest) {
                    #take_apart
                    ((#(#child_locals,)*), (#(#rest_locals,)*))
                }

                #[inline]
                fn walk<__V: #functor::Visitor + ?::core::marker::Sized>(
                    __this: #functor::Of<'_, __V::Access, Self>,
                    __path: &mut #functor::Path,
                    __visitor: &mut __V,
                ) {
                    #walk
                }

                #[inline]
                fn map_leaves<__M: #functor::Mapper + ?::core::marker::Sized>(
                    self,
                    __path: &mut #functor::Path,
                    __mapper: &mut __M,
                ) -> Self {
                    #take_apart
                    #(#map_children)*
                    #put_together
                }
            }
        }
    }

    /// `<Ty as Functor>::method`, spanned at the field's type, so that a child
    /// whose type is not a functor is reported at the field. Only this path
    /// takes the field's span: the locals around it keep the macro's.
    fn method(&self, ty: &Type, method: &str) -> TokenStream {
        let functor = self.functor;
        let method = Ident::new(method, Span::call_site());
        quote_spanned!(ty.span()=> <#ty as #functor::Functor>::#method)
    }

    /// Steps into each child in turn, through the visitor's access.
    fn walk_body(&self) -> TokenStream {
        let functor = self.functor;
        if self.children.is_empty() {
            return quote!(let _ = (__this, __path, __visitor););
        }
        let steps = self.children().map(|f| {
            let (member, segment) = (&f.member, &f.name);
            let walk = self.method(f.ty, "walk");
            quote! {
                __path.push(#segment);
                #walk(
                    <__V::Access as #functor::Access>::project(
                        <__V::Access as #functor::Access>::reborrow(&mut __this),
                        |__node| &__node.#member,
                        |__node| &mut __node.#member,
                    ),
                    __path,
                    __visitor,
                );
                __path.pop();
            }
        });
        quote! {
            let mut __this = __this;
            #(#steps)*
        }
    }

    fn rebuild_impl(&self) -> TokenStream {
        let functor = self.functor;
        let name = &self.input.ident;
        let generics = &self.input.generics;
        let changeable = self.changeable_params();
        let renamed = |ident: &Ident| {
            changeable
                .contains(ident)
                .then(|| format_ident!("__Functor{}", ident))
        };

        let mut impl_generics = generics.clone();
        for param in &changeable {
            let new = renamed(param);
            impl_generics.params.push(parse_quote!(#new));
        }
        let (impl_generics, _, _) = impl_generics.split_for_impl();
        let (_, ty_generics, _) = generics.split_for_impl();
        let where_clause = self.where_clause();

        let new_child_tys: Vec<TokenStream> = self
            .children()
            .map(|f| match bare_param(f.ty).and_then(renamed) {
                Some(new) => quote!(#new),
                None => {
                    let ty = f.ty;
                    quote!(#ty)
                }
            })
            .collect();
        let output_args = generics.params.iter().map(|param| match param {
            GenericParam::Lifetime(l) => {
                let lifetime = &l.lifetime;
                quote!(#lifetime)
            }
            GenericParam::Type(t) => {
                let ident = renamed(&t.ident).unwrap_or_else(|| t.ident.clone());
                quote!(#ident)
            }
            GenericParam::Const(c) => {
                let ident = &c.ident;
                quote!(#ident)
            }
        });
        let output = if generics.params.is_empty() {
            quote!(#name)
        } else {
            quote!(#name<#(#output_args),*>)
        };
        let child_locals = self.children().map(|f| &f.local);
        let rest_locals = self.rest().map(|f| &f.local);
        let members = self.fields.iter().map(|f| &f.member);
        let locals = self.fields.iter().map(|f| &f.local);

        quote! {
            #[automatically_derived]
            impl #impl_generics #functor::Rebuild<(#(#new_child_tys,)*)>
                for #name #ty_generics #where_clause
            {
                type Output = #output;

                #[inline]
                fn rebuild(
                    rest: Self::Rest,
                    children: (#(#new_child_tys,)*),
                ) -> Self::Output {
                    let (#(#rest_locals,)*) = rest;
                    let (#(#child_locals,)*) = children;
                    #name { #(#members: #locals),* }
                }
            }
        }
    }

    /// `ToDevice<D2>`: a copy of the struct on the device `D2` (see
    /// [`Self::transfer_impl`]).
    fn to_device_impl(&self) -> TokenStream {
        let functor = self.functor;
        self.transfer_impl(&Transfer {
            trait_path: quote!(#functor::__ToDevice),
            method: Ident::new("to_device", Span::call_site()),
            takes_target: true,
            target: Ident::new("__FunctorDevice", Span::call_site()),
            param: self.device,
            base_bound: quote!(#functor::__Device),
        })
    }

    /// `ToElement<E2>`: a copy of the struct whose tensors hold `E2`s (see
    /// [`Self::transfer_impl`]).
    fn to_element_impl(&self) -> TokenStream {
        let functor = self.functor;
        self.transfer_impl(&Transfer {
            trait_path: quote!(#functor::__ToElement),
            method: Ident::new("to_element", Span::call_site()),
            takes_target: false,
            target: Ident::new("__FunctorElement", Span::call_site()),
            param: self.element,
            base_bound: quote!(#functor::__Element),
        })
    }

    /// A copy of the struct with one type parameter changed (the device, or
    /// the element type): that parameter becomes the target, each
    /// changeable parameter (see [`Self::changeable_params`]) the type its
    /// field moves to, every field whose type mentions either is moved with
    /// the transfer's trait, and every other field is cloned. Nothing is
    /// generated for a struct with neither: its type could not change.
    fn transfer_impl(&self, transfer: &Transfer<'_>) -> TokenStream {
        let changeable = self.changeable_params();
        if changeable.is_empty() && transfer.param.is_none() {
            return TokenStream::new();
        }
        let name = &self.input.ident;
        let generics = &self.input.generics;
        let Transfer {
            trait_path,
            method,
            takes_target,
            target,
            param,
            base_bound,
        } = transfer;
        let param = *param;
        // The bound of a field that moves with the transfer; `None` for a
        // field that is cloned.
        let move_bound = |ty: &Type| {
            if bare_param(ty).is_some_and(|p| changeable.contains(p)) {
                Some(quote!(#ty: #trait_path<#target>))
            } else {
                param.filter(|d| mentions(ty, d)).map(|d| {
                    let output = substitute(ty, d, target);
                    quote!(#ty: #trait_path<#target, Output = #output>)
                })
            }
        };

        let mut impl_generics = generics.clone();
        let mut bounds = vec![base_bound.clone()];
        if let Some(d) = param {
            let own = generics
                .type_params()
                .find(|p| p.ident == *d)
                .expect("the parameter was checked to be the struct's");
            bounds.extend(own.bounds.iter().map(|b| substitute(b, d, target)));
        }
        impl_generics
            .params
            .push(parse_quote!(#target: #(#bounds)+*));
        let where_clause = impl_generics.make_where_clause();
        if let (Some(d), Some(own)) = (param, &generics.where_clause) {
            for predicate in own.predicates.iter().filter(|p| mentions(p, d)) {
                let predicate = substitute(predicate, d, target);
                where_clause.predicates.push(parse_quote!(#predicate));
            }
        }
        for field in self.fields {
            let ty = field.ty;
            let predicate = move_bound(ty).unwrap_or_else(|| quote!(#ty: ::core::clone::Clone));
            where_clause.predicates.push(parse_quote!(#predicate));
        }
        let (impl_generics, _, where_clause) = impl_generics.split_for_impl();
        let (_, ty_generics, _) = generics.split_for_impl();

        let output_args = generics.params.iter().map(|p| match p {
            GenericParam::Lifetime(l) => {
                let lifetime = &l.lifetime;
                quote!(#lifetime)
            }
            GenericParam::Type(t) => {
                let ident = &t.ident;
                if changeable.contains(ident) {
                    quote!(<#ident as #trait_path<#target>>::Output)
                } else if param == Some(ident) {
                    quote!(#target)
                } else {
                    quote!(#ident)
                }
            }
            GenericParam::Const(c) => {
                let ident = &c.ident;
                quote!(#ident)
            }
        });
        let argument = takes_target.then(|| quote!(, __target: &#target));
        let passed = takes_target.then(|| quote!(, __target));
        let values = self.fields.iter().map(|f| {
            let member = &f.member;
            let ty = f.ty;
            if move_bound(f.ty).is_some() {
                quote!(#member: <#ty as #trait_path<#target>>::#method(&self.#member #passed))
            } else {
                quote!(#member: ::core::clone::Clone::clone(&self.#member))
            }
        });

        quote! {
            #[automatically_derived]
            impl #impl_generics #trait_path<#target>
                for #name #ty_generics #where_clause
            {
                type Output = #name<#(#output_args),*>;

                #[inline]
                fn #method(&self #argument) -> Self::Output {
                    #name { #(#values),* }
                }
            }
        }
    }

    /// `Trace<K, P>`: the struct with each child traced. Child `i` is traced
    /// below the path `Step<Step<P, 0>, i>`: the slots are the children's
    /// slots, then the fields that are not children, which the gradient
    /// keeps. Generated only when every child's type is a changeable
    /// parameter (see [`Self::changeable_params`]) of that child alone, as
    /// only then can the struct hold what its children trace to.
    fn trace_impl(&self) -> TokenStream {
        let functor = self.functor;
        let changeable = self.changeable_params();
        let child_params: Vec<&Ident> = self.children().filter_map(|f| bare_param(f.ty)).collect();
        let traceable = self.children().all(|f| {
            bare_param(f.ty).is_some_and(|p| {
                changeable.contains(p) && child_params.iter().filter(|q| **q == p).count() == 1
            })
        });
        if !traceable {
            return TokenStream::new();
        }
        let name = &self.input.ident;
        let generics = &self.input.generics;
        let kind = Ident::new("__FunctorKind", Span::call_site());
        let root = Ident::new("__FunctorPath", Span::call_site());
        let paths: Vec<TokenStream> = (0..self.children.len())
            .map(|i| quote!(#functor::Step<#functor::Step<#root, 0>, #i>))
            .collect();
        let param_path = |ident: &Ident| {
            self.children()
                .position(|f| bare_param(f.ty) == Some(ident))
                .map(|i| &paths[i])
        };

        let mut impl_generics = generics.clone();
        impl_generics.params.push(parse_quote!(#kind));
        impl_generics.params.push(parse_quote!(#root));
        let where_clause = impl_generics.make_where_clause();
        for (child, path) in self.children().zip(&paths) {
            let ty = child.ty;
            where_clause
                .predicates
                .push(parse_quote!(#ty: #functor::Trace<#kind, #path>));
        }
        for field in self.rest() {
            let ty = field.ty;
            where_clause
                .predicates
                .push(parse_quote!(#ty: ::core::clone::Clone));
        }
        let (impl_generics, _, where_clause) = impl_generics.split_for_impl();
        let (_, ty_generics, _) = generics.split_for_impl();

        let output = |assoc: &str| {
            let assoc = Ident::new(assoc, Span::call_site());
            let args = generics.params.iter().map(|param| match param {
                GenericParam::Lifetime(l) => {
                    let lifetime = &l.lifetime;
                    quote!(#lifetime)
                }
                GenericParam::Type(t) => {
                    let ident = &t.ident;
                    match param_path(ident) {
                        Some(path) => quote!(<#ident as #functor::Trace<#kind, #path>>::#assoc),
                        None => quote!(#ident),
                    }
                }
                GenericParam::Const(c) => {
                    let ident = &c.ident;
                    quote!(#ident)
                }
            });
            if generics.params.is_empty() {
                quote!(#name)
            } else {
                quote!(#name<#(#args),*>)
            }
        };
        let traced = output("Traced");
        let grads = output("Grads");
        let child_slots = self.children().zip(&paths).map(|(f, path)| {
            let ty = f.ty;
            quote!(<#ty as #functor::Trace<#kind, #path>>::Slots)
        });
        let rest_tys = self.rest().map(|f| f.ty);

        let members = self.fields.iter().map(|f| &f.member);
        let locals = self.fields.iter().map(|f| &f.local);
        let take_apart = quote!(let Self { #(#members: #locals),* } = self;);
        let slot_locals: Vec<Ident> = (0..self.children.len())
            .map(|i| format_ident!("__slot{}", i, span = Span::mixed_site()))
            .collect();
        let trace_children = self.children().zip(&slot_locals).map(|(f, slot)| {
            let local = &f.local;
            quote!(let (#local, #slot) = #functor::Trace::trace(#local, __kind);)
        });
        let traced_fields = self.fields.iter().map(|f| {
            let (member, local) = (&f.member, &f.local);
            if self.rest().any(|r| r.member == f.member) {
                quote!(#member: ::core::clone::Clone::clone(&#local))
            } else {
                quote!(#member: #local)
            }
        });
        let rest_locals: Vec<&Ident> = self.rest().map(|f| &f.local).collect();
        let grad_fields = self.fields.iter().map(|f| {
            let (member, local) = (&f.member, &f.local);
            match self
                .children()
                .zip(&slot_locals)
                .zip(&paths)
                .find(|((c, _), _)| c.member == f.member)
            {
                Some(((child, slot), path)) => {
                    let ty = child.ty;
                    quote!(#member: <#ty as #functor::Trace<#kind, #path>>::grads(#slot))
                }
                None => quote!(#member: #local),
            }
        });

        // The same for the struct borrowed mutably (`TraceMut`, through which
        // `&mut Self` is `Trace`): each child borrowed mutably, the other
        // fields cloned.
        let life = syn::Lifetime::new("'__functor_borrow", Span::call_site());
        let mut mut_generics = generics.clone();
        mut_generics.params.insert(0, parse_quote!(#life));
        mut_generics.params.push(parse_quote!(#kind));
        mut_generics.params.push(parse_quote!(#root));
        let mut_where = mut_generics.make_where_clause();
        mut_where.predicates.push(parse_quote!(Self: #life));
        for (child, path) in self.children().zip(&paths) {
            let ty = child.ty;
            mut_where
                .predicates
                .push(parse_quote!(#ty: #functor::TraceMut<#life, #kind, #path>));
        }
        for field in self.rest() {
            let ty = field.ty;
            mut_where
                .predicates
                .push(parse_quote!(#ty: ::core::clone::Clone));
        }
        let (mut_impl_generics, _, mut_where) = mut_generics.split_for_impl();
        let mut_output = |assoc: &str| {
            let assoc = Ident::new(assoc, Span::call_site());
            let args = generics.params.iter().map(|param| match param {
                GenericParam::Lifetime(l) => {
                    let lifetime = &l.lifetime;
                    quote!(#lifetime)
                }
                GenericParam::Type(t) => {
                    let ident = &t.ident;
                    match param_path(ident) {
                        Some(path) => {
                            quote!(<#ident as #functor::TraceMut<#life, #kind, #path>>::#assoc)
                        }
                        None => quote!(#ident),
                    }
                }
                GenericParam::Const(c) => {
                    let ident = &c.ident;
                    quote!(#ident)
                }
            });
            if generics.params.is_empty() {
                quote!(#name)
            } else {
                quote!(#name<#(#args),*>)
            }
        };
        let mut_traced = mut_output("Traced");
        let mut_grads = mut_output("Grads");
        let mut_child_slots = self.children().zip(&paths).map(|(f, path)| {
            let ty = f.ty;
            quote!(<#ty as #functor::TraceMut<#life, #kind, #path>>::Slots)
        });
        let mut_rest_tys = self.rest().map(|f| f.ty);
        let members = self.fields.iter().map(|f| &f.member);
        let locals = self.fields.iter().map(|f| &f.local);
        let borrow_apart = quote!(let #name { #(#members: #locals),* } = self;);
        let mut_trace_children = self.children().zip(&slot_locals).map(|(f, slot)| {
            let local = &f.local;
            quote!(let (#local, #slot) = #functor::TraceMut::trace_mut(#local, __kind);)
        });
        let mut_traced_fields = self.fields.iter().map(|f| {
            let (member, local) = (&f.member, &f.local);
            if self.rest().any(|r| r.member == f.member) {
                quote!(#member: ::core::clone::Clone::clone(#local))
            } else {
                quote!(#member: #local)
            }
        });
        let mut_rest_values = self
            .rest()
            .map(|f| {
                let local = &f.local;
                quote!(::core::clone::Clone::clone(#local))
            })
            .collect::<Vec<_>>();
        let mut_grad_fields = self.fields.iter().map(|f| {
            let (member, local) = (&f.member, &f.local);
            match self
                .children()
                .zip(&slot_locals)
                .zip(&paths)
                .find(|((c, _), _)| c.member == f.member)
            {
                Some(((child, slot), path)) => {
                    let ty = child.ty;
                    quote!(#member: <#ty as #functor::TraceMut<#life, #kind, #path>>::grads(#slot))
                }
                None => quote!(#member: #local),
            }
        });
        let trace_mut_impl = quote! {
            #[automatically_derived]
            impl #mut_impl_generics #functor::TraceMut<#life, #kind, #root>
                for #name #ty_generics #mut_where
            {
                type Traced = #mut_traced;
                type Slots = ((#(#mut_child_slots,)*), (#(#mut_rest_tys,)*));
                type Grads = #mut_grads;

                #[inline]
                fn trace_mut(&#life mut self, __kind: &#kind) -> (Self::Traced, Self::Slots) {
                    #borrow_apart
                    #(#mut_trace_children)*
                    (
                        #name { #(#mut_traced_fields),* },
                        ((#(#slot_locals,)*), (#(#mut_rest_values,)*)),
                    )
                }

                #[inline]
                fn grads(
                    ((#(#slot_locals,)*), (#(#rest_locals,)*)): Self::Slots,
                ) -> Self::Grads {
                    #name { #(#mut_grad_fields),* }
                }
            }
        };

        quote! {
            #[automatically_derived]
            impl #impl_generics #functor::Trace<#kind, #root>
                for #name #ty_generics #where_clause
            {
                type Traced = #traced;
                type Slots = ((#(#child_slots,)*), (#(#rest_tys,)*));
                type Grads = #grads;

                #[inline]
                fn trace(self, __kind: &#kind) -> (Self::Traced, Self::Slots) {
                    #take_apart
                    #(#trace_children)*
                    (
                        #name { #(#traced_fields),* },
                        ((#(#slot_locals,)*), (#(#rest_locals,)*)),
                    )
                }

                #[inline]
                fn grads(
                    ((#(#slot_locals,)*), (#(#rest_locals,)*)): Self::Slots,
                ) -> Self::Grads {
                    #name { #(#grad_fields),* }
                }
            }

            #trace_mut_impl
        }
    }

    /// The type parameters whose children may change type on rebuild: each
    /// is the whole declared type of at least one child, and appears nowhere
    /// else (no bound, no where clause, no field that is not a child, no child
    /// that wraps it), so that replacing it keeps every other type as it was.
    fn changeable_params(&self) -> Vec<Ident> {
        let generics = &self.input.generics;
        generics
            .type_params()
            .filter(|param| {
                let p = &param.ident;
                param.bounds.is_empty()
                    && !bounds_mention(generics, p)
                    && self.rest().all(|f| !mentions(f.ty, p))
                    && self.children().any(|f| bare_param(f.ty) == Some(p))
                    && self
                        .children()
                        .all(|f| bare_param(f.ty) == Some(p) || !mentions(f.ty, p))
            })
            .map(|param| param.ident.clone())
            .collect()
    }
}

/// Whether `param` appears in the bounds of another parameter, the type of a
/// const parameter, or the where clause.
fn bounds_mention(generics: &Generics, param: &Ident) -> bool {
    let in_params = generics.params.iter().any(|p| match p {
        GenericParam::Type(t) => t.bounds.iter().any(|b| mentions(b, param)),
        GenericParam::Lifetime(_) => false,
        GenericParam::Const(c) => mentions(&c.ty, param),
    });
    in_params
        || generics
            .where_clause
            .as_ref()
            .is_some_and(|w| mentions(w, param))
}

/// The type parameter that `ty` is, if it is one bare identifier.
fn bare_param(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Group(group) => bare_param(&group.elem),
        Type::Paren(paren) => bare_param(&paren.elem),
        Type::Path(path) if path.qself.is_none() => path.path.get_ident(),
        _ => None,
    }
}

/// Whether the identifier `param` occurs anywhere in `tokens`. A false hit
/// (a path segment that shares the name) only keeps a child's type fixed.
fn mentions(tokens: &impl quote::ToTokens, param: &Ident) -> bool {
    fn scan(stream: TokenStream, param: &Ident) -> bool {
        stream.into_iter().any(|tree| match tree {
            TokenTree::Ident(ident) => ident == *param,
            TokenTree::Group(group) => scan(group.stream(), param),
            TokenTree::Punct(_) | TokenTree::Literal(_) => false,
        })
    }
    scan(tokens.to_token_stream(), param)
}

/// `tokens` with every occurrence of the identifier `from` replaced by `to`.
fn substitute(tokens: &impl quote::ToTokens, from: &Ident, to: &Ident) -> TokenStream {
    fn replace(stream: TokenStream, from: &Ident, to: &Ident) -> TokenStream {
        stream
            .into_iter()
            .map(|tree| match tree {
                TokenTree::Ident(ident) if ident == *from => TokenTree::Ident(to.clone()),
                TokenTree::Group(group) => {
                    let mut new = proc_macro2::Group::new(
                        group.delimiter(),
                        replace(group.stream(), from, to),
                    );
                    new.set_span(group.span());
                    TokenTree::Group(new)
                }
                other => other,
            })
            .collect()
    }
    replace(tokens.to_token_stream(), from, to)
}
