#!/usr/bin/env bash
# make l2-kzg-check: the batch blobs' KZG commitments and proofs against PyPI ckzg.
#
# Installs ckzg (pinned) into an ignored venv under target/ (once), writes a few blobs made by
# our encoder with our commitment, versioned hash, blob proof and cell proofs (the
# ethrex-l2-common example kzg_vectors), and has tests/l2/kzg_check.py recompute and compare them
# byte for byte. Skips, saying so, when pip cannot install ckzg (PyPI unreachable).
# The trusted setup ckzg loads is the text file shipped in the c-kzg crate's sources (the one
# our build uses), found with cargo metadata; the script checks it against a known proof first.
# L2_KZG_VENV overrides the venv folder (with PIP_INDEX_URL on a dead loopback port: the skip).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ethrex-target}"
CKZG_VERSION=2.1.8
VENV="${L2_KZG_VENV:-$ROOT/target/l2-kzg-venv}"
PY="$VENV/bin/python"

installed() { "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('ckzg') != '$CKZG_VERSION')" 2>/dev/null; }
if ! installed; then
    echo "l2-kzg-check: installing ckzg==$CKZG_VERSION into $VENV (pip)"
    python3 -m venv "$VENV" || { echo "l2-kzg-check: SKIPPED: python3 -m venv failed"; exit 0; }
    log="$(mktemp)"
    if ! "$PY" -m pip install --quiet --disable-pip-version-check --retries 0 --timeout 20 \
        "ckzg==$CKZG_VERSION" >"$log" 2>&1; then
        grep -m1 -iE "error|could not" "$log" || true
        rm -f "$log"
        echo "l2-kzg-check: SKIPPED: could not install ckzg==$CKZG_VERSION (PyPI unreachable?)"
        exit 0
    fi
    rm -f "$log"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cargo run --quiet -p ethrex-l2-common --example kzg_vectors -- "$WORK/vectors.json"
# After the build, so that the c-kzg sources are surely unpacked.
SETUP="$(cargo metadata --format-version 1 2>/dev/null | "$PY" -c '
import json, os, sys
m = json.load(sys.stdin)
print(next(os.path.join(os.path.dirname(p["manifest_path"]), "src", "trusted_setup.txt")
           for p in m["packages"] if p["name"] == "c-kzg"))')"
[ -f "$SETUP" ] || { echo "l2-kzg-check: FAILED: no trusted setup at $SETUP"; exit 1; }
"$PY" "$ROOT/tests/l2/kzg_check.py" "$WORK/vectors.json" "$SETUP"
