//! `migrate lint`: the build-time lints for CI, as text or JSON.

use std::process::ExitCode;

use migrate_core::{Dialect, Finding};

use crate::DirArgs;
use crate::messages::println;

/// Lints the directory; exit code 1 when a finding counts (from `from` on,
/// or any without it).
pub fn lint(
    dir: &DirArgs,
    dialect: Dialect,
    from: Option<u64>,
    json: bool,
) -> Result<ExitCode, String> {
    let set = crate::commands::checked(dir, dialect)?;
    if let Some(note) = crate::commands::rust_skipped(&set, "linted") {
        crate::messages::progress(&note);
    }
    let from = from.map(|from| set.scheme.version_written(from));
    let findings: Vec<Finding> = migrate_core::lint(&set, dialect, from)
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
        crate::messages::progress(&format!(
            "{}{scope} in {}",
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
        "advice": finding.rule.advice(),
    })
}
