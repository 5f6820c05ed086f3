//! The hashes the contracts compute, in Rust, so the sequencer, the prover and the tests build
//! exactly what `CommonBridge`, `CommonBridgeL2` and `OnChainProposer` check: privileged
//! transaction hashes and their rolling hash, the `sendToL2` alias, withdrawal data hashes and
//! Merkle leaves, the withdrawal Merkle tree (OpenZeppelin's sorted-pair `MerkleProof`), and the
//! 256 bytes of public inputs of a batch.

use alloy_primitives::{Address, B256, U256, keccak256};

use crate::{ALIAS_OFFSET, L2_BRIDGE_ADDRESS};

/// A privileged (L1 -> L2) transaction, as `PrivilegedTxSent` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivilegedTx<'a> {
    pub from: Address,
    pub to: Address,
    pub transaction_id: U256,
    pub value: U256,
    pub gas_limit: U256,
    pub data: &'a [u8],
}

impl PrivilegedTx<'_> {
    /// The bridge's hash, which is also the L2 transaction hash: keccak256(bytes20(from) ‖
    /// bytes20(to) ‖ bytes32(transactionId) ‖ bytes32(value) ‖ bytes32(gasLimit) ‖
    /// keccak256(data)).
    pub fn hash(&self) -> B256 {
        ethrex_common::types::privileged_tx_hash(
            self.from,
            self.to,
            self.transaction_id,
            self.value,
            self.gas_limit,
            self.data,
        )
    }
}

/// The rolling hash of `hashes` (oldest first): bytes2(count) ‖ the low 30 bytes of
/// keccak256(hash_1 ‖ … ‖ hash_n). `None` when there are none or more than 65,535.
pub fn rolling_hash(hashes: &[B256]) -> Option<B256> {
    let count = u16::try_from(hashes.len()).ok().filter(|n| *n > 0)?;
    let mut out = keccak256(hashes.concat());
    out[..2].copy_from_slice(&count.to_be_bytes());
    Some(out)
}

/// The L2 sender `sendToL2` records for a contract caller: `address + ALIAS_OFFSET` mod 2^160.
pub fn l1_to_l2_alias(address: Address) -> Address {
    let sum = U256::from_be_slice(address.as_slice())
        .wrapping_add(U256::from_be_slice(ALIAS_OFFSET.as_slice()));
    Address::from_slice(&sum.to_be_bytes::<32>()[12..])
}

/// The data of a withdrawal message: keccak256(tokenL1 ‖ tokenL2 ‖ receiver ‖ bytes32(amount)),
/// ETH being `ETH_TOKEN_ADDRESS` twice.
pub fn withdrawal_data_hash(
    token_l1: Address,
    token_l2: Address,
    receiver: Address,
    amount: U256,
) -> B256 {
    let mut buf = Vec::with_capacity(20 * 3 + 32);
    buf.extend_from_slice(token_l1.as_slice());
    buf.extend_from_slice(token_l2.as_slice());
    buf.extend_from_slice(receiver.as_slice());
    buf.extend_from_slice(&amount.to_be_bytes::<32>());
    keccak256(buf)
}

/// The Merkle leaf of an L1 message sent by `CommonBridgeL2`: keccak256(l2TxHash ‖
/// bytes20(0x…ffff) ‖ data ‖ bytes32(messageId)).
pub fn withdrawal_leaf(l2_tx_hash: B256, data_hash: B256, message_id: U256) -> B256 {
    let mut buf = Vec::with_capacity(32 + 20 + 32 + 32);
    buf.extend_from_slice(l2_tx_hash.as_slice());
    buf.extend_from_slice(L2_BRIDGE_ADDRESS.as_slice());
    buf.extend_from_slice(data_hash.as_slice());
    buf.extend_from_slice(&message_id.to_be_bytes::<32>());
    keccak256(buf)
}

/// The parent of two nodes: keccak256 of the pair sorted (OpenZeppelin's `MerkleProof`).
fn parent(a: B256, b: B256) -> B256 {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    keccak256([low.as_slice(), high.as_slice()].concat())
}

/// The next level up: pairs hashed in order, a lone last node moved up as is.
fn level_up(level: &[B256]) -> Vec<B256> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [a, b] => parent(*a, *b),
            [lone] => *lone,
            _ => B256::ZERO,
        })
        .collect()
}

/// The root over `leaves` in emission order: one leaf is its own root; none gives zero (a batch
/// without withdrawals publishes no root).
pub fn merkle_root(leaves: &[B256]) -> B256 {
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level_up(&level);
    }
    level.first().copied().unwrap_or(B256::ZERO)
}

/// The proof of leaf `index` (siblings from the bottom; a lone node's level adds nothing), as
/// `claimWithdrawal` takes it. `None` when `index` is out of range.
pub fn merkle_proof(leaves: &[B256], index: usize) -> Option<Vec<B256>> {
    if index >= leaves.len() {
        return None;
    }
    let mut proof = Vec::new();
    let mut level = leaves.to_vec();
    let mut index = index;
    while level.len() > 1 {
        if let Some(sibling) = level.get(index ^ 1) {
            proof.push(*sibling);
        }
        level = level_up(&level);
        index /= 2;
    }
    Some(proof)
}

/// What a proof of batch n proves, as `OnChainProposer` hands it to the verifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicInputs {
    /// Batch n−1's state root.
    pub initial_state_root: B256,
    pub final_state_root: B256,
    pub withdrawals_merkle_root: B256,
    pub privileged_rolling_hash: B256,
    pub blob_versioned_hash: B256,
    pub last_block_hash: B256,
    pub chain_id: U256,
    pub non_privileged_transactions: U256,
}

impl PublicInputs {
    /// The 8 words, 256 bytes (SP1's public values; RISC0 gets their sha256).
    pub fn encode(&self) -> [u8; 256] {
        let words = [
            self.initial_state_root.0,
            self.final_state_root.0,
            self.withdrawals_merkle_root.0,
            self.privileged_rolling_hash.0,
            self.blob_versioned_hash.0,
            self.last_block_hash.0,
            self.chain_id.to_be_bytes::<32>(),
            self.non_privileged_transactions.to_be_bytes::<32>(),
        ];
        let mut out = [0u8; 256];
        for (chunk, word) in out.chunks_exact_mut(32).zip(words) {
            chunk.copy_from_slice(&word);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, b256};

    use super::*;

    #[test]
    fn alias_adds_the_offset_modulo_2_160() {
        assert_eq!(l1_to_l2_alias(Address::ZERO), ALIAS_OFFSET, "zero + offset");
        // 0xffff…ffff + offset wraps to offset − 1.
        assert_eq!(
            l1_to_l2_alias(Address::repeat_byte(0xff)),
            address!("0xEe110000000000000000000000000000000011Fe")
        );
    }

    #[test]
    fn rolling_hash_prefixes_the_count() {
        let hashes = [B256::repeat_byte(1), B256::repeat_byte(2)];
        let rolling = rolling_hash(&hashes).unwrap();
        assert_eq!(&rolling[..2], &[0, 2]);
        assert_eq!(&rolling[2..], &keccak256(hashes.concat())[2..]);
        assert_eq!(rolling_hash(&[]), None);
    }

    #[test]
    fn merkle_tree_follows_the_sorted_pair_rule() {
        let leaves: Vec<B256> = (1..=5u8).map(B256::repeat_byte).collect();
        assert_eq!(merkle_root(&[]), B256::ZERO);
        assert_eq!(merkle_root(&leaves[..1]), leaves[0]);
        let ab = parent(leaves[0], leaves[1]);
        let cd = parent(leaves[2], leaves[3]);
        // The fifth leaf is lone twice and moves up to the top level.
        let root = parent(parent(ab, cd), leaves[4]);
        assert_eq!(merkle_root(&leaves), root);
        assert_eq!(parent(leaves[1], leaves[0]), ab, "the pair is sorted");
        for (i, leaf) in leaves.iter().enumerate() {
            let proof = merkle_proof(&leaves, i).unwrap();
            let folded = proof
                .iter()
                .fold(*leaf, |node, sibling| parent(node, *sibling));
            assert_eq!(folded, root, "leaf {i}");
        }
        assert_eq!(merkle_proof(&leaves, 4).unwrap(), vec![parent(ab, cd)]);
        assert_eq!(merkle_proof(&leaves, 5), None);
    }

    #[test]
    fn public_inputs_are_eight_words_in_order() {
        let inputs = PublicInputs {
            initial_state_root: B256::repeat_byte(1),
            final_state_root: B256::repeat_byte(2),
            withdrawals_merkle_root: B256::repeat_byte(3),
            privileged_rolling_hash: B256::repeat_byte(4),
            blob_versioned_hash: B256::repeat_byte(5),
            last_block_hash: B256::repeat_byte(6),
            chain_id: U256::from(65_536_999u64),
            non_privileged_transactions: U256::from(7u64),
        };
        let encoded = inputs.encode();
        for i in 0..6u8 {
            let word = &encoded[usize::from(i) * 32..usize::from(i + 1) * 32];
            assert_eq!(word, [i + 1; 32], "word {i}");
        }
        assert_eq!(
            B256::from_slice(&encoded[192..224]),
            b256!("0x0000000000000000000000000000000000000000000000000000000003e803e7")
        );
        assert_eq!(encoded[255], 7);
    }
}
