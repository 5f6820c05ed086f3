// Compiles the contracts under src/ (and OpenZeppelin's ERC1967Proxy) with solcjs through its
// standard-JSON interface, and writes one ABI, creation-code and deployed-code file per contract
// into the output folder. Deterministic: same sources and compiler, same bytes.
//
// Usage: node compile.mjs <deps folder (npm --prefix)> <output folder>

import { createRequire } from "node:module";
import { readFileSync, readdirSync, writeFileSync, mkdirSync, statSync } from "node:fs";
import { join, relative, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const [depsDir, outDir] = process.argv.slice(2);
if (!depsDir || !outDir) {
  console.error("usage: node compile.mjs <deps folder> <output folder>");
  process.exit(2);
}
const crateDir = dirname(fileURLToPath(import.meta.url));
const modules = resolve(depsDir, "node_modules");
const solc = createRequire(join(modules, "noop.js"))("solc");

// The contracts that get artifacts, by source unit.
const PROXY = "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
const ARTIFACTS = {
  "src/l1/CommonBridge.sol": ["CommonBridge"],
  "src/l1/OnChainProposer.sol": ["OnChainProposer"],
  [PROXY]: ["ERC1967Proxy"],
  "src/l2/CommonBridgeL2.sol": ["CommonBridgeL2"],
  "src/l2/Messenger.sol": ["Messenger"],
  "src/test/MockSP1Verifier.sol": ["MockSP1Verifier"],
  "src/test/MockRisc0Verifier.sol": ["MockRisc0Verifier"],
  "src/test/TestToken.sol": ["TestToken"],
  "src/test/TestTokenL2.sol": ["TestTokenL2"],
  "src/test/BridgeCaller.sol": ["BridgeCaller"],
};

function solidityFiles(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return solidityFiles(path);
      return name.endsWith(".sol") ? [path] : [];
    });
}

const sources = {};
for (const path of solidityFiles(join(crateDir, "src"))) {
  sources[relative(crateDir, path)] = { content: readFileSync(path, "utf8") };
}
sources[PROXY] = { content: readFileSync(join(modules, PROXY), "utf8") };

const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "osaka",
    metadata: { bytecodeHash: "none" },
    outputSelection: {
      "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
    },
  },
};

function findImports(path) {
  if (path.startsWith("@openzeppelin/")) {
    try {
      return { contents: readFileSync(join(modules, path), "utf8") };
    } catch (e) {
      return { error: `${path}: ${e.message}` };
    }
  }
  return { error: `${path}: not found (only @openzeppelin/ imports resolve outside src/)` };
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
// Our own warnings are shown; OpenZeppelin's (its transient-storage notice) are not.
for (const e of output.errors ?? []) {
  if (e.severity === "error" || e.sourceLocation?.file?.startsWith("src/")) console.error(e.formattedMessage);
}
if (errors.length > 0) process.exit(1);

mkdirSync(outDir, { recursive: true });
for (const [unit, names] of Object.entries(ARTIFACTS)) {
  for (const name of names) {
    const contract = output.contracts?.[unit]?.[name];
    if (!contract) {
      console.error(`${unit}:${name} missing from the compiler's output`);
      process.exit(1);
    }
    writeFileSync(join(outDir, `${name}.abi.json`), JSON.stringify(contract.abi, null, 2) + "\n");
    writeFileSync(join(outDir, `${name}.bin`), contract.evm.bytecode.object + "\n");
    writeFileSync(join(outDir, `${name}.bin-runtime`), contract.evm.deployedBytecode.object + "\n");
  }
}
console.log(`solc ${solc.version()}: ${Object.values(ARTIFACTS).flat().length} artifacts in ${outDir}`);
