//! The macro's arguments: `embed_migrations!("dir", option = value, …)`.
//!
//! Every problem is collected, serde-style: a bad value is reported and the
//! parser moves on to the next option, so one build shows every mistake.

use proc_macro2::{Span, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitInt, LitStr, Token};

/// The directory used when the macro gets no argument.
const DEFAULT_DIR: &str = "migrations";

/// What the user wrote between the parentheses.
pub struct Input {
    /// The directory literal; the span of every format error.
    pub dir: LitStr,
    /// The options.
    pub options: migrate_core::Options,
    /// Whether to replay the migrations on SQLite after the format checks
    /// (read only with the `replay` feature).
    #[cfg_attr(not(feature = "replay"), allow(dead_code))]
    pub replay: bool,
    /// Whether to check a `dialect = "postgres"` set: parse every statement
    /// with PostgreSQL's parser (the `postgres-parse` feature), and replay
    /// it on the server of `MIGRATE_REPLAY_POSTGRES_URL` when it is set.
    pub check_postgres: bool,
    /// Whether to check a `dialect = "mysql"` set: replay it on the server
    /// of `MIGRATE_REPLAY_MYSQL_URL` when it is set (the `mysql-replay`
    /// feature).
    pub check_mysql: bool,
    /// `lint_errors_from = V`: lint findings of migrations from version V
    /// on are compile errors (warnings before it, and without the option).
    pub lint_errors_from: Option<u64>,
}

/// The options the macro knows, for the message about an unknown one.
const KNOWN: &str =
    "`allow_gaps`, `check`, `reason`, `dialect`, `lint_errors_from` and `irreversible_before`";

/// The errors found so far.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The options as written, before they are checked against each other.
#[derive(Default)]
struct Written {
    options: migrate_core::Options,
    check: Option<(Ident, bool)>,
    reason: Option<LitStr>,
    lint_errors_from: Option<u64>,
    /// The options given so far, to refuse one given twice.
    given: Vec<String>,
}

impl Written {
    /// Whether the set is PostgreSQL's (`dialect = "postgres"`).
    fn postgres(&self) -> bool {
        self.options.dialect == migrate_core::Dialect::Postgres
    }

    /// Whether the set is SQLite's, which the replay runs on.
    fn sqlite(&self) -> bool {
        self.options.dialect == migrate_core::Dialect::Sqlite
    }
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Ok(Input {
                dir: LitStr::new(DEFAULT_DIR, Span::call_site()),
                options: migrate_core::Options::default(),
                replay: true,
                check_postgres: false,
                check_mysql: false,
                lint_errors_from: None,
            });
        }
        let dir: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected a string literal naming the migration directory, e.g. `embed_migrations!(\"migrations\")`",
            )
        })?;
        let mut errors = Errors::default();
        // The crate root is no migration directory: its `migrations/` would
        // be read as an environment, and the base set as empty.
        let trimmed = dir.value();
        let trimmed = trimmed.trim().trim_end_matches('/');
        if trimmed.is_empty() || trimmed == "." {
            errors.push(syn::Error::new(
                dir.span(),
                "name the migration directory, e.g. `embed_migrations!(\"migrations\")`; \
                 the crate root is not one (its `migrations/` folder would be read as an \
                 environment, and nothing would be applied)",
            ));
        }
        let mut written = Written::default();
        while !input.is_empty() {
            if let Err(error) = input.parse::<Token![,]>() {
                errors.push(error);
                skip_to_comma(input);
                continue;
            }
            if input.is_empty() {
                break;
            }
            if let Err(error) = option(input, &mut written, &mut errors) {
                errors.push(error);
                skip_to_comma(input);
            }
        }
        let replay = replay(&written, &mut errors);
        // `check = false` (with its reason) turns the parser off too.
        let postgres = written.postgres();
        let checked = !matches!(written.check, Some((_, false)));
        let check_postgres = postgres && checked;
        let check_mysql = written.options.dialect == migrate_core::Dialect::Mysql && checked;
        errors.finish()?;
        Ok(Input {
            dir,
            options: written.options,
            replay,
            check_postgres,
            check_mysql,
            lint_errors_from: written.lint_errors_from,
        })
    }
}

/// Reads one `key = value`.
fn option(input: ParseStream<'_>, written: &mut Written, errors: &mut Errors) -> syn::Result<()> {
    let key: Ident = input.parse()?;
    input.parse::<Token![=]>()?;
    let name = key.to_string();
    if written.given.contains(&name) {
        errors.push(syn::Error::new(
            key.span(),
            format!("`{name}` is given twice; keep one"),
        ));
    }
    written.given.push(name);
    match key.to_string().as_str() {
        "allow_gaps" => written.options.allow_gaps = input.parse::<LitBool>()?.value,
        "check" => written.check = Some((key, input.parse::<LitBool>()?.value)),
        "reason" => written.reason = Some(input.parse::<LitStr>()?),
        "lint_errors_from" => {
            let version: LitInt = input.parse()?;
            match version.base10_parse::<u64>() {
                Ok(v) => written.lint_errors_from = Some(v),
                Err(_) => errors.push(syn::Error::new(
                    version.span(),
                    "`lint_errors_from` takes a migration version, e.g. `lint_errors_from = 12`",
                )),
            }
        }
        "irreversible_before" => {
            let version: LitInt = input.parse()?;
            match version.base10_parse::<u64>() {
                Ok(v) => written.options.irreversible_before = Some(migrate_core::Version(v)),
                Err(_) => errors.push(syn::Error::new(
                    version.span(),
                    "`irreversible_before` takes a migration version, e.g. `irreversible_before = 20240101000000`",
                )),
            }
        }
        "dialect" => {
            let dialect: LitStr = input.parse()?;
            match dialect.value().as_str() {
                "sqlite" => written.options.dialect = migrate_core::Dialect::Sqlite,
                "postgres" | "postgresql" => {
                    written.options.dialect = migrate_core::Dialect::Postgres;
                }
                "mysql" | "mariadb" => written.options.dialect = migrate_core::Dialect::Mysql,
                other => errors.push(syn::Error::new(
                    dialect.span(),
                    format!(
                        "unknown dialect `{other}`; use `sqlite` (the default), `postgres` or `mysql`"
                    ),
                )),
            }
        }
        other => {
            // Skip the value so the remaining options are still checked.
            skip_to_comma(input);
            errors.push(syn::Error::new(
                key.span(),
                format!("unknown option `{other}`; the known options are {KNOWN}"),
            ));
        }
    }
    Ok(())
}

/// Whether to replay, from `check`, `reason` and `dialect` together.
fn replay(written: &Written, errors: &mut Errors) -> bool {
    match (&written.check, &written.reason) {
        (Some((key, false)), None) => {
            errors.push(syn::Error::new(
                key.span(),
                "`check = false` needs a reason: add `reason = \"…\"` saying why the SQL cannot be replayed on SQLite",
            ));
            false
        }
        (Some((_, false)), Some(reason)) if reason.value().trim().is_empty() => {
            errors.push(syn::Error::new(
                reason.span(),
                "the reason is empty; say why the SQL cannot be replayed on SQLite",
            ));
            false
        }
        (Some((_, false)), Some(_)) => false,
        (_, Some(reason)) => {
            errors.push(syn::Error::new(
                reason.span(),
                "`reason` explains `check = false`; remove it or add `check = false`",
            ));
            written.sqlite()
        }
        _ => written.sqlite(),
    }
}

/// Moves past everything up to the next top-level `,` (not consuming it).
fn skip_to_comma(input: ParseStream<'_>) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
}
