#!/usr/bin/env bash
# bench/run.sh: the accessc benchmark harness.
#
# Builds release binaries, generates the synthetic organizations with
# accessc-gen-org (deterministic: same flags, same bytes), and measures each
# benchmark command: wall time (best and median of N runs) and peak RSS. It
# prints Markdown tables and also writes them to target/bench/results.md.
# bench/README.md explains what each figure means.
#
# Prerequisites
#   - a Rust toolchain (cargo)
#   - GNU time at /usr/bin/time, for peak RSS: `apt-get install -y time`.
#     Run as root with apt-get available, the script installs it itself;
#     without it, peak RSS comes from polling /proc/PID/status (VmHWM).
#   - optional: hyperfine (`cargo install hyperfine`) for wall time; without
#     it a bash loop timed with `date +%s%N` is used.
#
# Usage: bench/run.sh [--runs N] [--warmup N] [--no-build]
#   RUNS, WARMUP and CARGO_TARGET_DIR in the environment are honoured too;
#   BENCH_NO_HYPERFINE=1 / BENCH_NO_GNU_TIME=1 force the fallbacks.
#
# Adding a benchmark is one line in the "Benchmarks" section at the bottom.

set -euo pipefail

RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}
BUILD=1
TODAY=2026-11-28

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --warmup) WARMUP=${2:?--warmup needs a number}; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ ]] || { echo "bench/run.sh: --runs must be ≥ 1, --warmup ≥ 0" >&2; exit 2; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BENCH_DIR=$TARGET_DIR/bench
ACCESSC=$TARGET_DIR/release/accessc
GEN=$TARGET_DIR/release/accessc-gen-org
LOGS=$BENCH_DIR/logs
SCRATCH=$BENCH_DIR/scratch
RESULTS=$BENCH_DIR/results.md

log() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------------------
# Tools

ensure_gnu_time() {
  if [[ ! -x /usr/bin/time && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing GNU time (apt-get install -y time)"
    apt-get install -y -qq time >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq time >/dev/null 2>&1; } ||
      log "could not install GNU time; falling back to /proc polling"
  fi
  if [[ -z ${BENCH_NO_GNU_TIME:-} && -x /usr/bin/time ]] && /usr/bin/time -v -o /dev/null true 2>/dev/null; then
    RSS_TOOL="GNU time -v"
  else
    RSS_TOOL="/proc VmHWM polling"
  fi
  if [[ -z ${BENCH_NO_HYPERFINE:-} ]] && command -v hyperfine >/dev/null; then
    WALL_TOOL="hyperfine $(hyperfine --version | awk '{print $2}')"
  else
    WALL_TOOL="bash loop (date +%s%N)"
  fi
}

# ---------------------------------------------------------------------------
# Measurement primitives. Each takes the command as its arguments.

# PREPARE, when set, is a shell command run before every run of a measured
# command and not timed (bench_build empties the output directory with it).
PREPARE=

prepare() { if [[ -n $PREPARE ]]; then bash -c "$PREPARE"; fi; }

# Prints "BEST_MS MEDIAN_MS" over $RUNS runs after $WARMUP discarded runs.
wall_ms() {
  if [[ $WALL_TOOL == hyperfine* ]]; then
    local csv=$SCRATCH/hyperfine.csv cmd
    cmd=$(printf '%q ' "$@")
    hyperfine --runs "$RUNS" --warmup "$WARMUP" --shell=none --ignore-failure \
      ${PREPARE:+--prepare "$PREPARE"} \
      --style none --export-csv "$csv" -- "$cmd" >/dev/null 2>&1
    # columns: command,mean,stddev,median,user,system,min,max (seconds);
    # counted from the end in case the command contains a comma.
    awk -F, 'NR == 2 { printf "%.1f %.1f\n", $(NF-1) * 1000, $(NF-4) * 1000 }' "$csv"
  else
    local i t0 t1 samples=$SCRATCH/samples.txt
    : >"$samples"
    for ((i = 0; i < WARMUP; i++)); do prepare; "$@" >/dev/null 2>&1 || true; done
    for ((i = 0; i < RUNS; i++)); do
      prepare
      t0=$(date +%s%N)
      "$@" >/dev/null 2>&1 || true
      t1=$(date +%s%N)
      echo $((t1 - t0)) >>"$samples"
    done
    sort -n "$samples" | awk '{ v[NR] = $1 }
      END {
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f %.1f\n", v[1] / 1e6, med / 1e6
      }'
  fi
}

# Prints the peak resident set size of one run, in KiB.
peak_rss_kib() {
  prepare
  if [[ $RSS_TOOL == "GNU time -v" ]]; then
    local out=$SCRATCH/time.txt
    /usr/bin/time -v -o "$out" "$@" >/dev/null 2>&1 || true
    awk -F': *' '/Maximum resident set size/ { print $2 }' "$out"
  else
    # VmHWM is the kernel's own high-water mark; the last value read before
    # the process exits is its peak, to within the 5 ms polling interval.
    local pid peak=0 v
    "$@" >/dev/null 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      [[ -n $v ]] && peak=$v
      sleep 0.005
    done
    wait "$pid" || true
    echo "$peak"
  fi
}

ROWS=()

# measure LABEL CMD...: one row of the results table. The command runs once
# first (its output goes to target/bench/logs/LABEL.txt, its exit status into
# the table); exit 0 and 1 (diagnostics found) are timed, any other status
# (usage or I/O failure, e.g. a command not implemented yet) is not.
measure() {
  local label=$1; shift
  local logfile=$LOGS/${label// /-}.txt status=0
  log "measuring: $label"
  prepare
  "$@" >"$logfile" 2>&1 || status=$?
  if [[ $status -gt 1 ]]; then
    ROWS+=("| $label | \`${*#"$TARGET_DIR/release/"}\` | $status | – | – | – |")
    log "  exit $status: not timed (see $logfile)"
    return
  fi
  local best median rss
  read -r best median < <(wall_ms "$@")
  rss=$(peak_rss_kib "$@")
  ROWS+=("| $label | \`${*#"$TARGET_DIR/release/"}\` | $status | $best | $median | $(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') |")
}

# skipped LABEL REASON: a row for a benchmark whose input is absent.
skipped() {
  ROWS+=("| $1 | ($2) | – | – | – | – |")
  log "skipping $1: $2"
}

# ---------------------------------------------------------------------------
# One function per measured command (the label says what, the args say where).

bench_check() { # bench_check NAME DIR
  if [[ ! -d $2 ]]; then skipped "check $1" "$2 absent"; return; fi
  measure "check $1" "$ACCESSC" check "$2" --today "$TODAY"
}

# Each build writes into a fresh output directory, as a CI job's checkout
# would: the time includes writing every file. Before every run (not timed)
# the previous output is moved aside, not deleted: ext4 allocates new inodes
# slowly right after many deletions (it skips recently freed ones), which
# would measure the file system's recycling rather than accessc. The moved
# outputs are deleted when the script ends.
TRASH=$SCRATCH/trash
move_aside() { # the PREPARE command that moves directory $1 into $TRASH
  printf 'if [ -e %q ]; then mkdir -p %q && mv %q %q/$(date +%%s%%N); fi' "$1" "$TRASH" "$1" "$TRASH"
}

bench_build() { # bench_build NAME DIR TARGET
  if [[ ! -d $2 ]]; then skipped "build $1 $3" "$2 absent"; return; fi
  local out=$SCRATCH/build-$1-$3
  PREPARE=$(move_aside "$out")
  measure "build $1 $3" "$ACCESSC" build "$2" --target "$3" -o "$out" --today "$TODAY"
  PREPARE=
}

# The three targets in one command (one load, check and lowering).
bench_build_all() { # bench_build_all NAME DIR
  if [[ ! -d $2 ]]; then skipped "build $1 all three" "$2 absent"; return; fi
  local out=$SCRATCH/build-$1-all
  PREPARE=$(move_aside "$out")
  measure "build $1 ir,terraform,cfn" "$ACCESSC" build "$2" --target ir,terraform,cfn -o "$out" --today "$TODAY"
  PREPARE=
}

# The access diff of two versions of one organization (both are loaded,
# checked and lowered, on two threads, then compared).
bench_diff() { # bench_diff NAME OLD-DIR NEW-DIR
  if [[ ! -d $2 || ! -d $3 ]]; then skipped "diff $1" "$2 or $3 absent"; return; fi
  measure "diff $1" "$ACCESSC" diff "$2" "$3" --format json --today "$TODAY"
}

# who-can of one account: load, check, then the rows of that account.
bench_who_can() { # bench_who_can NAME DIR ACCOUNT
  if [[ ! -d $2 ]]; then skipped "who-can $1 --account" "$2 absent"; return; fi
  measure "who-can $1 --account $3" "$ACCESSC" who-can "$2" --account "$3" --today "$TODAY"
}

# ---------------------------------------------------------------------------
# Inputs

INPUT_ROWS=()

# generate NAME GEN-FLAGS...: a fresh synthetic org in $BENCH_DIR/NAME.
generate() {
  local name=$1; shift
  local dir=$BENCH_DIR/$name summary
  rm -rf "$dir"
  summary=$("$GEN" -o "$dir" "$@")
  log "$summary"
  local lines bytes
  lines=$(cat "$dir"/* | wc -l)
  bytes=$(cat "$dir"/* | wc -c)
  local assignments=${summary##*expanding to }
  INPUT_ROWS+=("| $name | \`${*}\` | ${assignments%% *} | $lines | $bytes |")
}

# ---------------------------------------------------------------------------
# Run

mkdir -p "$BENCH_DIR" "$LOGS" "$SCRATCH"
ensure_gnu_time

if [[ $BUILD -eq 1 ]]; then
  log "cargo build --release"
  cargo build --release --workspace --bins
fi
for bin in "$ACCESSC" "$GEN"; do
  [[ -x $bin ]] || { echo "bench/run.sh: $bin missing: run without --no-build" >&2; exit 2; }
done

# The flags are spelt out so that a change of the generator's defaults cannot
# silently change what is measured.
generate large --accounts 2000 --ous 300 --functions 200 --groups 1000 --grants 5000 --users 50 --seed 1
# Two other versions of the large organization for `diff`: 100 more grant
# lines, and another seed (every function, grant and name differs).
generate large-more-grants --accounts 2000 --ous 300 --functions 200 --groups 1000 --grants 5100 --users 50 --seed 1
generate large-seed2 --accounts 2000 --ous 300 --functions 200 --groups 1000 --grants 5000 --users 50 --seed 2
generate small --accounts 60 --ous 20 --functions 20 --groups 40 --grants 150 --users 5 --seed 1

# ---------------------------------------------------------------------------
# Benchmarks: one line each.

bench_check large "$BENCH_DIR/large"
bench_check small "$BENCH_DIR/small"
bench_check app-developer examples/app-developer
for target in ir terraform cfn; do
  bench_build large "$BENCH_DIR/large" "$target"
done
bench_build_all large "$BENCH_DIR/large"
bench_diff "large (itself)" "$BENCH_DIR/large" "$BENCH_DIR/large"
bench_diff "large → 100 more grants" "$BENCH_DIR/large" "$BENCH_DIR/large-more-grants"
bench_diff "large → another seed" "$BENCH_DIR/large" "$BENCH_DIR/large-seed2"
bench_who_can large "$BENCH_DIR/large" network-nonprod-0002
for target in ir terraform cfn; do
  bench_build small "$BENCH_DIR/small" "$target"
done

# ---------------------------------------------------------------------------
# Report

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo "no commit")
dirty=$(git status --porcelain 2>/dev/null | head -1)
{
  echo "## accessc benchmarks"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $rev${dirty:+ (uncommitted changes)}"
  echo "- machine: ${cpu:-unknown CPU}, $(nproc) CPUs, $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
  echo "- $(rustc --version)"
  echo "- wall time: $WALL_TOOL, $RUNS runs after $WARMUP warm-up; peak RSS: $RSS_TOOL, one run"
  echo
  echo "### Inputs"
  echo
  echo "| input | generator flags | assignments | lines | bytes |"
  echo "|---|---|--:|--:|--:|"
  printf '%s\n' "${INPUT_ROWS[@]}"
  echo
  echo "### Results"
  echo
  echo "| benchmark | command | exit | best (ms) | median (ms) | peak RSS (MiB) |"
  echo "|---|---|--:|--:|--:|--:|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$RESULTS"
rm -rf "$TRASH"
log "written to $RESULTS; command output in $LOGS/"
