#!/usr/bin/env bash
# Builds or checks the committed contract artifacts (`make contracts`, `make contracts-check`).
#   contracts.sh build   installs the pinned compiler and libraries if missing, compiles into artifacts/
#   contracts.sh check   compiles into a temporary folder and fails if artifacts/ differs; skips
#                        (exit 0, with a message) when the pinned packages cannot be installed
set -euo pipefail

CRATE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$CRATE_DIR/../../.." && pwd)
DEPS=${CONTRACTS_DEPS:-$ROOT/target/contracts-deps}
PACKAGES=(solc@0.8.31 @openzeppelin/contracts@5.7.0 @openzeppelin/contracts-upgradeable@5.7.0)

# Whether every pinned package is installed at its pinned version.
installed() {
  local spec name version
  for spec in "${PACKAGES[@]}"; do
    name=${spec%@*}
    version=${spec##*@}
    [ "$(node -p "require('$DEPS/node_modules/$name/package.json').version" 2>/dev/null)" = "$version" ] || return 1
  done
}

# Installs the pinned packages unless present; extra arguments go to npm.
install() {
  installed && return 0
  command -v npm >/dev/null 2>&1 || { echo "npm not found" >&2; return 1; }
  mkdir -p "$DEPS"
  echo "installing ${PACKAGES[*]} into $DEPS"
  npm install --prefix "$DEPS" --no-audit --no-fund --save-exact "$@" "${PACKAGES[@]}" >/dev/null
}

case "${1:-}" in
  build)
    install
    node "$CRATE_DIR/compile.mjs" "$DEPS" "$CRATE_DIR/artifacts"
    ;;
  check)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    # No retries: an unreachable registry skips the check in seconds, not minutes.
    if ! install --fetch-retries=0 --fetch-timeout=20000 2>"$tmp/npm.log"; then
      grep -m1 "npm error" "$tmp/npm.log" || true
      echo "contracts-check: SKIPPED: could not install ${PACKAGES[*]} (npm registry unreachable?)"
      exit 0
    fi
    rm -f "$tmp/npm.log"
    node "$CRATE_DIR/compile.mjs" "$DEPS" "$tmp" >/dev/null
    if ! diff -r "$CRATE_DIR/artifacts" "$tmp" >/dev/null; then
      diff -rq "$CRATE_DIR/artifacts" "$tmp" || true
      echo "contracts-check: FAILED: the committed artifacts differ from the sources; run \`make contracts\`" >&2
      exit 1
    fi
    echo "contracts-check: the committed artifacts match the sources"
    ;;
  *)
    echo "usage: $0 build|check" >&2
    exit 2
    ;;
esac
