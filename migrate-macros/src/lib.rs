//! The `embed_migrations!` macro. Use it through `migrate_runtime`, which
//! re-exports it and holds the types it builds.
#![warn(missing_docs)]

mod cache;
mod check_mysql;
mod expand;
mod input;
mod rust_code;

use proc_macro::TokenStream;

/// Reads and validates a migration directory at build time and embeds it as a
/// `migrate_runtime::Migrations` value.
///
/// See `migrate_runtime::embed_migrations!` for the documentation.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let written = input.to_string();
    syn::parse::<input::Input>(input)
        .and_then(|input| cache::expand(&input, &written))
        .unwrap_or_else(|error| expand::placeholder(&error))
        .into()
}
