#!/usr/bin/env bash
# bench/sso-util.sh: `accessc build --target cfn` against `aws-sso-util admin cfn`
# on the same organization, side by side in one run.
#
# Generates the medium organization with accessc-gen-org (about 5,000
# assignments), builds its IR with accessc, and writes the same assignments
# as aws-sso-util configuration files: one file per (permission set,
# principal) with its accounts, the literal instance ARN, principal ids and
# account ids (aws-sso-util's offline mode; it writes one template per file).
# Then times both, alternating, each into a fresh output directory, and prints
# best and median wall time and CPU time (user + system) and the ratios.
# aws-sso-util 4.33.0 is installed from PyPI into target/bench/sso-util-venv.
#
# Usage: bench/sso-util.sh [--runs N] [--no-build]     (default 7 runs each)
#        ACCESSC=PATH bench/sso-util.sh --no-build      measures another accessc binary
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
BUILD=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/sso-util.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
# Absolute: aws-sso-util runs from inside the bench directory.
TARGET_DIR=$(realpath -m "${CARGO_TARGET_DIR:-target}")
BENCH=$TARGET_DIR/bench/sso-util
ACCESSC=${ACCESSC:-$TARGET_DIR/release/accessc}
GEN=$TARGET_DIR/release/accessc-gen-org
VENV=$TARGET_DIR/bench/sso-util-venv
mkdir -p "$BENCH"
if [[ $BUILD -eq 1 ]]; then cargo build --release --workspace --bins; fi
if [[ ! -x $VENV/bin/aws-sso-util ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'aws-sso-util==4.33.0'
fi

ORG=$BENCH/org
rm -rf "$ORG" "$BENCH/ir" "$BENCH/config"
"$GEN" -o "$ORG" --accounts 100 --ous 25 --functions 25 --groups 60 --grants 228 --users 8 --seed 1 >&2
"$ACCESSC" build "$ORG" --target ir -o "$BENCH/ir" --today 2026-11-28 >/dev/null 2>&1
python3 - "$BENCH/ir/accessc.ir.json" "$BENCH/config" <<'EOF'
import hashlib, json, os, sys
ir = json.load(open(sys.argv[1]))
out = sys.argv[2]
os.makedirs(out)
arn = ir["instance"]["arn"]
instance = arn.rsplit("/", 1)[1]
groups = {}
for a in ir["assignments"]:
    groups.setdefault((a["permission_set"], a["principal_type"], a["principal_id"]), []).append(a["account_id"])
for i, ((ps, kind, pid), accounts) in enumerate(groups.items()):
    ps_id = hashlib.sha256(ps.encode()).hexdigest()[:16]
    lines = [
        f"Instance: {arn}",
        f"{'Groups' if kind == 'GROUP' else 'Users'}: [{pid}]",
        f"PermissionSets: [arn:aws:sso:::permissionSet/{instance}/ps-{ps_id}]",
        "Accounts:",
    ] + [f"  - '{a}'" for a in accounts]
    with open(os.path.join(out, f"a{i:05d}.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
print(f"{len(ir['assignments'])} assignments, {len(groups)} aws-sso-util configuration files", file=sys.stderr)
EOF

# run LABEL OUT CMD...: one timed run into a fresh OUT; appends "wall cpu"
# (seconds; CPU is user + system of the process and its children, from
# getrusage, to the microsecond: GNU time rounds to 10 ms). CPU is the
# difference of RUSAGE_CHILDREN after and before the run: the counter
# survives exec, so a `python3` that is a launcher script (pyenv's shim runs
# some 60 ms of shell commands before it execs the interpreter) would
# otherwise add the launcher's own children to every figure.
run() {
  local label=$1 out=$2; shift 2
  rm -rf "$out"
  python3 -c '
import resource, subprocess, sys, time
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = r.ru_utime + r.ru_stime - before.ru_utime - before.ru_stime
print(f"{wall:.4f} {cpu:.4f}")' "$@" >>"$BENCH/$label.txt"
}
rm -f "$BENCH/accessc.txt" "$BENCH/sso-util.txt"
# Both write into a fresh directory of their own in memory (/dev/shm when
# there is one, else $TMPDIR), not on disk: on ext4, creating a file costs
# system time that depends on the block group's recent deletions (each run
# deletes the previous run's output, 473 files for aws-sso-util; ext4 then
# steps over recently deleted inodes, reading their table blocks), from
# 0.015 ms to 0.47 ms per file here, which is not a cost of either tool.
OUT=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for ((i = 0; i < RUNS; i++)); do
  run accessc "$OUT/accessc" "$ACCESSC" build "$ORG" --target cfn -o "$OUT/accessc" --today 2026-11-28
  (cd "$BENCH" && run sso-util "$OUT/sso-util" "$VENV/bin/aws-sso-util" admin cfn --output-dir "$OUT/sso-util" config/*.yaml)
done
stats() { # column of a file: best median
  sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s\n", v[1], m }'
}
read -r aw_best aw_med < <(stats "$BENCH/accessc.txt" 1)
read -r ac_best ac_med < <(stats "$BENCH/accessc.txt" 2)
read -r sw_best sw_med < <(stats "$BENCH/sso-util.txt" 1)
read -r sc_best sc_med < <(stats "$BENCH/sso-util.txt" 2)
{
  echo "| tool | wall best | wall median | CPU best | CPU median |"
  echo "|---|--:|--:|--:|--:|"
  echo "| \`accessc build --target cfn\` | $aw_best s | $aw_med s | $ac_best s | $ac_med s |"
  echo "| \`aws-sso-util admin cfn\` | $sw_best s | $sw_med s | $sc_best s | $sc_med s |"
  awk -v a="$ac_med" -v s="$sc_med" -v aw="$aw_med" -v sw="$sw_med" 'BEGIN {
    printf "\naccessc / aws-sso-util, medians: CPU 1/%.0f, wall 1/%.0f\n", s / a, sw / aw }'
} | tee "$BENCH/results.md"
