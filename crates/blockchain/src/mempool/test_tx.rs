//! Test helpers: transactions signed by the dev accounts (their keys are public), on the dev
//! chain id.

use alloy_eips::{
    eip4844::{Blob, BlobTransactionSidecar, Bytes48},
    eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant},
};
use alloy_primitives::{Address, B256, TxKind, U256};
use ethrex_common::{
    dev::{DEV_CHAIN_ID, dev_accounts},
    types::{Eip1559Tx, Eip4844Tx, Transaction},
};
use ethrex_crypto::kzg;

use super::PooledTransaction;

/// Where test transfers go.
pub(crate) const RECIPIENT: Address = Address::repeat_byte(0x22);
/// Fee cap of [`tx_from`]'s transactions: 2 gwei.
pub(crate) const FEE_CAP: u64 = 2_000_000_000;

/// The secret key of dev account `i`.
pub(crate) fn secret(i: usize) -> B256 {
    dev_accounts().unwrap()[i].secret
}

/// The address of dev account `i`.
pub(crate) fn sender(i: usize) -> Address {
    dev_accounts().unwrap()[i].address
}

/// `tx` signed by dev account `i`.
pub(crate) fn sign(tx: Transaction, i: usize) -> Transaction {
    tx.sign(&secret(i)).unwrap()
}

/// An unsigned EIP-1559 transfer of 1 wei with 21,000 gas.
pub(crate) fn transfer(nonce: u64, fee_cap: u64, tip: u64) -> Transaction {
    Transaction::Eip1559(Eip1559Tx {
        chain_id: DEV_CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(tip),
        max_fee_per_gas: U256::from(fee_cap),
        gas_limit: 21_000,
        to: TxKind::Call(RECIPIENT),
        value: U256::from(1),
        ..Default::default()
    })
}

/// A pooled transfer from dev account `i` with these fees.
pub(crate) fn with_fees(i: usize, nonce: u64, fee_cap: u64, tip: u64) -> PooledTransaction {
    pooled(sign(transfer(nonce, fee_cap, tip), i))
}

/// A pooled transfer from dev account `i` with a [`FEE_CAP`] fee cap and this tip.
pub(crate) fn tx_from(i: usize, nonce: u64, tip: u64) -> PooledTransaction {
    with_fees(i, nonce, FEE_CAP, tip)
}

/// `tx` as the pool holds it.
pub(crate) fn pooled(tx: Transaction) -> PooledTransaction {
    PooledTransaction {
        sender: tx.sender().unwrap(),
        hash: tx.hash(),
        transaction: tx,
    }
}

/// A blob transaction (unsigned) carrying one blob, with a sidecar of the given version.
pub(crate) fn blob_tx(nonce: u64, cell_proofs: bool) -> Transaction {
    let mut bytes = vec![0u8; kzg::BYTES_PER_BLOB];
    bytes[1] = 42;
    let commitment = kzg::blob_commitment(&bytes).unwrap();
    let blob = Blob::from_slice(&bytes);
    let sidecar = if cell_proofs {
        let proofs = kzg::blob_cell_proofs(&bytes).unwrap();
        BlobTransactionSidecarVariant::Eip7594(BlobTransactionSidecarEip7594 {
            blobs: vec![blob],
            commitments: vec![Bytes48::from(commitment)],
            cell_proofs: proofs.into_iter().map(Bytes48::from).collect(),
        })
    } else {
        let proof = kzg::blob_proof(&bytes, &commitment).unwrap();
        BlobTransactionSidecarVariant::Eip4844(BlobTransactionSidecar {
            blobs: vec![blob],
            commitments: vec![Bytes48::from(commitment)],
            proofs: vec![Bytes48::from(proof)],
        })
    };
    let tx = Eip4844Tx {
        chain_id: DEV_CHAIN_ID,
        nonce,
        max_priority_fee_per_gas: U256::from(1_000_000_000u64),
        max_fee_per_gas: U256::from(2_000_000_000u64),
        gas_limit: 21_000,
        to: RECIPIENT,
        max_fee_per_blob_gas: U256::from(1_000_000_000u64),
        blob_versioned_hashes: vec![kzg::kzg_commitment_to_versioned_hash(&commitment)],
        ..Default::default()
    };
    Transaction::Eip4844(tx, Some(Box::new(sidecar)))
}
