#!/usr/bin/env bash
# What the build-time check costs a user: a crate outside this repository,
# set up as the README's Quick start says (the `opt-level = 3` line, the
# one-line build.rs), with N generated migrations of three statements
# each, timed with `cargo check` (wall time and peak memory of the whole
# command, median of RUNS). Prints a Markdown table with the date, the
# machine and the commit, for docs/build-time-proof.md and the README.
#
#   benches/build_cost.sh            # 1,000 and 5,000 migrations, 3 runs each
#   RUNS=5 SIZES="1000" benches/build_cost.sh
#
# Run from the project root, with nothing else building (two cores).
set -euo pipefail
proj=$(pwd)
[ -f "$proj/migrate-runtime/Cargo.toml" ] || { echo "run from the project root" >&2; exit 1; }
runs=${RUNS:-3}
sizes=${SIZES:-"1000 5000"}
work=${BUILD_COST_WORK:-${TMPDIR:-/tmp}/migrate-build-cost}
export CARGO_TARGET_DIR=${BUILD_COST_TARGET:-${TMPDIR:-/tmp}/migrate-build-cost-target}
unset MIGRATE_REPLAY_POSTGRES_URL

# The crate, its migrations written by `migration N`.
migration() {
  local k=$1 edit=${2:-}
  printf -- '-- +migrate Up\nCREATE TABLE t_%d (id INTEGER PRIMARY KEY, name TEXT NOT NULL%s);\nCREATE INDEX t_%d_name ON t_%d (name);\nINSERT INTO t_%d (name) VALUES (%s);\n-- +migrate Down\nDROP TABLE t_%d;\n' \
    "$k" "$edit" "$k" "$k" "$k" "'row $k'" "$k"
}

# `crate N MACRO`: a new crate with N migrations; MACRO is the macro's
# options (`check = false, reason = "…"`), or `none` for no macro at all.
crate() {
  local n=$1 options=$2
  rm -rf "$work"
  mkdir -p "$work/src" "$work/migrations"
  cat > "$work/Cargo.toml" <<TOML
[package]
name = "build-cost"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
migrate-runtime = { path = "$proj/migrate-runtime" }
[profile.dev.package.libsqlite3-sys]
opt-level = 3
[workspace]
TOML
  echo 'fn main() { println!("cargo::rerun-if-changed=migrations"); }' > "$work/build.rs"
  for k in $(seq 1 "$n"); do migration "$k" > "$work/migrations/$(printf '%05d' "$k")_t.sql"; done
  if [ "$options" = none ]; then
    echo 'fn main() { let _ = migrate_runtime::Version(1); }' > "$work/src/main.rs"
  else
    printf 'static MIGRATIONS: migrate_runtime::Migrations = migrate_runtime::embed_migrations!("migrations"%s);\nfn main() { let _ = MIGRATIONS.len(); }\n' "$options" > "$work/src/main.rs"
  fi
}

# Prints "seconds MB" of one `cargo check` after running `$1` (a command).
one() {
  (cd "$work" && eval "$1")
  local out
  out=$(cd "$work" && { /usr/bin/time -f '%e %M' cargo check -q 2>&1 >/dev/null; } | tail -1)
  awk '{ printf "%.2f %d\n", $1, $2 / 1024 }' <<<"$out"
}

# Median of `runs` measurements of `one "$1"`: "0.15 s | 84 MB".
median() {
  local prepare=$1
  for _ in $(seq 1 "$runs"); do one "$prepare"; done | sort -n | awk -v runs="$runs" '
    { t[NR] = $1; m[NR] = $2 }
    END { k = int((runs + 1) / 2); printf "%.2f s | %d MB", t[k], m[k] }'
}

# The command that edits migration `$1` (a new column each time it runs).
edit() { echo "migration $1 \", note\$RANDOM TEXT\" > migrations/$(printf '%05d' "$1")_t.sql"; }

row() { printf '| %s | %s |\n' "$1" "$2"; }

echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1), commit $(git -C "$proj" rev-parse --short HEAD); \`benches/build_cost.sh\`, median of $runs, wall time and peak memory of \`cargo check\`:"
echo
echo "| \`cargo check\` | time | peak memory |"
echo "| --- | --- | --- |"
export -f migration
for n in $sizes; do
  crate "$n" none
  (cd "$work" && cargo check -q 2>/dev/null)
  row "$n migrations: the crate without the macro, after \`touch src/main.rs\`" "$(median 'touch src/main.rs')"
  crate "$n" ""
  first=$(one 'true')
  row "$n migrations: the first check (the whole replay)" "${first/ / s | } MB"
  row "$n migrations: unchanged, after \`touch src/main.rs\`" "$(median 'touch src/main.rs')"
  row "$n migrations: after editing the newest (the replay resumes before it)" "$(median "$(edit "$n")")"
  half=$((n / 2))
  row "$n migrations: after editing migration $half, again (the replay resumes before it)" "$(median "$(edit "$half")")"
  crate "$n" ', check = false, reason = "measuring"'
  (cd "$work" && cargo check -q 2>/dev/null)
  row "$n migrations, \`check = false\`: after editing the newest" "$(median "$(edit "$n")")"
done
