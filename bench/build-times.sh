#!/usr/bin/env bash
# bench/build-times.sh: cold build-and-test times, in a fresh clone with an
# empty target directory.
#
# Usage: bench/build-times.sh [--rev REV] [--core] [-- CARGO_TEST_ARGS...]
#   --rev REV  the commit to measure (default: HEAD)
#   --core     measure `cargo test -p accessc-core` (the pure suites) only;
#              default: the README's test command (every suite of the
#              workspace), which needs the external tools of scripts/test
#              (linked from this checkout's .peers/ when it has one)
#   -- ARGS    instead of either, `cargo test ARGS` (for commits with another
#              layout, e.g. `-- --test corpus`)
#
# Prints one line per phase (build, then test) with its wall time, and the
# total. The dependency sources must already be in cargo's registry cache
# (run once `cargo fetch`): the figures are compile and test times, not
# download times.

set -euo pipefail

REV=HEAD
MODE=all
ARGS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --rev) REV=${2:?--rev needs a commit}; shift 2 ;;
    --core) MODE=core; shift ;;
    --) shift; MODE=args; ARGS=("$@"); break ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/build-times.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git clone -q --shared "$ROOT" "$WORK/src"
git -C "$WORK/src" checkout -q "$(git -C "$ROOT" rev-parse "$REV")"
[[ -d $ROOT/.peers ]] && ln -s "$ROOT/.peers" "$WORK/src/.peers"
export CARGO_TARGET_DIR=$WORK/target
cd "$WORK/src"

phase() {
  local name=$1
  shift
  local start end
  start=$(date +%s)
  "$@" >"$WORK/$name.log" 2>&1 || { tail -30 "$WORK/$name.log" >&2; echo "bench/build-times.sh: $name failed" >&2; exit 1; }
  end=$(date +%s)
  printf '%-6s %5d s  (%s)\n' "$name" $((end - start)) "$*"
  TOTAL=$((TOTAL + end - start))
}

TOTAL=0
echo "commit $(git rev-parse --short HEAD), $(nproc) cores"
case $MODE in
  core)
    phase build cargo test --locked -p accessc-core --no-run
    phase test cargo test --locked -p accessc-core
    ;;
  args)
    phase build cargo test --locked "${ARGS[@]}" --no-run
    phase test cargo test --locked "${ARGS[@]}"
    ;;
  all)
    phase build cargo build --locked --workspace --all-targets
    phase test scripts/test
    ;;
esac
printf '%-6s %5d s\n' total "$TOTAL"
