//! `migrate lint`: the build-time lints for CI, as text or JSON.

use std::process::ExitCode;

use migrate_core::{Dialect, Finding};

use crate::DirArgs;
use crate::messages::println;

/// Lints the directory, with the locks traced on the PostgreSQL server of
/// `replay_url` when there is one; exit code 1 when a finding counts (from
/// `from` on, or any without it).
pub fn lint(
    dir: &DirArgs,
    dialect: Dialect,
    from: Option<u64>,
    json: bool,
    replay_url: Option<&str>,
) -> Result<ExitCode, String> {
    let set = crate::commands::checked(dir, dialect)?;
    if let Some(note) = crate::commands::rust_skipped(&set, "linted") {
        crate::messages::progress(&note);
    }
    let traced = match replay_url {
        Some(url) => match traced(&set, dialect, url)? {
            Ok(traced) => traced,
            Err(failed) => return Ok(failed),
        },
        None => Vec::new(),
    };
    let from = from.map(|from| set.scheme.version_written(from));
    let findings: Vec<Finding> = migrate_core::lint_traced(&set, dialect, from, &traced)
        .into_iter()
        .filter(|finding| {
            from.is_none_or(|from| finding.version >= from) && !set.is_history(finding.version)
        })
        .collect();
    if json {
        let list: Vec<serde_json::Value> = findings.iter().map(to_json).collect();
        let value = serde_json::json!({ "dir": set.dir, "findings": list });
        println(&serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?);
    } else {
        for finding in &findings {
            println(&finding.to_string());
        }
        let scope = from
            .map(|v| format!(" from version {v} on"))
            .unwrap_or_default();
        let server = if replay_url.is_some() {
            ", with the locks traced on the PostgreSQL server"
        } else {
            ""
        };
        crate::messages::progress(&format!(
            "{}{scope} in {}{server}",
            crate::commands::count(findings.len(), "finding"),
            set.dir
        ));
    }
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn to_json(finding: &Finding) -> serde_json::Value {
    serde_json::json!({
        "code": finding.rule.code(),
        "category": finding.rule.category().as_str(),
        "version": finding.version.0,
        "path": finding.path,
        "line": finding.line,
        "what": finding.what,
        "traced": finding.traced,
        "advice": finding.rule.advice(),
    })
}

/// What the PostgreSQL server of `url` traced of each statement, by the
/// replay on a scratch database; `Err(exit code)` when the replay found
/// problems (printed: the locks of migrations that do not run are not
/// known).
fn traced(
    set: &migrate_core::MigrationSet,
    dialect: Dialect,
    url: &str,
) -> Result<Result<Vec<migrate_core::TracedStatement>, ExitCode>, String> {
    if dialect != Dialect::Postgres {
        return Err(
            "`--replay-url` traces the locks on a PostgreSQL server (or comes from \
             `MIGRATE_REPLAY_POSTGRES_URL`): add `--dialect postgres`, or unset it"
                .into(),
        );
    }
    let traced = migrate_replay::replay_postgres_traced(set, url).map_err(|error| {
        format!("cannot replay the migrations on the server of `--replay-url` (or its variable): {error}")
    })?;
    if traced.problems.is_empty() {
        return Ok(Ok(traced.statements));
    }
    for problem in &traced.problems {
        crate::report_error(&crate::messages::problem(problem));
    }
    crate::messages::progress(&format!(
        "{} in {}: the migrations must replay before their locks can be traced (`migrate \
         validate` shows the same)",
        crate::commands::count(traced.problems.len(), "problem"),
        set.dir
    ));
    Ok(Err(ExitCode::FAILURE))
}
