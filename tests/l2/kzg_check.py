#!/usr/bin/env python3
"""Cross-check of the rollup's batch blob commitments against PyPI ckzg (issue 14: "KZG
commitments equal PyPI ckzg's").

Input: the JSON written by `cargo run -p ethrex-l2-common --example kzg_vectors` — blobs made by
our encoder with our commitment, versioned hash, blob proof and 128 cell proofs. For each blob,
ckzg recomputes the commitment, the blob proof and the cells and cell proofs, which must equal
ours byte for byte; the versioned hash is recomputed with hashlib; ckzg's verify functions must
accept our proofs and refuse them for a changed blob. The blob layout is checked too (every
field element starts with 0x00, zeros after the payload).

Usage: kzg_check.py <vectors.json> <trusted_setup.txt>; exits 1 on any difference.
"""

import hashlib
import json
import sys

import ckzg

# go-ethereum's point-evaluation vector (also in crates/crypto/src/kzg.rs): proves the setup
# that was loaded is the Ethereum one before anything is compared.
SETUP_VECTOR = (
    "8f59a8d2a1a625a17f3fea0fe5eb8c896db3764f3185481bc22f91b4aaffcca25f26936857bc3a7c2539ea8ec3a952b7",
    "564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d36306",
    "24d25032e67a7e6a4910df5834b8fe70e6bcfeeac0352434196bdf4b2485d5a1",
    "873033e038326e87ed3e1276fd140253fa08e9fc25fb2d9a98527fc22a2c9612fbeafdad446cbc7bcdbdcd780af2c16a",
)

failures = []
checked = [0]


def check(what, ok):
    checked[0] += 1
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def verifies(verify, *args):
    """ckzg's answer, or False (said why) when it refuses the input as malformed."""
    try:
        return verify(*args)
    except Exception as e:  # noqa: BLE001 - ckzg raises RuntimeError on malformed points
        print(f"  ckzg: {verify.__name__}: {e}")
        return False


def main():
    vectors_path, setup_path = sys.argv[1], sys.argv[2]
    setup = ckzg.load_trusted_setup(setup_path, 0)
    c, z, y, proof = (bytes.fromhex(h) for h in SETUP_VECTOR)
    if not ckzg.verify_kzg_proof(c, z, y, proof, setup):
        print(f"l2-kzg-check: FAILED: {setup_path} is not the Ethereum trusted setup")
        return 1
    cases = json.load(open(vectors_path))
    if not cases:
        print("l2-kzg-check: FAILED: no blobs to compare")
        return 1
    for case in cases:
        blob = bytes.fromhex(case["blob"])
        ours = {k: bytes.fromhex(case[k]) for k in ("commitment", "versioned_hash", "blob_proof")}
        our_cells = [bytes.fromhex(p) for p in case["cell_proofs"]]
        used = case["payload_length"]
        print(f"{case['name']} ({case['blocks']} blocks, {used} payload bytes):")

        elements = [blob[i : i + 32] for i in range(0, len(blob), 32)]
        payload = b"".join(e[1:] for e in elements)
        check(
            f"layout: {len(blob)} bytes, every field element starts with 0x00, zeros after byte {used}",
            len(blob) == 131072
            and all(e[0] == 0 for e in elements)
            and not any(payload[used:]),
        )

        commitment = ckzg.blob_to_kzg_commitment(blob, setup)
        check(f"commitment equals ckzg's ({commitment.hex()[:16]}…)", commitment == ours["commitment"])
        versioned = b"\x01" + hashlib.sha256(commitment).digest()[1:]
        check(f"versioned hash equals 0x01 ‖ sha256(commitment)[1:] ({versioned.hex()[:16]}…)",
              versioned == ours["versioned_hash"])
        proof = ckzg.compute_blob_kzg_proof(blob, commitment, setup)
        check("blob proof (sidecar version 0) equals ckzg's", proof == ours["blob_proof"])
        cells, proofs = ckzg.compute_cells_and_kzg_proofs(blob, setup)
        check(f"{len(proofs)} cell proofs (version 1) equal ckzg's",
              len(our_cells) == 128 and list(proofs) == our_cells)

        check("ckzg verifies our blob proof",
              verifies(ckzg.verify_blob_kzg_proof, blob, ours["commitment"], ours["blob_proof"], setup))
        check("ckzg verifies our 128 cell proofs",
              verifies(ckzg.verify_cell_kzg_proof_batch,
                       [ours["commitment"]] * 128, list(range(128)), list(cells), our_cells, setup))
        # A negative control: the same proofs for a blob changed in one byte must not verify.
        changed = bytearray(blob)
        changed[1] ^= 1
        changed = bytes(changed)
        other_cells, _ = ckzg.compute_cells_and_kzg_proofs(changed, setup)
        check("ckzg refuses our proofs for a blob changed in one byte",
              not verifies(ckzg.verify_blob_kzg_proof,
                           changed, ours["commitment"], ours["blob_proof"], setup)
              and not verifies(ckzg.verify_cell_kzg_proof_batch, [ours["commitment"]] * 128,
                               list(range(128)), list(other_cells), our_cells, setup))

    checks = checked[0]
    if failures:
        print(f"l2-kzg-check: FAILED: {len(failures)} of {checks} checks differ")
        return 1
    print(f"l2-kzg-check: {len(cases)} blobs, {checks} checks: commitments, versioned hashes, "
          f"blob proofs and cell proofs equal ckzg {ckzg_version()}'s, and ckzg verifies ours")
    return 0


def ckzg_version():
    try:
        from importlib.metadata import version

        return version("ckzg")
    except Exception:  # noqa: BLE001 - the version is only printed
        return "(unknown version)"


if __name__ == "__main__":
    sys.exit(main())
