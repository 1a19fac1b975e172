#!/usr/bin/env bash
# bench/lsp.sh: the language server's latency on the large synthetic organization.
#
# Builds release binaries, generates the organization with accessc-gen-org
# (its defaults: 2,000 accounts, ~1 MB of source over 5 files), and drives
# `accessc lsp` over the protocol (tests/lsp_bench.rs): first diagnostics after
# open, diagnostics after one-line edits, completion. Prints a Markdown table
# and writes it to target/bench/lsp.md; fails if a median is over its budget
# (1 s, 100 ms, 100 ms, 50 ms).
#
# Usage: bench/lsp.sh [--runs N]     (RUNS in the environment works too; default 20)
#        ACCESSC_BENCH_ORG=DIR bench/lsp.sh   reuses an organization generated before
set -euo pipefail
cd "$(dirname "$0")/.."
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) export RUNS=${2:?--runs needs a number}; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/lsp.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
cargo test --release --test lsp_bench -- --ignored --nocapture
