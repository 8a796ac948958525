//! The macro's arguments: `embed_migrations!("dir", option = value, …)`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitStr, Token};

/// The directory used when the macro gets no argument.
const DEFAULT_DIR: &str = "migrations";

/// What the user wrote between the parentheses.
pub struct Input {
    /// The directory literal; the span of every format error.
    pub dir: LitStr,
    /// The options.
    pub options: migrate_core::Options,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = migrate_core::Options::default();
        if input.is_empty() {
            return Ok(Input {
                dir: LitStr::new(DEFAULT_DIR, Span::call_site()),
                options,
            });
        }
        let dir: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected a string literal naming the migration directory, e.g. `embed_migrations!(\"migrations\")`",
            )
        })?;
        let mut errors: Option<syn::Error> = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "allow_gaps" => options.allow_gaps = input.parse::<LitBool>()?.value,
                other => {
                    // Skip the value so the remaining options are still checked.
                    input.parse::<syn::Lit>()?;
                    let error = syn::Error::new(
                        key.span(),
                        format!("unknown option `{other}`; the known option is `allow_gaps`"),
                    );
                    match &mut errors {
                        Some(errors) => errors.combine(error),
                        None => errors = Some(error),
                    }
                }
            }
        }
        match errors {
            Some(errors) => Err(errors),
            None => Ok(Input { dir, options }),
        }
    }
}
