//! Rust migrations: each `<version>_<name>.rs` becomes a module of the
//! user's crate (`#[path]` to the file itself, so that its `use`s resolve
//! against the user's dependencies and rustc's errors point into it), and
//! its `up` and `down` are listed for the runtime, typed for the driver
//! its parameter names. A parameter that does not fit the directory's
//! dialect is refused here, naming the file and the line, before rustc
//! would report a mismatch at the macro's call.

use std::path::Path;

use migrate_core::{Dialect, Migration, MigrationSet};
use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::{format_ident, quote};

use crate::input::Input;

/// The Rust source the set's Rust migrations add to the expansion: the
/// modules (and the wrappers of async functions), then `list`, the
/// expression of their functions (`&[…]`).
#[derive(Debug, Clone, Default)]
pub struct RustCode {
    /// The items, as Rust source.
    pub items: String,
    /// A `&'static [Code]` expression, as Rust source.
    pub list: String,
}

/// The modules and the list of the Rust migrations of `set`; every
/// signature that does not fit the dialect is an error.
pub fn rust_code(input: &Input, root: &Path, set: &MigrationSet) -> syn::Result<RustCode> {
    let mut items = Vec::new();
    let mut list = Vec::new();
    let mut errors: Option<syn::Error> = None;
    for migration in set.migrations.iter().filter(|m| m.is_rust()) {
        match one(input, root, migration) {
            Ok((item, code)) => {
                items.push(item.to_string());
                list.push(code.to_string());
            }
            Err(error) => match &mut errors {
                Some(errors) => errors.combine(error),
                None => errors = Some(error),
            },
        }
    }
    if let Some(errors) = errors {
        return Err(errors);
    }
    Ok(RustCode {
        items: items.join("\n"),
        list: format!("&[{}]", list.join(",\n")),
    })
}

/// What a function's parameter and form say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `fn(&rusqlite::Connection)`.
    Sqlite,
    /// `fn(&mut postgres::Transaction<'_>)`.
    Postgres,
    /// `fn(&mut postgres::Client)`.
    PostgresClient,
    /// `async fn(&mut tokio_postgres::Transaction<'_>)`.
    TokioPostgres,
    /// `async fn(&mut tokio_postgres::Client)`.
    TokioPostgresClient,
    /// `fn(&mut mysql::Conn)`: always outside a transaction (a schema
    /// change would end one).
    Mysql,
    /// `async fn(&mut mysql_async::Conn)`.
    MysqlAsync,
    /// `async fn(&mut sqlx::PgConnection)`, in a transaction or not.
    SqlxPostgres,
    /// `async fn(&mut sqlx::MySqlConnection)`: always outside a transaction.
    SqlxMysql,
    /// `async fn(&mut sqlx::SqliteConnection)`, in a transaction or not.
    SqlxSqlite,
}

/// The module of one Rust migration, and its entry in the list.
fn one(input: &Input, root: &Path, m: &Migration) -> syn::Result<(TokenStream, TokenStream)> {
    let file = root.join(m.up_path());
    let file_text = file.to_string_lossy().into_owned();
    // The text `load` read (always kept there); the file itself is
    // compiled by rustc through `#[path]`.
    let text = m.up_file_text().unwrap_or_default();
    let module = format_ident!(
        "m{}_{}",
        m.version.0,
        m.environment().unwrap_or_default().replace('-', "_")
    );
    let error = |line: u32, message: String| {
        syn::Error::new(
            input.dir.span(),
            format!("{}:{line}: {message}", m.up_path()),
        )
    };
    let up_line = m.up().first().map_or(1, |s| s.line);
    let dialect = input.options.dialect;
    let up_form = form(dialect, m.no_transaction(), text, "up").map_err(|e| error(up_line, e))?;
    let down = match m.down().and_then(|d| d.first()) {
        Some(statement) => {
            let down_form = form(dialect, m.no_transaction(), text, "down")
                .map_err(|e| error(statement.line, e))?;
            if let (Some(up), Some(down)) = (up_form, down_form)
                && is_async(up) != is_async(down)
            {
                return Err(error(
                    statement.line,
                    "`up` and `down` must both be `async fn` or both not".to_owned(),
                ));
            }
            Some(down_form)
        }
        None => None,
    };
    // A signature the tokens did not show (written by a macro, say) is
    // left to rustc; its form follows from the dialect and the file.
    let fallback = default_form(dialect, m.no_transaction(), text.contains("async fn"));
    let up_form = up_form.unwrap_or(fallback);
    let (up_item, up_value) = function(&module, "up", up_form);
    let (down_item, down_value) = match down {
        Some(form) => {
            let (item, value) = function(&module, "down", form.unwrap_or(up_form));
            (item, quote! { ::core::option::Option::Some(#value) })
        }
        None => (TokenStream::new(), quote! { ::core::option::Option::None }),
    };
    let version = m.version.0;
    let environment = if let Some(name) = m.environment() {
        quote! { ::core::option::Option::Some(#name) }
    } else {
        quote! { ::core::option::Option::None }
    };
    let item = quote! {
        #[path = #file_text]
        mod #module;
        #up_item
        #down_item
    };
    let code = quote! {
        ::migrate_runtime::__private::code(#version, #environment, #up_value, #down_value)
    };
    Ok((item, code))
}

fn is_async(form: Form) -> bool {
    matches!(
        form,
        Form::TokioPostgres
            | Form::TokioPostgresClient
            | Form::MysqlAsync
            | Form::SqlxPostgres
            | Form::SqlxMysql
    )
}

/// The form of a function whose signature was not found in the tokens.
fn default_form(dialect: Dialect, no_transaction: bool, async_fn: bool) -> Form {
    match (dialect, async_fn, no_transaction) {
        (Dialect::Sqlite, _, _) => Form::Sqlite,
        (Dialect::Postgres, false, false) => Form::Postgres,
        (Dialect::Postgres, false, true) => Form::PostgresClient,
        (Dialect::Postgres, true, false) => Form::TokioPostgres,
        (Dialect::Postgres, true, true) => Form::TokioPostgresClient,
        (Dialect::Mysql, false, _) => Form::Mysql,
        (Dialect::Mysql, true, _) => Form::MysqlAsync,
    }
}

/// The value of `Function` for `module::name`, and the wrapper an async
/// function needs (its future boxed).
fn function(module: &syn::Ident, name: &str, form: Form) -> (TokenStream, TokenStream) {
    let name = format_ident!("{name}");
    let wrapper = format_ident!("{module}_{name}");
    let private = quote! { ::migrate_runtime::__private };
    match form {
        Form::Sqlite => (
            TokenStream::new(),
            quote! { #private::Function::Sqlite(#module::#name) },
        ),
        Form::Postgres => (
            TokenStream::new(),
            quote! { #private::Function::Postgres(#module::#name) },
        ),
        Form::PostgresClient => (
            TokenStream::new(),
            quote! { #private::Function::PostgresClient(#module::#name) },
        ),
        Form::TokioPostgres => (
            quote! {
                fn #wrapper<'a, 'b>(
                    transaction: &'a mut ::migrate_runtime::tokio_postgres::Transaction<'b>,
                ) -> #private::PendingCode<'a> {
                    ::std::boxed::Box::pin(#module::#name(transaction))
                }
            },
            quote! { #private::Function::TokioPostgres(#wrapper) },
        ),
        Form::TokioPostgresClient => (
            quote! {
                fn #wrapper<'a>(
                    client: &'a mut ::migrate_runtime::tokio_postgres::Client,
                ) -> #private::PendingCode<'a> {
                    ::std::boxed::Box::pin(#module::#name(client))
                }
            },
            quote! { #private::Function::TokioPostgresClient(#wrapper) },
        ),
        Form::Mysql => (
            TokenStream::new(),
            quote! { #private::Function::Mysql(#module::#name) },
        ),
        Form::MysqlAsync => (
            quote! {
                fn #wrapper<'a>(
                    conn: &'a mut ::migrate_runtime::mysql_async::Conn,
                ) -> #private::PendingCode<'a> {
                    ::std::boxed::Box::pin(#module::#name(conn))
                }
            },
            quote! { #private::Function::MysqlAsync(#wrapper) },
        ),
        Form::SqlxPostgres => (
            quote! {
                fn #wrapper<'a>(
                    conn: &'a mut ::migrate_runtime::sqlx::PgConnection,
                ) -> #private::PendingCode<'a> {
                    ::std::boxed::Box::pin(#module::#name(conn))
                }
            },
            quote! { #private::Function::SqlxPostgres(#wrapper) },
        ),
        Form::SqlxMysql => (
            quote! {
                fn #wrapper<'a>(
                    conn: &'a mut ::migrate_runtime::sqlx::MySqlConnection,
                ) -> #private::PendingCode<'a> {
                    ::std::boxed::Box::pin(#module::#name(conn))
                }
            },
            quote! { #private::Function::SqlxMysql(#wrapper) },
        ),
        Form::SqlxSqlite => (
            quote! {
                fn #wrapper<'a>(
                    conn: &'a mut ::migrate_runtime::sqlx::SqliteConnection,
                ) -> #private::PendingCode<'a> {
                    ::std::boxed::Box::pin(#module::#name(conn))
                }
            },
            quote! { #private::Function::SqlxSqlite(#wrapper) },
        ),
    }
}

/// The form of function `name` in `text`, as its tokens show it; `Ok(None)`
/// when they do not show it; `Err` with what to write when it does not fit.
fn form(
    dialect: Dialect,
    no_transaction: bool,
    text: &str,
    name: &str,
) -> Result<Option<Form>, String> {
    let Ok(tokens) = text.parse::<TokenStream>() else {
        return Ok(None);
    };
    let Some(signature) = signature(tokens, name) else {
        return Ok(None);
    };
    if signature.is_sqlx() {
        return sqlx_form(dialect, &signature, name);
    }
    let expected = default_form(dialect, no_transaction, signature.is_async);
    let (want_mut, crate_name, type_name) = match expected {
        Form::Sqlite => (false, "rusqlite", "Connection"),
        Form::Postgres => (true, "postgres", "Transaction"),
        Form::PostgresClient => (true, "postgres", "Client"),
        Form::TokioPostgres => (true, "tokio_postgres", "Transaction"),
        Form::TokioPostgresClient => (true, "tokio_postgres", "Client"),
        Form::Mysql => (true, "mysql", "Conn"),
        Form::MysqlAsync => (true, "mysql_async", "Conn"),
        Form::SqlxPostgres => (true, "sqlx", "PgConnection"),
        Form::SqlxMysql => (true, "sqlx", "MySqlConnection"),
        Form::SqlxSqlite => (true, "sqlx", "SqliteConnection"),
    };
    let lifetime = if type_name == "Transaction" {
        "<'_>"
    } else {
        ""
    };
    let wanted = format!(
        "`{}fn {name}(…: &{}{crate_name}::{type_name}{lifetime}) -> Result<(), Box<dyn std::error::Error + Send + Sync>>`",
        if signature.is_async { "async " } else { "" },
        if want_mut { "mut " } else { "" },
    );
    let why = match expected {
        _ if dialect == Dialect::Sqlite && signature.is_async => {
            "a SQLite Rust migration is not `async`".to_owned()
        }
        Form::Sqlite if signature.type_name.as_deref() == Some("Transaction") => {
            "a SQLite Rust migration takes the connection: it runs inside the migrator's \
             transaction, and rusqlite gives a `Transaction` only to the code that begins one"
                .to_owned()
        }
        Form::PostgresClient | Form::TokioPostgresClient
            if signature.type_name.as_deref() == Some("Transaction") =>
        {
            "with `// +migrate NoTransaction` the migration runs outside a transaction and takes the client"
                .to_owned()
        }
        Form::Postgres | Form::TokioPostgres if signature.type_name.as_deref() == Some("Client") => {
            "the migration runs in the migrator's transaction (`// +migrate NoTransaction` gives it the client)"
                .to_owned()
        }
        _ => String::new(),
    };
    let other_crate = signature.crates.iter().find(|c| {
        [
            "rusqlite",
            "postgres",
            "tokio_postgres",
            "mysql",
            "mysql_async",
            "sqlx",
        ]
        .contains(&c.as_str())
            && *c != crate_name
    });
    let fits = signature.parameters == 1
        && signature.returns
        && signature.is_reference
        && signature.is_mut == want_mut
        && signature.type_name.as_deref() == Some(type_name)
        && other_crate.is_none();
    if fits {
        return Ok(Some(expected));
    }
    let dialect = match dialect {
        Dialect::Postgres => "a `dialect = \"postgres\"` directory",
        Dialect::Mysql => "a `dialect = \"mysql\"` directory",
        Dialect::Sqlite => "a SQLite directory",
    };
    let mut message = format!("in {dialect}, `{name}` must be {wanted}");
    if let Some(other) = other_crate {
        message = format!("{message} (`{other}` is another database's driver)");
    }
    if !why.is_empty() {
        message.push_str("; ");
        message.push_str(&why);
    }
    Err(message)
}

/// What the tokens of a function's signature say.
#[derive(Debug, Default)]
struct Signature {
    is_async: bool,
    parameters: usize,
    returns: bool,
    is_reference: bool,
    is_mut: bool,
    /// The path's segments before the type's name.
    crates: Vec<String>,
    type_name: Option<String>,
}

impl Signature {
    /// Whether the function names sqlx's connection.
    fn is_sqlx(&self) -> bool {
        self.crates.iter().any(|c| c == "sqlx")
            || matches!(
                self.type_name.as_deref(),
                Some("PgConnection" | "MySqlConnection")
            )
    }
}

/// The form of a function written for sqlx's connection: on PostgreSQL and
/// SQLite the same in a run's transaction (the connection is in it) and
/// outside one; on MySQL always outside one.
fn sqlx_form(dialect: Dialect, signature: &Signature, name: &str) -> Result<Option<Form>, String> {
    let either = "in the run's transaction the connection is in it; with `// +migrate NoTransaction` it is not";
    let (form, type_name, directory, note) = match dialect {
        Dialect::Postgres => (Form::SqlxPostgres, "PgConnection", "postgres", either),
        Dialect::Sqlite => (Form::SqlxSqlite, "SqliteConnection", "sqlite", either),
        Dialect::Mysql => (
            Form::SqlxMysql,
            "MySqlConnection",
            "mysql",
            "it runs outside a transaction, as a schema change would end one",
        ),
    };
    let fits = signature.is_async
        && signature.parameters == 1
        && signature.returns
        && signature.is_reference
        && signature.is_mut
        && signature.type_name.as_deref() == Some(type_name);
    if fits {
        return Ok(Some(form));
    }
    Err(format!(
        "in a `dialect = \"{directory}\"` directory, `{name}` written for sqlx's connection must be \
         `async fn {name}(…: &mut sqlx::{type_name}) -> Result<(), Box<dyn std::error::Error + Send + Sync>>` \
         ({note})"
    ))
}

/// The signature of the top-level function `name`, if the tokens have one.
fn signature(tokens: TokenStream, name: &str) -> Option<Signature> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let at = tokens.windows(2).position(|pair| {
        matches!(&pair[0], TokenTree::Ident(i) if i == "fn")
            && matches!(&pair[1], TokenTree::Ident(i) if i == name)
    })?;
    let is_async = at > 0 && matches!(&tokens[at - 1], TokenTree::Ident(i) if i == "async");
    let rest = &tokens[at + 2..];
    let (index, group) = rest.iter().enumerate().find_map(|(i, t)| match t {
        TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => Some((i, g.clone())),
        _ => None,
    })?;
    let returns = matches!(
        (rest.get(index + 1), rest.get(index + 2)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == '-' && a.spacing() == Spacing::Joint && b.as_char() == '>'
    );
    let parameter: Vec<TokenTree> = group.stream().into_iter().collect();
    let mut signature = Signature {
        is_async,
        returns,
        ..Signature::default()
    };
    let mut depth = 0i32;
    let mut current = Vec::new();
    let mut parameters = Vec::new();
    for token in parameter {
        if let TokenTree::Punct(p) = &token {
            match p.as_char() {
                '<' => depth += 1,
                '>' => depth -= 1,
                ',' if depth == 0 => {
                    parameters.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
        }
        current.push(token);
    }
    if !current.is_empty() {
        parameters.push(current);
    }
    signature.parameters = parameters.len();
    let Some(first) = parameters.first() else {
        return Some(signature);
    };
    // The type: after the first `:` that is not part of a `::`.
    let colon = first.iter().enumerate().position(|(i, t)| {
        matches!(t, TokenTree::Punct(p) if p.as_char() == ':' && p.spacing() == Spacing::Alone)
            && !matches!(i.checked_sub(1).and_then(|j| first.get(j)), Some(TokenTree::Punct(p)) if p.as_char() == ':')
    })?;
    let mut ty = first[colon + 1..].iter().peekable();
    if matches!(ty.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '&') {
        signature.is_reference = true;
        ty.next();
    }
    let mut path = Vec::new();
    while let Some(token) = ty.next() {
        match token {
            // A lifetime: `'` then its name.
            TokenTree::Punct(p) if p.as_char() == '\'' => {
                ty.next();
            }
            TokenTree::Ident(i) if i == "mut" && path.is_empty() => signature.is_mut = true,
            TokenTree::Ident(i) => path.push(i.to_string()),
            TokenTree::Punct(p) if p.as_char() == ':' => {}
            _ => break,
        }
    }
    signature.type_name = path.pop();
    signature.crates = path;
    Some(signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(postgres: bool, no_transaction: bool, text: &str) -> Result<Option<Form>, String> {
        let dialect = if postgres {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        };
        form(dialect, no_transaction, text, "up")
    }

    #[test]
    fn mysql_signatures() {
        let conn = "pub fn up(conn: &mut mysql::Conn) -> R { Ok(()) }";
        assert_eq!(
            form(Dialect::Mysql, false, conn, "up"),
            Ok(Some(Form::Mysql))
        );
        let task = "pub async fn up(conn: &mut mysql_async::Conn) -> R { Ok(()) }";
        assert_eq!(
            form(Dialect::Mysql, false, task, "up"),
            Ok(Some(Form::MysqlAsync))
        );
        let sqlite = "pub fn up(conn: &rusqlite::Connection) -> R { Ok(()) }";
        let error = form(Dialect::Mysql, false, sqlite, "up").expect_err("refused");
        assert!(
            error.contains(
                "in a `dialect = \"mysql\"` directory, `up` must be `fn up(…: &mut mysql::Conn)"
            ) && error.contains("another database's driver"),
            "{error}"
        );
    }

    #[test]
    fn signatures_that_fit() {
        let sqlite =
            "use rusqlite::Connection;\npub fn up(conn: &Connection) -> Result<(), E> { Ok(()) }";
        assert_eq!(checked(false, false, sqlite), Ok(Some(Form::Sqlite)));
        let postgres = "pub fn up(tx: &mut postgres::Transaction<'_>) -> R { Ok(()) }";
        assert_eq!(checked(true, false, postgres), Ok(Some(Form::Postgres)));
        let client = "pub fn up(c: &mut ::postgres::Client) -> R { Ok(()) }";
        assert_eq!(checked(true, true, client), Ok(Some(Form::PostgresClient)));
        let task = "pub async fn up(tx: &mut migrate_runtime::tokio_postgres::Transaction<'_>) -> R { Ok(()) }";
        assert_eq!(checked(true, false, task), Ok(Some(Form::TokioPostgres)));
        assert_eq!(checked(false, false, "macro_rules! m {}"), Ok(None));
    }

    #[test]
    fn signatures_that_do_not() {
        let postgres_in_sqlite = "pub fn up(tx: &mut postgres::Transaction<'_>) -> R { Ok(()) }";
        let error = checked(false, false, postgres_in_sqlite).expect_err("refused");
        assert!(
            error.contains("`fn up(…: &rusqlite::Connection)"),
            "{error}"
        );
        let transaction = "pub fn up(tx: &rusqlite::Transaction<'_>) -> R { Ok(()) }";
        let error = checked(false, false, transaction).expect_err("refused");
        assert!(error.contains("begins one"), "{error}");
        let two = "pub fn up(tx: &mut postgres::Transaction<'_>, n: u32) -> R { Ok(()) }";
        assert!(checked(true, false, two).is_err());
        let nothing_returned = "pub fn up(tx: &mut postgres::Transaction<'_>) { }";
        assert!(checked(true, false, nothing_returned).is_err());
        let client_in_transaction = "pub fn up(c: &mut postgres::Client) -> R { Ok(()) }";
        let error = checked(true, false, client_in_transaction).expect_err("refused");
        assert!(error.contains("NoTransaction"), "{error}");
    }
}
