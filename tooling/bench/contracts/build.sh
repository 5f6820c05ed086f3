#!/usr/bin/env bash
# Regenerates the runtime bytecode of every contract in this folder: `Name.sol` (one contract
# `Name` per file) compiles to `Name.hex`, the hex of its deployed (runtime) code, which the
# `evm` benchmark embeds at compile time. Uses solcjs from npm, installed outside the repository
# on first use (override the place with SOLC_DIR). The output is deterministic: pinned compiler,
# optimizer on, no metadata trailer.
set -euo pipefail

SOLC_VERSION=0.8.37
EVM_VERSION=osaka
SOLC_DIR=${SOLC_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ethrex-bench-solc}

cd "$(dirname "$0")"
if [ "$(node -p "try { require('$SOLC_DIR/node_modules/solc/package.json').version } catch (e) { '' }")" != "$SOLC_VERSION" ]; then
    mkdir -p "$SOLC_DIR"
    npm install --silent --no-save --prefix "$SOLC_DIR" "solc@$SOLC_VERSION" >&2
fi

node - "$SOLC_DIR" "$EVM_VERSION" *.sol <<'JS'
const fs = require("fs");
const [solcDir, evmVersion, ...files] = process.argv.slice(2);
const solc = require(`${solcDir}/node_modules/solc`);
const input = {
  language: "Solidity",
  sources: Object.fromEntries(files.map((f) => [f, { content: fs.readFileSync(f, "utf8") }])),
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion,
    metadata: { appendCBOR: false },
    outputSelection: { "*": { "*": ["evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);
for (const file of files) {
  const name = file.replace(/\.sol$/, "");
  const contract = (output.contracts[file] || {})[name];
  if (!contract) {
    console.error(`${file}: no contract named ${name}`);
    process.exit(1);
  }
  fs.writeFileSync(`${name}.hex`, contract.evm.deployedBytecode.object + "\n");
  console.error(`${name}.hex: ${contract.evm.deployedBytecode.object.length / 2} bytes`);
}
JS
