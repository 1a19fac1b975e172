#!/usr/bin/env bash
# bench/fuzz.sh: runs every fuzz target of fuzz/ for a fixed time budget and
# reports executions, exec/s, corpus size, the share of inputs that check
# clean, and the findings (crash, timeout and out-of-memory artifacts).
# docs/fuzzing.md describes the targets and records the last results.
#
# Prerequisites
#   - a nightly toolchain (`rustup toolchain install nightly`)
#   - cargo-fuzz (`cargo install cargo-fuzz`)
#
# Usage: bench/fuzz.sh [SECONDS]      (default 600: seconds per target)
#   TARGETS       the targets to run, in order (default: "check structured")
#   RSS_LIMIT_MB  libFuzzer -rss_limit_mb (default 2048)
#   TIMEOUT       libFuzzer -timeout, seconds per input (default 10)
#   MAX_LEN       libFuzzer -max_len, bytes (default 16384 for check; 4096
#                 for structured, which starts at that length: -len_control=0)
#   KEEP_CORPUS=1 continue from the corpus of the last run instead of the seeds
#   NO_BUILD=1    use the fuzz binaries already built
#   CARGO_TARGET_DIR is honoured (default fuzz/target); the fuzz build
#   (sanitizer flags) cannot share a target directory with a normal build.
#
# Each target runs alone in one process: the budget is wall time on one
# core. libFuzzer stops at a finding; the script then starts it again on the
# same corpus until the budget is spent. Corpus, artifacts and logs go under fuzz/ (git-ignored):
# fuzz/corpus/TARGET, fuzz/artifacts/TARGET, fuzz/logs/TARGET.log; the
# results table is also written to fuzz/logs/results.md.

set -euo pipefail

SECONDS_PER_TARGET=${1:-600}
[[ $SECONDS_PER_TARGET =~ ^[1-9][0-9]*$ ]] || { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
TARGETS=${TARGETS:-check structured}
RSS_LIMIT_MB=${RSS_LIMIT_MB:-2048}
TIMEOUT=${TIMEOUT:-10}
MAX_LEN=${MAX_LEN:-}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
FUZZ=$ROOT/fuzz
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$FUZZ/target}
TRIPLE=$(rustc +nightly -vV | awk '/^host:/ { print $2 }')
BIN_DIR=$CARGO_TARGET_DIR/$TRIPLE/release
LOGS=$FUZZ/logs
mkdir -p "$LOGS"

log() { echo "fuzz: $*" >&2; }

command -v cargo-fuzz >/dev/null || { echo "bench/fuzz.sh: cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 2; }

# Release mode with AddressSanitizer (cargo-fuzz's defaults).
if [[ -z ${NO_BUILD:-} ]]; then
  log "cargo +nightly fuzz build"
  (cd "$FUZZ" && cargo +nightly fuzz build -O)
fi

# The check target starts from every .access file of the repository; the
# structured target from nothing (its inputs are generator bytes).
seed() { # seed TARGET DIR
  [[ $1 == check ]] || return 0
  find "$ROOT/crates/accessc-core/tests/corpus" "$ROOT/examples" "$ROOT/stdlib" "$ROOT/crates/accessc-core/tests/fuzz_regressions" \
    -name '*.access' -size -"$max_len"c 2>/dev/null | while read -r f; do
    cp "$f" "$2/seed-$(sha1sum "$f" | cut -c1-16)"
  done
}

ROWS=()
FINDINGS=()
for target in $TARGETS; do
  bin=$BIN_DIR/$target
  [[ -x $bin ]] || { echo "bench/fuzz.sh: $bin missing: run without NO_BUILD" >&2; exit 2; }
  corpus=$FUZZ/corpus/$target
  artifacts=$FUZZ/artifacts/$target
  # The structured target's bytes are a program's structure: short inputs
  # are tiny programs, so it starts at full length.
  if [[ $target == structured ]]; then
    max_len=${MAX_LEN:-4096} len_flags=(-len_control=0)
  else
    max_len=${MAX_LEN:-16384} len_flags=()
  fi
  if [[ -z ${KEEP_CORPUS:-} ]]; then
    rm -rf "$corpus" "$artifacts"
  fi
  mkdir -p "$corpus" "$artifacts"
  seed "$target" "$corpus"
  seeds=$(find "$corpus" -type f | wc -l)
  runlog=$LOGS/$target.log
  log "$target: ${SECONDS_PER_TARGET}s from $seeds seed(s); log in $runlog"
  # libFuzzer stops at a finding: run again with what is left of the
  # budget until it is spent (the corpus carries over).
  : >"$runlog"
  runs=0 cov=0 restarts=0
  start=$(date +%s)
  while :; do
    left=$((SECONDS_PER_TARGET - ($(date +%s) - start)))
    [[ $left -gt 0 ]] || break
    part=$LOGS/$target.part.log
    (cd "$FUZZ" && "$bin" "$corpus" \
      -max_total_time="$left" -rss_limit_mb="$RSS_LIMIT_MB" \
      -timeout="$TIMEOUT" -max_len="$max_len" "${len_flags[@]}" \
      -artifact_prefix="$artifacts/" >"$part" 2>&1) || restarts=$((restarts + 1))
    cat "$part" >>"$runlog"
    # The last status line: #RUNS  NEW|pulse|REDUCE|DONE  cov: C ft: F corp: N/SIZE ...
    status=$(grep -E '^#[0-9]+[[:space:]]' "$part" | tail -n 1 || true)
    if [[ -n $status ]]; then
      runs=$((runs + $(sed -E 's/^#([0-9]+).*/\1/' <<<"$status")))
      cov=$(sed -E 's/.* cov: ([0-9]+).*/\1/' <<<"$status")
    fi
    grep -q 'Done [0-9]* runs' "$part" && break
  done
  elapsed=$(($(date +%s) - start))
  execs_per_s=$(awk -v r="$runs" -v t="$elapsed" 'BEGIN { printf "%.1f", (t > 0) ? r / t : 0 }')
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)

  # The share of the corpus that parses and that checks clean: every corpus
  # input run once more, each run appending its outcome to a file.
  stats=$LOGS/$target.outcomes
  rm -f "$stats"
  (cd "$FUZZ" && ACCESSC_FUZZ_STATS=$stats "$bin" "$corpus" -runs=0 -max_len="$max_len" \
    -rss_limit_mb="$RSS_LIMIT_MB" -timeout="$TIMEOUT" >"$LOGS/$target.stats.log" 2>&1) || true
  read -r n parsed clean refused < <(awk '{ n++; p += $1; c += $2; r += $3 }
    END { print n + 0, p + 0, c + 0, r + 0 }' "$stats" 2>/dev/null || echo "0 0 0 0")
  pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }'; }

  # The same share on 300 fixed pseudo-random inputs of 64 to 2,048 bytes
  # (the corpus favours short inputs; the generator's own figure is this).
  random_clean=-
  if [[ $target == structured ]]; then
    rdir=$LOGS/random-inputs
    if [[ ! -d $rdir ]]; then
      mkdir -p "$rdir"
      LC_ALL=C awk -v dir="$rdir" 'BEGIN {
        srand(1)
        for (i = 0; i < 300; i++) {
          f = dir "/" i; n = 64 + int(rand() * 1985); s = ""
          for (j = 0; j < n; j++) s = s sprintf("%c", int(rand() * 256))
          printf "%s", s > f; close(f)
        }
      }'
    fi
    rm -f "$stats.random"
    (cd "$FUZZ" && ACCESSC_FUZZ_STATS=$stats.random "$bin" "$rdir"/* -rss_limit_mb="$RSS_LIMIT_MB" \
      -timeout="$TIMEOUT" >"$LOGS/$target.random.log" 2>&1) || true
    read -r rn rclean < <(awk '{ n++; c += $2 } END { print n + 0, c + 0 }' "$stats.random")
    random_clean="$(awk -v a="$rclean" -v b="$rn" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }')% of $rn runs"
  fi

  # Findings: every artifact, run again for its first panic line.
  nart=0
  for a in "$artifacts"/*; do
    [[ -f $a ]] || continue
    nart=$((nart + 1))
    what=$(cd "$FUZZ" && timeout 60 "$bin" "$a" -rss_limit_mb="$RSS_LIMIT_MB" -timeout="$TIMEOUT" 2>&1 |
      grep -m1 -E "panicked at|ERROR: libFuzzer|SUMMARY" | cut -c1-160 || true)
    FINDINGS+=("| $target | \`$(basename "$a")\` | ${what:-no longer reproduces} |")
  done

  ROWS+=("| $target | $elapsed | $runs | $execs_per_s | $cov | $files | $bytes | $restarts | $nart | $n | $(pct "$parsed" "$n")% | $(pct "$clean" "$n")% | $random_clean | $refused |")
done

rev=$(git rev-parse --short HEAD 2>/dev/null || echo "no commit")
dirty=$(git status --porcelain 2>/dev/null | grep -v '^??' | head -n 1 || true)
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
{
  echo "## accessc fuzzing"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $rev${dirty:+ (uncommitted changes)}"
  echo "- machine: ${cpu:-unknown CPU}, $(nproc) CPUs (shared); $(rustc +nightly --version)"
  echo "- budget: ${SECONDS_PER_TARGET}s per target, one process, -rss_limit_mb=$RSS_LIMIT_MB -timeout=$TIMEOUT -max_len=${MAX_LEN:-16384 (check), 4096 with -len_control=0 (structured)}; release build with AddressSanitizer"
  echo
  echo "| target | seconds | executions | exec/s | coverage | corpus files | corpus bytes | stops on a finding | artifacts | corpus inputs re-run | parse | check clean | clean, random inputs | cfn refused |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  if [[ ${#FINDINGS[@]} -eq 0 ]]; then
    echo "No findings."
  else
    echo "| target | artifact | first line of the failure |"
    echo "|---|---|---|"
    printf '%s\n' "${FINDINGS[@]}"
  fi
} | tee "$LOGS/results.md"
