#!/usr/bin/env bash
# bench/lsp.sh: the language server's latency on the large synthetic organization.
#
# Builds release binaries, generates organizations with accessc-gen-org and
# drives `accessc lsp` over the protocol (tests/lsp_bench.rs), one case after
# another:
# - the large organization (its defaults: 2,000 accounts, ~1 MB of source over
#   5 files): first diagnostics after open, diagnostics after one-line edits,
#   completion; fails if a median is over its budget (1 s, 100 ms, 100 ms,
#   50 ms). Table in target/bench/lsp.md.
# - a single-file program of ~350 KB, and an organization of over 1,000,000
#   assignments: one-character edits, the server's CPU time per edit (from its
#   ACCESSC_LSP_LOG=1 log) and the client's wall time; fails if the median
#   CPU time is over 20 ms / 50 ms (ACCESSC_BENCH_SINGLE_CPU_MS,
#   ACCESSC_BENCH_MILLION_CPU_MS change the budgets). Tables in
#   target/bench/lsp-single-file.md and target/bench/lsp-million.md.
#
# Usage: bench/lsp.sh [--runs N] [FILTER]   (RUNS in the environment works too;
#        default 20; FILTER picks cases by test name: large, single, million)
#        ACCESSC_BENCH_ORG=DIR, ACCESSC_BENCH_SINGLE=DIR, ACCESSC_BENCH_MILLION=DIR
#        reuse organizations generated before
set -euo pipefail
cd "$(dirname "$0")/.."
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) export RUNS=${2:?--runs needs a number}; shift 2 ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/lsp.sh: unknown argument: $1" >&2; exit 2 ;;
    *) FILTER=$1; shift ;;
  esac
done
cargo test --release --test lsp_bench -- --ignored --nocapture --test-threads 1 ${FILTER:+"$FILTER"}
