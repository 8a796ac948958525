#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, with nightly and
# cargo-fuzz (installed from crates.io when missing). A crash stops the
# script with the target's name and its reproducer under fuzz/artifacts/.
#   fuzz/run.sh          # a short run, for CI or before a commit
#   fuzz/run.sh 600      # ten minutes each
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo +nightly install cargo-fuzz --locked
fi
for target in split sections name load; do
    echo "fuzzing $target for ${seconds}s" >&2
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -max_len=4096 2>&1 | tail -n 3
done
