//! Signed transactions for tests: [`TxBuilder`] fills the fields every type shares (defaults: a
//! 21,000-gas call of `0xaa…aa` on the dev chain, 2 gwei fee cap, 1 gwei tip, signed by dev
//! account 0) and signs it as a legacy, EIP-1559, blob or EIP-7702 transaction.
//!
//! The dev keys are public (`ethrex_common::dev`); [`sign`] takes any key.

use alloy_eips::{
    eip2930::AccessList,
    eip4844::{Blob, BlobTransactionSidecar},
    eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant},
    eip7702::{Authorization, SignedAuthorization},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use ethrex_common::{
    dev::{DEV_CHAIN_ID, dev_accounts},
    types::{BlobFields, Transaction, TxFees, TxFields},
};

/// A one-blob sidecar and the blob's versioned hash. The blob is zero but for `seed` from byte 1
/// on (at most 31 bytes: the first field element stays below the modulus), so different seeds
/// give different blobs. Blob proofs (version 0, up to Prague) or, with `cell_proofs`, the 128
/// cell proofs of version 1 (Osaka on).
pub fn blob_sidecar(seed: &[u8], cell_proofs: bool) -> (B256, BlobTransactionSidecarVariant) {
    use ethrex_crypto::kzg;
    let mut bytes = vec![0u8; kzg::BYTES_PER_BLOB];
    let seed = &seed[..seed.len().min(31)];
    bytes[1..=seed.len()].copy_from_slice(seed);
    let commitment = kzg::blob_commitment(&bytes).expect("a valid blob");
    let blob = Blob::from_slice(&bytes);
    let sidecar = if cell_proofs {
        let proofs = kzg::blob_cell_proofs(&bytes).expect("cell proofs");
        BlobTransactionSidecarVariant::Eip7594(BlobTransactionSidecarEip7594 {
            blobs: vec![blob],
            commitments: vec![commitment.into()],
            cell_proofs: proofs.into_iter().map(Into::into).collect(),
        })
    } else {
        let proof = kzg::blob_proof(&bytes, &commitment).expect("a blob proof");
        BlobTransactionSidecarVariant::Eip4844(BlobTransactionSidecar {
            blobs: vec![blob],
            commitments: vec![commitment.into()],
            proofs: vec![proof.into()],
        })
    };
    (kzg::kzg_commitment_to_versioned_hash(&commitment), sidecar)
}

/// One gwei in wei.
pub const GWEI: u64 = 1_000_000_000;
/// Where a [`TxBuilder`] sends unless told otherwise.
pub const DEFAULT_RECIPIENT: Address = Address::repeat_byte(0xaa);

/// The secret key of dev account `i` (the order of `dev-keys.txt`).
pub fn dev_secret(i: usize) -> B256 {
    dev_accounts().expect("dev keys")[i].secret
}

/// The address of dev account `i`.
pub fn dev_address(i: usize) -> Address {
    dev_accounts().expect("dev keys")[i].address
}

/// `tx` signed with `secret` ([`Transaction::sign`]): its signature fields replaced. A legacy
/// transaction keeps the chain id its `v` names (EIP-155), or none when `v` is 27 or 28.
pub fn sign(tx: Transaction, secret: &B256) -> Transaction {
    tx.sign(secret).expect("sign")
}

/// An EIP-7702 authorization to delegate to `address`, signed with `secret`.
pub fn authorization(
    chain_id: u64,
    address: Address,
    nonce: u64,
    secret: &B256,
) -> SignedAuthorization {
    let auth = Authorization {
        chain_id: U256::from(chain_id),
        address,
        nonce,
    };
    let sig = ethrex_crypto::sign_hash(&auth.signature_hash(), secret).expect("sign");
    auth.into_signed(alloy_primitives::Signature::new(sig.r, sig.s, sig.y_parity))
}

/// The network encoding of `tx` as `0x`-hex, as `eth_sendRawTransaction` takes it.
pub fn raw(tx: &Transaction) -> String {
    format!("0x{}", alloy_primitives::hex::encode(tx.encode_network()))
}

/// The fields every transaction type shares; a type method signs the transaction.
#[derive(Debug, Clone)]
pub struct TxBuilder {
    chain_id: u64,
    nonce: u64,
    to: TxKind,
    value: U256,
    data: Bytes,
    gas_limit: u64,
    /// The fee cap, or the gas price of a legacy or EIP-2930 transaction.
    max_fee: U256,
    tip: U256,
    access_list: AccessList,
    secret: B256,
}

impl Default for TxBuilder {
    fn default() -> Self {
        TxBuilder {
            chain_id: DEV_CHAIN_ID,
            nonce: 0,
            to: TxKind::Call(DEFAULT_RECIPIENT),
            value: U256::ZERO,
            data: Bytes::new(),
            gas_limit: 21_000,
            max_fee: U256::from(2 * GWEI),
            tip: U256::from(GWEI),
            access_list: AccessList::default(),
            secret: dev_secret(0),
        }
    }
}

impl TxBuilder {
    /// A 21,000-gas call of [`DEFAULT_RECIPIENT`] with no value, signed by dev account 0.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn nonce(mut self, nonce: u64) -> Self {
        self.nonce = nonce;
        self
    }

    pub fn to(mut self, to: Address) -> Self {
        self.to = TxKind::Call(to);
        self
    }

    /// A contract creation (`data` is the init code).
    pub fn create(mut self) -> Self {
        self.to = TxKind::Create;
        self
    }

    /// The value in wei.
    pub fn value(mut self, value: u64) -> Self {
        self.value = U256::from(value);
        self
    }

    pub fn data(mut self, data: impl Into<Bytes>) -> Self {
        self.data = data.into();
        self
    }

    pub fn gas_limit(mut self, gas_limit: u64) -> Self {
        self.gas_limit = gas_limit;
        self
    }

    /// The fee cap and the priority fee (a legacy transaction's gas price is the fee cap).
    pub fn fees(mut self, max_fee: u64, tip: u64) -> Self {
        (self.max_fee, self.tip) = (U256::from(max_fee), U256::from(tip));
        self
    }

    pub fn chain_id(mut self, chain_id: u64) -> Self {
        self.chain_id = chain_id;
        self
    }

    pub fn access_list(mut self, access_list: AccessList) -> Self {
        self.access_list = access_list;
        self
    }

    /// Signs with `secret` instead of dev account 0's key.
    pub fn signer(mut self, secret: B256) -> Self {
        self.secret = secret;
        self
    }

    /// The shared fields with legacy fees, as [`TxFields`]; the type methods add to them.
    fn fields(&self) -> TxFields {
        TxFields {
            value: self.value,
            data: self.data.clone(),
            fees: TxFees::Legacy {
                gas_price: self.max_fee,
            },
            ..TxFields::new(self.chain_id, self.nonce, self.gas_limit, self.to)
        }
    }

    /// The shared fields with EIP-1559 fees and the access list.
    fn dynamic_fields(&self) -> TxFields {
        TxFields {
            fees: TxFees::Dynamic {
                max_fee_per_gas: self.max_fee,
                max_priority_fee_per_gas: self.tip,
            },
            access_list: Some(self.access_list.clone()),
            ..self.fields()
        }
    }

    /// `fields` built ([`TxFields::build`] picks the type) and signed.
    fn signed(&self, fields: TxFields) -> Transaction {
        sign(fields.build().expect("transaction fields"), &self.secret)
    }

    /// A legacy transaction with the chain id in `v` (EIP-155); gas price = the fee cap.
    pub fn legacy(self) -> Transaction {
        self.signed(self.fields())
    }

    /// An EIP-2930 transaction; gas price = the fee cap.
    pub fn eip2930(self) -> Transaction {
        self.signed(TxFields {
            access_list: Some(self.access_list.clone()),
            ..self.fields()
        })
    }

    pub fn eip1559(self) -> Transaction {
        self.signed(self.dynamic_fields())
    }

    /// A blob transaction (no sidecar) carrying `blob_hashes`, paying at most
    /// `max_fee_per_blob_gas`. Panics for a creation (blob transactions cannot create).
    pub fn eip4844(self, blob_hashes: Vec<B256>, max_fee_per_blob_gas: u64) -> Transaction {
        self.signed(TxFields {
            blob: Some(BlobFields {
                max_fee_per_blob_gas: U256::from(max_fee_per_blob_gas),
                versioned_hashes: blob_hashes,
            }),
            ..self.dynamic_fields()
        })
    }

    /// A blob transaction carrying the one blob of [`blob_sidecar`]`(seed, cell_proofs)`, in its
    /// network form (with the sidecar), paying at most `max_fee_per_blob_gas`.
    pub fn eip4844_with_sidecar(
        self,
        seed: &[u8],
        cell_proofs: bool,
        max_fee_per_blob_gas: u64,
    ) -> Transaction {
        let (hash, sidecar) = blob_sidecar(seed, cell_proofs);
        match self.eip4844(vec![hash], max_fee_per_blob_gas) {
            Transaction::Eip4844(tx, _) => Transaction::Eip4844(tx, Some(Box::new(sidecar))),
            other => other,
        }
    }

    /// An EIP-7702 transaction carrying `authorizations` (see [`authorization`]). Panics for a
    /// creation (set-code transactions cannot create).
    pub fn eip7702(self, authorizations: Vec<SignedAuthorization>) -> Transaction {
        self.signed(TxFields {
            authorization_list: Some(authorizations),
            ..self.dynamic_fields()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_recovers_to_its_signer() {
        let auth = authorization(DEV_CHAIN_ID, Address::repeat_byte(9), 0, &dev_secret(1));
        let sig = ethrex_crypto::RecoverableSig {
            r: auth.r(),
            s: auth.s(),
            y_parity: auth.y_parity() == 1,
        };
        let authority = ethrex_crypto::recover_address(&auth.inner().signature_hash(), &sig);
        assert_eq!(authority.unwrap(), dev_address(1));
        let txs = [
            TxBuilder::new().legacy(),
            TxBuilder::new().eip2930(),
            TxBuilder::new().eip1559(),
            TxBuilder::new().eip4844(vec![B256::repeat_byte(1)], 1),
            TxBuilder::new().eip7702(vec![auth]),
            TxBuilder::new().signer(dev_secret(3)).eip1559(),
        ];
        let signers = [0, 0, 0, 0, 0, 3].map(dev_address);
        for (tx, signer) in txs.iter().zip(signers) {
            assert_eq!(tx.sender().unwrap(), signer, "{:?}", tx.tx_type());
            assert_eq!(tx.chain_id(), Some(DEV_CHAIN_ID), "{:?}", tx.tx_type());
        }
    }

    #[test]
    fn raw_is_the_network_encoding_in_hex() {
        let tx = TxBuilder::new().nonce(3).value(5).eip1559();
        let decoded = ethrex_common::types::decode_transaction(
            &alloy_primitives::hex::decode(raw(&tx)).unwrap(),
        )
        .unwrap();
        assert_eq!(decoded.hash(), tx.hash());
    }
}
