//! Turns a validated directory into tokens, and problems into compile errors.

use std::path::{Path, PathBuf};

use migrate_core::{Migration, Statement};
use proc_macro2::TokenStream;
use quote::quote;

use crate::input::Input;
use crate::rust_code::{RustCode, rust_code};

/// The variable that, when set, replaces `CARGO_MANIFEST_DIR` as the root the
/// directory is relative to. Test harnesses such as trybuild build crates
/// inside `target/`, where `CARGO_MANIFEST_DIR` does not hold the fixtures.
const ROOT_OVERRIDE: &str = "MIGRATE_MANIFEST_DIR";

/// The root the directory is relative to: the crate's.
pub fn root(input: &Input) -> syn::Result<PathBuf> {
    std::env::var_os(ROOT_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .map(PathBuf::from)
        .ok_or_else(|| {
            syn::Error::new(
                input.dir.span(),
                "`CARGO_MANIFEST_DIR` is not set; `embed_migrations!` must be built by cargo",
            )
        })
}

/// What a successful expansion is made of: the lint warnings, the set as
/// it is embedded, and the items that track what it was read from. The
/// cache keeps the set encoded; without a cache it becomes constants.
pub struct Expansion {
    /// The warnings' items (empty when nothing is found).
    pub lints: TokenStream,
    /// The migrations as embedded (the file's text only where refinery's
    /// checksums need it).
    pub set: Vec<Migration>,
    /// The items that make cargo build again when a file or the replay's
    /// variable changes, as Rust source.
    pub tracking: String,
    /// The Rust migrations' modules and functions.
    pub code: RustCode,
}

impl Expansion {
    /// The macro's output with the set given as `data` (the set itself, or
    /// an `include!` of the file that holds it).
    pub fn with(lints: &TokenStream, data: &TokenStream) -> TokenStream {
        quote! { { #lints #data } }
    }

    /// The set as constants, where no cache holds it.
    pub fn data_tokens(&self) -> syn::Result<TokenStream> {
        constants(&self.set, &self.tracking, &self.code)
            .parse()
            .map_err(|error: proc_macro2::LexError| {
                syn::Error::new(proc_macro2::Span::call_site(), error.to_string())
            })
    }
}

/// Rust source of a block whose value is the `Migrations` of `set`, as
/// constants, with the `tracking` items. Each piece is turned into text on
/// its own; the compiler's printer is slow on one stream the size of the
/// set (2 s at 1,000 migrations).
///
/// Two constants per migration (its statements, Up then Down, and the
/// migration, whose sections are slices of them), built from concrete
/// `const fn`s: rustc checks many small items in linear time, where one
/// expression the size of the set is far from it (8,000 migrations took
/// 3.5 min and 24 GB that way). Measured at 1,000 / 3,000 migrations,
/// `cargo check` after an edit (cold) and after a touch (incremental):
/// these two items 0.56 / 1.8 s and 0.25 / 0.72 s; three items (the Down
/// in its own list) 0.86 s and 0.28 s; the migrations inline in `ALL`
/// 0.90 / 3.1 s and 0.22 / 0.62 s; one list of every statement, sliced,
/// 2.2 s and 0.19 s at 1,000.
fn constants(set: &[Migration], tracking: &str, code: &RustCode) -> String {
    let mut all = Statements::default();
    let migrations: Vec<TokenStream> = set.iter().map(|m| migration(m, &mut all)).collect();
    format!(
        "{{\n#[doc(hidden)]\n#[allow(non_upper_case_globals)]\nmod __embedded_migrations {{\n\
         {tracking}\n\
         {statements}\n\
         {migrations}\n\
         pub(super) const ALL: &[::migrate_runtime::__private::Migration] = &[{names}];\n\
         }}\n{code_items}\n\
         ::migrate_runtime::__private::set(\
         ::migrate_runtime::__private::migrations(__embedded_migrations::ALL), {code_list})\n}}\n",
        code_items = code.items,
        code_list = code.list,
        statements = all.items.join("\n"),
        migrations = migrations
            .iter()
            .enumerate()
            .map(|(i, m)| format!("const M{i}: ::migrate_runtime::__private::Migration = {m};"))
            .collect::<Vec<_>>()
            .join("\n"),
        names = (0..migrations.len())
            .map(|i| format!("M{i}"))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The text of `items`, one by one, separated by commas.
fn joined(items: &[TokenStream]) -> String {
    let texts: Vec<String> = items.iter().map(ToString::to_string).collect();
    texts.join(",\n")
}

/// Reads, validates and embeds the directory at `root`. With `resume`, the
/// SQLite replay starts from the snapshots there (of the longest prefix of
/// the set that replayed before) and leaves new ones.
pub fn expand(input: &Input, root: &Path, resume: Option<&Path>) -> syn::Result<Expansion> {
    let set = migrate_core::load(root, &input.dir.value(), &input.options).map_err(|problems| {
        combine(input, &problems)
            .unwrap_or_else(|| syn::Error::new(input.dir.span(), "invalid migration directory"))
    })?;
    #[cfg(feature = "replay")]
    if input.replay {
        let problems = match resume {
            Some(dir) => migrate_replay::replay_resuming(&set, dir, env!("MIGRATE_MACROS_BUILD")),
            None => migrate_replay::replay(&set),
        };
        if let Some(error) = combine(input, &problems) {
            return Err(error);
        }
    }
    #[cfg(not(feature = "replay"))]
    let _ = resume;
    let traced = if input.check_postgres {
        check_postgres(input, &set)?
    } else {
        Vec::new()
    };
    if input.check_mysql {
        crate::check_mysql::check_mysql(input, &set)?;
    }
    let lints = lints(input, &set, &traced)?;
    let code = rust_code(input, root, &set)?;
    // Every file read, so that cargo builds again when one changes: one
    // item for all (an item each costs rustc 0.07 s more at 1,000 files).
    let count = set.files.len();
    let files: Vec<TokenStream> = set
        .files
        .iter()
        .map(|file| {
            let file = file.to_string_lossy();
            quote! { ::core::include_bytes!(#file) }
        })
        .collect();
    // The replay depends on the variable: cargo builds again when it changes.
    let tracked_variable = match (input.check_postgres, input.check_mysql) {
        (true, _) => {
            quote! { const _: bool = ::core::option_env!(#REPLAY_URL).is_some(); }.to_string()
        }
        (_, true) => {
            let variable = crate::check_mysql::MYSQL_REPLAY_URL;
            quote! { const _: bool = ::core::option_env!(#variable).is_some(); }.to_string()
        }
        _ => String::new(),
    };
    let tracking = format!(
        "const _: [&[u8]; {count}] = [{files}];\n{tracked_variable}\n",
        files = joined(&files),
    );
    // The file's text is embedded only for refinery's checksums.
    let set = set
        .migrations
        .into_iter()
        .map(|m| Migration {
            up_file_text: m.up_file_text.filter(|_| cfg!(feature = "source")),
            ..m
        })
        .collect();
    Ok(Expansion {
        lints,
        set,
        tracking,
        code,
    })
}

/// The variable naming a PostgreSQL server to replay a `dialect =
/// "postgres"` set on at build time; without it nothing connects anywhere.
pub const REPLAY_URL: &str = "MIGRATE_REPLAY_POSTGRES_URL";

/// The checks of a `dialect = "postgres"` set: every statement parsed by
/// PostgreSQL's parser, then, when `MIGRATE_REPLAY_POSTGRES_URL` names a
/// server, the replay on a scratch database of it, which traces what each
/// statement locks, rewrites and reads for the lints.
fn check_postgres(
    input: &Input,
    set: &migrate_core::MigrationSet,
) -> syn::Result<Vec<migrate_core::TracedStatement>> {
    #[cfg(feature = "postgres-parse")]
    if let Some(problems) = migrate_replay::parse_postgres(set)
        && let Some(error) = combine(input, &problems)
    {
        return Err(error);
    }
    let Some(url) = replay_url(REPLAY_URL, std::env::var(REPLAY_URL))
        .map_err(|e| syn::Error::new(input.dir.span(), e))?
    else {
        return Ok(Vec::new());
    };
    // Cargo writes the variables a build reads, with their values, into
    // `target/` (dep-info, fingerprints): a password there would be kept,
    // and cached by CI. The password comes from `PGPASSWORD` instead,
    // which the build reads without tracking.
    if carries_password(&url) {
        return Err(syn::Error::new(
            input.dir.span(),
            format!(
                "the URL in `{REPLAY_URL}` carries a password, and cargo writes the variables \
                 a build reads, with their values, into `target/`; give the URL without it and \
                 the password in `PGPASSWORD`, which the build reads and never writes"
            ),
        ));
    }
    #[cfg(feature = "postgres-replay")]
    {
        let traced = migrate_replay::replay_postgres_traced(set, &url).map_err(|error| {
            let message = format!(
                "cannot replay the migrations on the server of `{REPLAY_URL}`: {error}; \
                 start the server or fix the variable, or unset it to build without the replay"
            );
            syn::Error::new(input.dir.span(), message)
        })?;
        combine(input, &traced.problems).map_or(Ok(traced.statements), Err)
    }
    #[cfg(not(feature = "postgres-replay"))]
    {
        let _ = (set, url);
        Err(syn::Error::new(
            input.dir.span(),
            format!(
                "`{REPLAY_URL}` is set, but `migrate-runtime` was built without its `postgres-replay` feature; \
                 turn the feature on to replay the migrations on that server, or unset the variable"
            ),
        ))
    }
}

/// The replay's server from the variable's value: none when it is unset;
/// set but empty (a CI secret that did not arrive) or not UTF-8, an error,
/// since the build would otherwise go on without the replay and say
/// nothing.
pub(crate) fn replay_url(
    variable: &str,
    value: Result<String, std::env::VarError>,
) -> Result<Option<String>, String> {
    match value {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!(
            "`{variable}` is not valid UTF-8; give it a server's URL, or unset it to build \
             without the replay"
        )),
        Ok(url) if url.trim().is_empty() => Err(format!(
            "`{variable}` is set but empty, so the migrations would not be replayed; give it a \
             server's URL, or unset it to build without the replay"
        )),
        Ok(url) => Ok(Some(url)),
    }
}

/// Whether a PostgreSQL or MySQL URL (`postgres://user:password@host/db`)
/// or a connection string (`… password=…`) carries a password.
pub(crate) fn carries_password(url: &str) -> bool {
    match url.split_once("://") {
        Some((_, rest)) => {
            let authority = rest.split(['/', '?']).next().unwrap_or_default();
            authority
                .rsplit_once('@')
                .is_some_and(|(user, _)| user.contains(':'))
                || rest
                    .split_once('?')
                    .is_some_and(|(_, query)| query.split('&').any(|p| p.starts_with("password=")))
        }
        None => url
            .split_whitespace()
            .any(|pair| pair.trim_start().starts_with("password")),
    }
}

/// The lint findings: compile errors from `lint_errors_from` on, warnings
/// before it (and without it), and always in the history below
/// `irreversible_before`. A proc macro has no warning of its own on
/// stable Rust: each one is the use of a deprecated constant whose note is
/// the finding, at the directory literal.
fn lints(
    input: &Input,
    set: &migrate_core::MigrationSet,
    traced: &[migrate_core::TracedStatement],
) -> syn::Result<TokenStream> {
    let dialect = input.options.dialect;
    let from = input
        .lint_errors_from
        .map(|from| set.scheme.version_written(from));
    let (errors, warnings): (Vec<_>, Vec<_>) =
        migrate_core::lint_traced(set, dialect, from, traced)
            .into_iter()
            .partition(|finding| {
                from.is_some_and(|from| finding.version >= from) && !set.is_history(finding.version)
            });
    if let Some(errors) = combine(input, &errors) {
        return Err(errors);
    }
    if warnings.is_empty() {
        return Ok(TokenStream::new());
    }
    // Read as `use of deprecated constant `…::migration_lint::drop_column`:
    // <the finding>`, at the directory literal.
    let span = input.dir.span();
    let (names, notes): (Vec<_>, Vec<_>) = warnings
        .iter()
        .enumerate()
        .map(|(i, finding)| {
            let code = finding.rule.code().replace('-', "_");
            let name = if i == 0 {
                quote::format_ident!("{code}", span = span)
            } else {
                quote::format_ident!("{code}_{i}", span = span)
            };
            (name, finding.to_string())
        })
        .unzip();
    Ok(quote::quote_spanned! {span=>
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        mod migration_lint {
            #(
                #[deprecated(note = #notes)]
                pub(super) const #names: () = ();
            )*
        }
        #(const _: () = migration_lint::#names;)*
    })
}

/// One error per problem (or lint finding), all on the directory literal.
pub(crate) fn combine(input: &Input, problems: &[impl std::fmt::Display]) -> Option<syn::Error> {
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
            ::migrate_runtime::__private::set(::migrate_runtime::__private::migrations(&[]), &[])
        }
    }
}

/// The statement lists of the set, one constant per migration (`S0`,
/// `S1` …: its Up, then its Down), as text.
#[derive(Default)]
struct Statements {
    items: Vec<String>,
}

impl Statements {
    /// Adds a constant holding the Up and Down statements of one migration
    /// and returns the two sections, slices of it.
    fn sections(
        &mut self,
        up: &[Statement],
        down: Option<&[Statement]>,
    ) -> (TokenStream, Option<TokenStream>) {
        let name = quote::format_ident!("S{}", self.items.len());
        let list = up.iter().chain(down.unwrap_or_default()).map(|s| {
            let (sql, line) = (s.sql(), s.line);
            quote! { ::migrate_runtime::__private::statement(#sql, #line) }
        });
        self.items.push(
            quote! { const #name: &[::migrate_runtime::__private::Statement] = &[#(#list),*]; }
                .to_string(),
        );
        let ups = up.len();
        let section = |start: usize, len: usize| {
            quote! { ::migrate_runtime::__private::slice(#name, #start, #len) }
        };
        (section(0, ups), down.map(|down| section(ups, down.len())))
    }
}

/// One migration as a value of the one `Migration` type, its texts
/// borrowed from the binary, its statements slices of `all`.
fn migration(m: &Migration, all: &mut Statements) -> TokenStream {
    let version = m.version.0;
    let label = text(&m.name);
    let environment = option(m.environment.as_deref());
    let up_path = text(&m.up_path);
    let down_path = option(m.down_path.as_deref());
    let (up, down) = all.sections(&m.up, m.down.as_deref());
    let down = if let Some(down) = down {
        quote! { ::core::option::Option::Some(#down) }
    } else {
        quote! { ::core::option::Option::None }
    };
    let no_transaction = m.no_transaction;
    let foreign_keys_off = m.foreign_keys_off;
    let unordered = m.unordered;
    let rust = m.rust;
    // Byte strings: one token each, where an array is 32 or 48 literals
    // for rustc to type (0.04 s at 1,000 migrations).
    let checksum = proc_macro2::Literal::byte_string(&m.checksum.0);
    let no_check = option(m.no_check.as_deref());
    let idempotent = option(m.idempotent.as_deref());
    let sha384 = proc_macro2::Literal::byte_string(&m.up_file_sha384);
    let up_file_text = option(m.up_file_text.as_deref());
    let timeout = duration(m.timeout);
    let lock_timeout = duration(m.lock_timeout);
    quote! {
        ::migrate_runtime::__private::Migration {
            version: ::migrate_runtime::__private::Version(#version),
            name: #label,
            environment: #environment,
            up_path: #up_path,
            down_path: #down_path,
            up: #up,
            down: #down,
            no_transaction: #no_transaction,
            foreign_keys_off: #foreign_keys_off,
            unordered: #unordered,
            checksum: ::migrate_runtime::__private::Checksum(*#checksum),
            up_file_sha384: *#sha384,
            up_file_text: #up_file_text,
            timeout: #timeout,
            lock_timeout: #lock_timeout,
            idempotent: #idempotent,
            no_check: #no_check,
            rust: #rust,
        }
    }
}

/// A file's `Timeout` or `LockTimeout`, in milliseconds.
fn duration(limit: Option<std::time::Duration>) -> TokenStream {
    if let Some(limit) = limit {
        let millis = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        quote! { ::core::option::Option::Some(::core::time::Duration::from_millis(#millis)) }
    } else {
        quote! { ::core::option::Option::None }
    }
}

fn text(value: &str) -> TokenStream {
    quote! { ::migrate_runtime::__private::text(#value) }
}

fn option(value: Option<&str>) -> TokenStream {
    if let Some(value) = value {
        let value = text(value);
        quote! { ::core::option::Option::Some(#value) }
    } else {
        quote! { ::core::option::Option::None }
    }
}

#[cfg(test)]
mod tests {
    use std::env::VarError;

    use super::{REPLAY_URL, carries_password, replay_url};

    #[test]
    fn an_empty_replay_url_is_refused_and_an_unset_one_means_no_replay() {
        assert_eq!(replay_url(REPLAY_URL, Err(VarError::NotPresent)), Ok(None));
        assert_eq!(
            replay_url(REPLAY_URL, Ok("postgres://db/app".into())),
            Ok(Some("postgres://db/app".into()))
        );
        for empty in ["", "  "] {
            let refused = replay_url(REPLAY_URL, Ok(empty.into())).expect_err("refused");
            assert!(refused.contains("is set but empty"), "{refused}");
        }
        let odd = std::ffi::OsString::from("x");
        assert!(replay_url(REPLAY_URL, Err(VarError::NotUnicode(odd))).is_err());
    }

    #[test]
    fn a_password_in_the_replay_url_is_found_in_every_form() {
        for with in [
            "postgres://app:S3cret@db/app",
            "postgresql://app:S3cret@db:5432/app?sslmode=disable",
            "postgres://app@db/app?password=S3cret",
            "host=db user=app password=S3cret",
        ] {
            assert!(carries_password(with), "{with}");
        }
        for without in [
            "postgres://app@db/app",
            "postgres://db/app",
            "postgres://app@db/app?application_name=x:y",
            "host=db user=app",
        ] {
            assert!(!carries_password(without), "{without}");
        }
    }
}
