//! Turns a validated directory into tokens, and problems into compile errors.

use std::path::PathBuf;

use migrate_core::{Migration, Statement};
use proc_macro2::TokenStream;
use quote::quote;

use crate::input::Input;

/// The variable that, when set, replaces `CARGO_MANIFEST_DIR` as the root the
/// directory is relative to. Test harnesses such as trybuild build crates
/// inside `target/`, where `CARGO_MANIFEST_DIR` does not hold the fixtures.
const ROOT_OVERRIDE: &str = "MIGRATE_MANIFEST_DIR";

/// Reads, validates and embeds the directory.
pub fn expand(input: &Input) -> syn::Result<TokenStream> {
    let root = std::env::var_os(ROOT_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .ok_or_else(|| {
            syn::Error::new(
                input.dir.span(),
                "`CARGO_MANIFEST_DIR` is not set; `embed_migrations!` must be built by cargo",
            )
        })?;
    let set =
        migrate_core::load(&root, &input.dir.value(), &input.options).map_err(|problems| {
            combine(input, &problems)
                .unwrap_or_else(|| syn::Error::new(input.dir.span(), "invalid migration directory"))
        })?;
    #[cfg(feature = "replay")]
    if input.replay
        && let Some(error) = combine(input, &migrate_replay::replay(&set))
    {
        return Err(error);
    }
    let tracked = set.files.values().flatten().map(|file| {
        let file = file.to_string_lossy();
        quote! { const _: &[u8] = ::core::include_bytes!(#file); }
    });
    let migrations = set.migrations.iter().map(migration);
    Ok(quote! {
        {
            #(#tracked)*
            ::migrate_runtime::__private::migrations(&[#(#migrations),*])
        }
    })
}

/// One error per problem, all on the directory literal.
fn combine(input: &Input, problems: &[migrate_core::Problem]) -> Option<syn::Error> {
    problems
        .iter()
        .map(|problem| syn::Error::new(input.dir.span(), problem.to_string()))
        .reduce(|mut all, next| {
            all.combine(next);
            all
        })
}

/// The compile errors, beside an empty set of the right type so that no
/// follow-on type error hides them.
pub fn placeholder(error: &syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote! {
        {
            #errors
            ::migrate_runtime::__private::migrations(&[])
        }
    }
}

/// One migration as a constant of the one `Migration` type, its texts
/// borrowed from the binary.
fn migration(m: &Migration) -> TokenStream {
    let version = m.version.0;
    let name = text(&m.name);
    let environment = option(m.environment.as_deref());
    let up_path = text(&m.up_path);
    let down_path = option(m.down_path.as_deref());
    let up = statements(&m.up);
    let down = if let Some(down) = &m.down {
        let down = statements(down);
        quote! { ::core::option::Option::Some(#down) }
    } else {
        quote! { ::core::option::Option::None }
    };
    let no_transaction = m.no_transaction;
    let foreign_keys_off = m.foreign_keys_off;
    let checksum = m.checksum.0;
    let no_check = option(m.no_check.as_deref());
    quote! {
        ::migrate_runtime::__private::Migration {
            version: ::migrate_runtime::__private::Version(#version),
            name: #name,
            environment: #environment,
            up_path: #up_path,
            down_path: #down_path,
            up: #up,
            down: #down,
            no_transaction: #no_transaction,
            foreign_keys_off: #foreign_keys_off,
            checksum: ::migrate_runtime::__private::Checksum([#(#checksum),*]),
            no_check: #no_check,
        }
    }
}

fn statements(statements: &[Statement]) -> TokenStream {
    let items = statements.iter().map(|s| {
        let (sql, line) = (text(&s.sql), s.line);
        quote! { ::migrate_runtime::__private::Statement { sql: #sql, line: #line } }
    });
    quote! { ::migrate_runtime::__private::Cow::Borrowed(&[#(#items),*]) }
}

fn text(value: &str) -> TokenStream {
    quote! { ::migrate_runtime::__private::Cow::Borrowed(#value) }
}

fn option(value: Option<&str>) -> TokenStream {
    if let Some(value) = value {
        let value = text(value);
        quote! { ::core::option::Option::Some(#value) }
    } else {
        quote! { ::core::option::Option::None }
    }
}
