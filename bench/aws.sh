#!/usr/bin/env bash
# bench/aws.sh: the direct-API benchmarks against the local AWS endpoint
# (moto server with tests/support/moto_ext.py; docs/aws.md). The figures in
# docs/performance.md, section "Direct API", come from this script.
#
#   apply   `accessc apply` of ~10,000 assignments into an empty instance:
#           wall time, operations per second, API calls
#   plan    the API calls (and wall time) of a no-change `accessc plan` for an
#           organization of 200 permission sets, 2,000 accounts and ~100,000
#           assignments; the live state is loaded into the endpoint at once
#           (POST /_accessc/load) from the program's own IR
#   import  `accessc import` of the same organization (200 sets, 2,000
#           accounts, ~100,000 assignments, loaded the same way): wall time,
#           API calls by operation, and the compression (assignments -> grant
#           lines)
#
# Usage: bench/aws.sh [--no-build] [--only apply|plan|import]
#   CARGO_TARGET_DIR is honoured; BENCH_PROFILE=debug runs the debug binaries
#   (with --no-build: call counts only, the wall times are not the release's). Output: a Markdown report on standard output
#   and in target/bench/aws/results.md; logs in target/bench/aws/.
#
# Prerequisites: a Rust toolchain, python3, curl; the peers (moto server) are
# installed by scripts/install-peers.sh, which this script runs.

set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=1
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0 ;;
    --only) ONLY="$2"; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

TODAY=2026-11-28
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/${BENCH_PROFILE:-release}"
OUT=target/bench/aws
PY=.peers/venv/bin/python
mkdir -p "$OUT"

scripts/install-peers.sh
if [ "$BUILD" = 1 ]; then
  cargo build --release --workspace --bins >&2
fi
ACCESSC="$BIN/accessc"
GEN="$BIN/accessc-gen-org"

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE CI || true

MOTO_PID=""
stop_moto() {
  if [ -n "$MOTO_PID" ]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
    MOTO_PID=""
  fi
}
trap stop_moto EXIT

# start_moto ACCOUNT LOG: moto server with the sso-admin extensions on a free port.
start_moto() {
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$PY" tests/support/moto_ext.py --port "$PORT" --account-id "$1" >"$2" 2>&1 &
  MOTO_PID=$!
  URL="http://127.0.0.1:$PORT"
  for _ in $(seq 1 300); do
    curl -sf "$URL/_accessc/stats" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "moto did not start; see $2" >&2
  exit 2
}

# seed DIR IR_DIR: the organization and identity store of DIR/org.json, and
# the instance ARN and identity store id the program names.
seed() {
  python3 - "$1/org.json" "$2/accessc.ir.json" >"$OUT/seed.json" <<'EOF'
import json, sys
org = json.load(open(sys.argv[1]))
ir = json.load(open(sys.argv[2]))
ids = org.pop("identity_store", {})
instance = {"arn": ir["instance"].get("arn"), "identity_store_id": ir["instance"].get("identity_store_id")}
print(json.dumps({"org": org, "groups": ids.get("groups", {}), "users": ids.get("users", {}), "instance": instance}))
EOF
  curl -sf -XPOST "$URL/_accessc/seed" --data-binary @"$OUT/seed.json" >/dev/null
}

stats() { curl -sf "$URL/_accessc/stats"; }
reset_stats() { curl -sf -XPOST "$URL/_accessc/stats/reset" -d '{}' >/dev/null; }
now() { date +%s.%N; }
count_assignments() {
  python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["assignments"]))' "$1/accessc.ir.json"
}

REPORT="$OUT/results.md"
{
  echo "# Direct API benchmarks"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(rustc --version)"
} >"$REPORT"

bench_apply() {
  local dir="$OUT/apply"
  rm -rf "$dir"
  "$GEN" -o "$dir" --accounts 400 --ous 40 --functions 20 --groups 100 --grants 172 --users 5 --seed 3 >"$OUT/gen-apply.log" 2>&1
  local mgmt
  mgmt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["management_account"])' "$dir/org.json")
  "$ACCESSC" build "$dir" --target ir -o "$OUT/apply-ir" --today "$TODAY" 2>/dev/null
  start_moto "$mgmt" "$OUT/moto-apply.log"
  seed "$dir" "$OUT/apply-ir"
  "$ACCESSC" org snapshot "$dir" -o "$dir/org.json" --endpoint-url "$URL" 2>"$OUT/snapshot-apply.log"
  local n
  n=$(count_assignments "$OUT/apply-ir")
  reset_stats
  local t0 t1
  t0=$(now)
  "$ACCESSC" apply "$dir" --today "$TODAY" --endpoint-url "$URL" --progress none --poll-interval-ms 20 >"$OUT/apply.log" 2>&1
  t1=$(now)
  stats >"$OUT/apply-stats.json"
  "$ACCESSC" plan "$dir" --today "$TODAY" --endpoint-url "$URL" --format json >"$OUT/apply-replan.json" 2>/dev/null
  python3 - "$n" "$t0" "$t1" "$OUT/apply-stats.json" "$OUT/apply-replan.json" >>"$REPORT" <<'EOF'
import json, sys
n, t0, t1 = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
stats = json.load(open(sys.argv[4]))
replan = json.load(open(sys.argv[5]))
wall = t1 - t0
calls = stats["calls"]
creates = calls.get("sso-admin:CreateAccountAssignment", 0)
print()
print("## apply from empty")
print()
print("| assignments | permission sets | wall time (s) | assignments/s | API calls | calls/s | CreateAccountAssignment | Describe…CreationStatus | second plan |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| {n:,} | {calls.get('sso-admin:CreatePermissionSet', 0)} | {wall:.1f} | {n / wall:.0f} | {stats['total']:,} | {stats['total'] / wall:.0f} | {creates:,} | "
      f"{calls.get('sso-admin:DescribeAccountAssignmentCreationStatus', 0):,} | "
      f"{'empty' if not replan['has_changes'] else 'NOT EMPTY'} |")
EOF
  stop_moto
}

bench_plan() {
  local dir="$OUT/plan"
  rm -rf "$dir"
  "$GEN" -o "$dir" --accounts 2000 --ous 300 --functions 200 --groups 1000 --grants 1990 --users 50 --seed 1 >"$OUT/gen-plan.log" 2>&1
  local mgmt
  mgmt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["management_account"])' "$dir/org.json")
  "$ACCESSC" build "$dir" --target ir -o "$OUT/plan-ir" --today "$TODAY" 2>/dev/null
  start_moto "$mgmt" "$OUT/moto-plan.log"
  seed "$dir" "$OUT/plan-ir"
  reset_stats
  local s0 s1
  s0=$(now)
  "$ACCESSC" org snapshot "$dir" -o "$dir/org.json" --endpoint-url "$URL" 2>"$OUT/snapshot-plan.log"
  s1=$(now)
  stats >"$OUT/snapshot-stats.json"
  "$ACCESSC" build "$dir" --target ir -o "$OUT/plan-ir" --today "$TODAY" 2>/dev/null
  python3 - "$OUT/plan-ir/accessc.ir.json" >"$OUT/load.json" <<'EOF'
import json, sys
print(json.dumps({"ir": json.load(open(sys.argv[1]))}))
EOF
  curl -sf -XPOST "$URL/_accessc/load" --data-binary @"$OUT/load.json" >"$OUT/load-result.json"
  reset_stats
  local t0 t1
  t0=$(now)
  "$ACCESSC" plan "$dir" --today "$TODAY" --endpoint-url "$URL" --format json >"$OUT/plan.json" 2>"$OUT/plan.log"
  t1=$(now)
  stats >"$OUT/plan-stats.json"
  reset_stats
  local d0 d1
  d0=$(now)
  "$ACCESSC" plan "$dir" --today "$TODAY" --endpoint-url "$URL" --format json --deep >"$OUT/plan-deep.json" 2>"$OUT/plan-deep.log"
  d1=$(now)
  stats >"$OUT/plan-deep-stats.json"
  python3 - "$OUT/plan-ir/accessc.ir.json" "$t0" "$t1" "$OUT/plan-stats.json" "$OUT/plan.json" "$s0" "$s1" "$OUT/snapshot-stats.json" \
    "$d0" "$d1" "$OUT/plan-deep-stats.json" "$OUT/plan-deep.json" >>"$REPORT" <<'EOF'
import json, sys
ir = json.load(open(sys.argv[1]))
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
stats = json.load(open(sys.argv[4]))
plan = json.load(open(sys.argv[5]))
s0, s1 = float(sys.argv[6]), float(sys.argv[7])
snap = json.load(open(sys.argv[8]))
n = len(ir["assignments"])
principals = len({(a["principal_type"], a["principal"]) for a in ir["assignments"]})
calls = stats["calls"]
print()
print("## no-change plan")
print()
d0, d1 = float(sys.argv[9]), float(sys.argv[10])
deep = json.load(open(sys.argv[11]))
deep_plan = json.load(open(sys.argv[12]))
pairs = len({(a["permission_set"], a["account_id"]) for a in ir["assignments"]})
print(f"{len(ir['permission_sets'])} permission sets, {len(ir['org']['accounts']):,} accounts, {n:,} assignments "
      f"of {principals:,} principals, {pairs:,} distinct (set, account) pairs.")
print()
print("| read | API calls | calls per assignment | wall time (s) | plan |")
print("|---|---|---|---|---|")
print(f"| per principal (default) | {stats['total']:,} | {stats['total'] / n:.3f} | {t1 - t0:.1f} | "
      f"{'no changes' if not plan['has_changes'] else 'CHANGES'} |")
print(f"| per (set, account), `--deep` | {deep['total']:,} | {deep['total'] / n:.3f} | {d1 - d0:.1f} | "
      f"{'no changes' if not deep_plan['has_changes'] else 'CHANGES'} |")
print()
print("Calls of the default no-change plan, by operation:")
print()
print("| operation | calls |")
print("|---|---|")
for k, v in sorted(calls.items(), key=lambda kv: -kv[1]):
    print(f"| `{k}` | {v:,} |")
print()
print(f"`org snapshot` of the same organization: {snap['total']:,} API calls, {s1 - s0:.1f} s.")
EOF
  stop_moto
}

bench_import() {
  local dir="$OUT/import-src"
  rm -rf "$dir" "$OUT/imported"
  "$GEN" -o "$dir" --accounts 2000 --ous 300 --functions 200 --groups 1000 --grants 1990 --users 50 --seed 1 >"$OUT/gen-import.log" 2>&1
  local mgmt
  mgmt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["management_account"])' "$dir/org.json")
  "$ACCESSC" build "$dir" --target ir -o "$OUT/import-ir" --today "$TODAY" 2>/dev/null
  start_moto "$mgmt" "$OUT/moto-import.log"
  seed "$dir" "$OUT/import-ir"
  python3 - "$OUT/import-ir/accessc.ir.json" >"$OUT/import-load.json" <<'EOF'
import json, sys
print(json.dumps({"ir": json.load(open(sys.argv[1]))}))
EOF
  curl -sf -XPOST "$URL/_accessc/load" --data-binary @"$OUT/import-load.json" >"$OUT/import-load-result.json"
  reset_stats
  local t0 t1 checked
  t0=$(now)
  "$ACCESSC" import -o "$OUT/imported" --endpoint-url "$URL" --format json \
    --user-grant-owner security@example.com --user-grant-until 2030-12-31 >"$OUT/import.json" 2>"$OUT/import.log"
  t1=$(now)
  stats >"$OUT/import-stats.json"
  if "$ACCESSC" check "$OUT/imported" --today "$TODAY" >"$OUT/import-check.log" 2>&1; then checked=ok; else checked=ERRORS; fi
  python3 - "$OUT/import-ir/accessc.ir.json" "$t0" "$t1" "$OUT/import-stats.json" "$OUT/import.json" "$checked" \
    "$OUT/imported" >>"$REPORT" <<'EOF'
import json, os, sys
ir = json.load(open(sys.argv[1]))
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
stats = json.load(open(sys.argv[4]))
rep = json.load(open(sys.argv[5]))
checked = sys.argv[6]
out_dir = sys.argv[7]
calls = stats["calls"]
n = len(ir["assignments"])
principals = len({(a["principal_type"], a["principal"]) for a in ir["assignments"]})
summary = rep["summary"]
size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(out_dir) for f in fs)
print()
print("## import")
print()
print(f"{len(ir['permission_sets'])} permission sets, {len(ir['org']['accounts']):,} accounts, {n:,} assignments "
      f"of {principals:,} principals.")
print()
print("| wall time (s) | API calls | calls per assignment | assignments read | grant lines | assignments per grant line | files | bytes | check |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| {t1 - t0:.1f} | {stats['total']:,} | {stats['total'] / n:.3f} | {summary['assignments_read']:,} | "
      f"{summary['grant_lines']:,} | {summary['assignments_read'] / max(summary['grant_lines'], 1):.1f} | "
      f"{len(rep['files'])} | {size:,} | {checked} |")
print()
print("Calls by operation:")
print()
print("| operation | calls |")
print("|---|---|")
for k, v in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])):
    print(f"| `{k}` | {v:,} |")
EOF
  stop_moto
}

if [ -z "$ONLY" ] || [ "$ONLY" = apply ]; then bench_apply; fi
if [ -z "$ONLY" ] || [ "$ONLY" = plan ]; then bench_plan; fi
if [ -z "$ONLY" ] || [ "$ONLY" = import ]; then bench_import; fi
cat "$REPORT"
