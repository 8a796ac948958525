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
    /// Whether to replay the migrations on SQLite after the format checks.
    pub replay: bool,
}

/// The options the macro knows, for the message about an unknown one.
const KNOWN: &str = "`allow_gaps`, `check`, `reason` and `dialect`";

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut options = migrate_core::Options::default();
        if input.is_empty() {
            return Ok(Input {
                dir: LitStr::new(DEFAULT_DIR, Span::call_site()),
                options,
                replay: true,
            });
        }
        let dir: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected a string literal naming the migration directory, e.g. `embed_migrations!(\"migrations\")`",
            )
        })?;
        let mut errors: Option<syn::Error> = None;
        let mut push = |error: syn::Error| match &mut errors {
            Some(errors) => errors.combine(error),
            None => errors = Some(error),
        };
        let mut check: Option<(Ident, bool)> = None;
        let mut reason: Option<LitStr> = None;
        let mut postgres = false;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "allow_gaps" => options.allow_gaps = input.parse::<LitBool>()?.value,
                "check" => check = Some((key, input.parse::<LitBool>()?.value)),
                "reason" => reason = Some(input.parse::<LitStr>()?),
                "dialect" => {
                    let dialect: LitStr = input.parse()?;
                    match dialect.value().as_str() {
                        "sqlite" => postgres = false,
                        "postgres" | "postgresql" => postgres = true,
                        other => push(syn::Error::new(
                            dialect.span(),
                            format!(
                                "unknown dialect `{other}`; use `sqlite` (the default) or `postgres`"
                            ),
                        )),
                    }
                }
                other => {
                    // Skip the value so the remaining options are still checked.
                    input.parse::<syn::Lit>()?;
                    push(syn::Error::new(
                        key.span(),
                        format!("unknown option `{other}`; the known options are {KNOWN}"),
                    ));
                }
            }
        }
        let replay = match (&check, &reason) {
            (Some((key, false)), None) => {
                push(syn::Error::new(
                    key.span(),
                    "`check = false` needs a reason: add `reason = \"…\"` saying why the SQL cannot be replayed on SQLite",
                ));
                false
            }
            (Some((_, false)), Some(reason)) if reason.value().trim().is_empty() => {
                push(syn::Error::new(
                    reason.span(),
                    "the reason is empty; say why the SQL cannot be replayed on SQLite",
                ));
                false
            }
            (Some((_, false)), Some(_)) => false,
            (_, Some(reason)) => {
                push(syn::Error::new(
                    reason.span(),
                    "`reason` explains `check = false`; remove it or add `check = false`",
                ));
                !postgres
            }
            _ => !postgres,
        };
        match errors {
            Some(errors) => Err(errors),
            None => Ok(Input {
                dir,
                options,
                replay,
            }),
        }
    }
}
