// Cross-checks ethrex's served range proofs with an independent verifier: @ethereumjs/mpt's
// verifyMerkleRangeProof. Reads the vectors written by the ethrex-p2p test
// `served_ranges_and_tampered_ones_make_cross_check_vectors` (`make mpt-cross-check`): each
// range must verify exactly when ethrex says it does, with the same "more to come" answer.
// Prints one line per vector and exits non-zero on any disagreement.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'

const [vectorsPath, modulesDir] = process.argv.slice(2)
const require = createRequire(`${resolve(modulesDir)}/`)
const { verifyMerkleRangeProof } = require('@ethereumjs/mpt')
const { hexToBytes } = require('@ethereumjs/util')

const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8'))
let agreed = 0
let disagreed = 0
for (const v of vectors) {
  const bytes = (h) => hexToBytes(h)
  const proof = v.proof === null ? null : v.proof.map(bytes)
  // A whole trie (no proof) is checked with no edge keys, as the API requires.
  const first = proof === null ? null : bytes(v.first)
  const last = proof === null || v.last === null ? null : bytes(v.last)
  let valid
  let more = false
  let reason = ''
  try {
    more = await verifyMerkleRangeProof(
      bytes(v.root),
      first,
      last,
      v.keys.map(bytes),
      v.values.map(bytes),
      proof,
    )
    valid = true
  } catch (e) {
    valid = false
    reason = ` (${String(e.message ?? e).split('\n')[0]})`
  }
  const same = valid === v.valid && (!valid || more === v.more)
  if (same) agreed++
  else disagreed++
  const verdict = (ok, m) => (ok ? `valid, more=${m}` : 'invalid')
  console.log(
    `${same ? 'agree   ' : 'DISAGREE'} ${v.name}: ethrex ${verdict(v.valid, v.more)}, ethereumjs ${verdict(valid, more)}${reason}`,
  )
}
console.log(`${agreed} agree, ${disagreed} disagree, of ${vectors.length} vectors`)
process.exit(disagreed === 0 && vectors.length > 0 ? 0 : 1)
