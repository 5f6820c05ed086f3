//! One way to make a transaction from its fields, and one way to sign it.
//!
//! [`TxFields::build`] picks the transaction type from the fields that are present, by the rule
//! `eth_call`, the test fillers and wallets share: an authorization list makes an EIP-7702
//! transaction, blob hashes an EIP-4844 one, dynamic fees an EIP-1559 one, an access list with a
//! gas price an EIP-2930 one, and anything else is legacy. The JSON-RPC call arguments, the
//! state-test runner and the differential fuzzer all build through it. [`Transaction::sign`]
//! fills the signature of any type (a legacy transaction keeps the EIP-155 choice its `v`
//! encodes).

use alloy_eips::{eip2930::AccessList, eip7702::SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use ethrex_crypto::RecoverableSig;

use super::{Eip1559Tx, Eip2930Tx, Eip4844Tx, Eip7702Tx, LegacyTx, Transaction};
use crate::{CommonError, Result};

/// The signature of calls and simulations (`r = s = 1`): never recovered, as the VM is told
/// the sender, but not zero.
pub const PLACEHOLDER_SIGNATURE: RecoverableSig = RecoverableSig {
    r: U256::from_limbs([1, 0, 0, 0]),
    s: U256::from_limbs([1, 0, 0, 0]),
    y_parity: false,
};

/// How a transaction pays for gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxFees {
    /// A gas price (legacy and EIP-2930).
    Legacy { gas_price: U256 },
    /// EIP-1559 fees (also used by blob and set-code transactions).
    Dynamic {
        max_fee_per_gas: U256,
        max_priority_fee_per_gas: U256,
    },
}

impl TxFees {
    /// The most a transaction pays per gas: the gas price or the max fee.
    pub fn max_fee_per_gas(self) -> U256 {
        self.pair().0
    }

    /// `(max fee, max priority fee)`: a gas price counts as both.
    fn pair(self) -> (U256, U256) {
        match self {
            TxFees::Legacy { gas_price } => (gas_price, gas_price),
            TxFees::Dynamic {
                max_fee_per_gas,
                max_priority_fee_per_gas,
            } => (max_fee_per_gas, max_priority_fee_per_gas),
        }
    }
}

/// The blob fields of an EIP-4844 transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlobFields {
    pub max_fee_per_blob_gas: U256,
    pub versioned_hashes: Vec<B256>,
}

/// The fields of an unsigned transaction of any type; [`TxFields::build`] picks the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxFields {
    pub chain_id: u64,
    pub nonce: u64,
    pub gas_limit: u64,
    pub to: TxKind,
    pub value: U256,
    pub data: Bytes,
    pub fees: TxFees,
    pub access_list: Option<AccessList>,
    pub blob: Option<BlobFields>,
    pub authorization_list: Option<Vec<SignedAuthorization>>,
    /// For a legacy transaction: whether its signature binds the chain id (EIP-155).
    pub eip155: bool,
}

impl TxFields {
    /// A legacy-priced call or creation with every optional field absent.
    pub fn new(chain_id: u64, nonce: u64, gas_limit: u64, to: TxKind) -> Self {
        TxFields {
            chain_id,
            nonce,
            gas_limit,
            to,
            value: U256::ZERO,
            data: Bytes::new(),
            fees: TxFees::Legacy {
                gas_price: U256::ZERO,
            },
            access_list: None,
            blob: None,
            authorization_list: None,
            eip155: true,
        }
    }

    /// The unsigned transaction (zero signature; a legacy `v` of 27, or `chain_id * 2 + 35`
    /// under EIP-155) of the type the fields call for (see the module docs). Blob and set-code
    /// transactions cannot create a contract.
    pub fn build(self) -> Result<Transaction> {
        let (max_fee_per_gas, max_priority_fee_per_gas) = self.fees.pair();
        let access_list = self.access_list.clone().unwrap_or_default();
        if let Some(authorization_list) = self.authorization_list {
            return Ok(Transaction::Eip7702(Eip7702Tx {
                chain_id: self.chain_id,
                nonce: self.nonce,
                max_priority_fee_per_gas,
                max_fee_per_gas,
                gas_limit: self.gas_limit,
                to: call_target(self.to, "an EIP-7702")?,
                value: self.value,
                data: self.data,
                access_list,
                authorization_list,
                ..Default::default()
            }));
        }
        if let Some(blob) = self.blob {
            return Ok(Transaction::Eip4844(
                Eip4844Tx {
                    chain_id: self.chain_id,
                    nonce: self.nonce,
                    max_priority_fee_per_gas,
                    max_fee_per_gas,
                    gas_limit: self.gas_limit,
                    to: call_target(self.to, "a blob")?,
                    value: self.value,
                    data: self.data,
                    access_list,
                    max_fee_per_blob_gas: blob.max_fee_per_blob_gas,
                    blob_versioned_hashes: blob.versioned_hashes,
                    ..Default::default()
                },
                None,
            ));
        }
        Ok(match (self.fees, self.access_list) {
            (TxFees::Dynamic { .. }, _) => Transaction::Eip1559(Eip1559Tx {
                chain_id: self.chain_id,
                nonce: self.nonce,
                max_priority_fee_per_gas,
                max_fee_per_gas,
                gas_limit: self.gas_limit,
                to: self.to,
                value: self.value,
                data: self.data,
                access_list,
                ..Default::default()
            }),
            (TxFees::Legacy { gas_price }, Some(access_list)) => Transaction::Eip2930(Eip2930Tx {
                chain_id: self.chain_id,
                nonce: self.nonce,
                gas_price,
                gas_limit: self.gas_limit,
                to: self.to,
                value: self.value,
                data: self.data,
                access_list,
                ..Default::default()
            }),
            (TxFees::Legacy { gas_price }, None) => Transaction::Legacy(LegacyTx {
                nonce: self.nonce,
                gas_price,
                gas_limit: self.gas_limit,
                to: self.to,
                value: self.value,
                data: self.data,
                v: legacy_v(self.eip155.then_some(self.chain_id), false)?,
                ..Default::default()
            }),
        })
    }
}

/// The callee of a transaction type that cannot create contracts.
fn call_target(to: TxKind, kind: &str) -> Result<Address> {
    match to {
        TxKind::Call(address) => Ok(address),
        TxKind::Create => Err(CommonError::InvalidTransaction(format!(
            "{kind} transaction cannot create a contract"
        ))),
    }
}

/// A legacy `v`: `27 + parity`, or `chain_id * 2 + 35 + parity` under EIP-155.
fn legacy_v(chain_id: Option<u64>, y_parity: bool) -> Result<u64> {
    let base = match chain_id {
        None => Some(27),
        Some(id) => id.checked_mul(2).and_then(|v| v.checked_add(35)),
    };
    base.and_then(|v| v.checked_add(u64::from(y_parity)))
        .ok_or_else(|| {
            CommonError::InvalidTransaction(format!(
                "chain id {chain_id:?} too large for a legacy v"
            ))
        })
}

impl Transaction {
    /// The transaction signed with `secret`: its signature fields replaced. A legacy
    /// transaction stays EIP-155 protected (for its chain id) exactly when its `v` says so.
    pub fn sign(self, secret: &B256) -> Result<Self> {
        let sig = ethrex_crypto::sign_hash(&self.signature_hash(), secret)?;
        self.with_signature(sig)
    }

    /// The transaction with its signature fields set to `sig` (for a legacy transaction, `v`
    /// keeps the chain id it encodes). Calls and simulations use a placeholder this way.
    pub fn with_signature(mut self, sig: RecoverableSig) -> Result<Self> {
        let (r, s, y_parity) = (sig.r, sig.s, sig.y_parity);
        match &mut self {
            Transaction::Legacy(tx) => {
                let v = legacy_v(tx.chain_id(), y_parity)?;
                (tx.v, tx.r, tx.s) = (v, r, s);
            }
            Transaction::Eip2930(tx) => (tx.y_parity, tx.r, tx.s) = (y_parity, r, s),
            Transaction::Eip1559(tx) => (tx.y_parity, tx.r, tx.s) = (y_parity, r, s),
            Transaction::Eip4844(tx, _) => (tx.y_parity, tx.r, tx.s) = (y_parity, r, s),
            Transaction::Eip7702(tx) => (tx.y_parity, tx.r, tx.s) = (y_parity, r, s),
            Transaction::Privileged(_) => {
                return Err(CommonError::InvalidTransaction(
                    "a privileged transaction is not signed".into(),
                ));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::TxType;
    use alloy_primitives::{address, b256};

    /// Hardhat's first dev key and its address.
    const SECRET: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const SENDER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const TO: Address = Address::repeat_byte(0x11);

    fn fields() -> TxFields {
        TxFields::new(7, 3, 50_000, TxKind::Call(TO))
    }

    const DYNAMIC: TxFees = TxFees::Dynamic {
        max_fee_per_gas: U256::from_limbs([10, 0, 0, 0]),
        max_priority_fee_per_gas: U256::from_limbs([2, 0, 0, 0]),
    };

    #[test]
    fn the_fields_present_choose_the_type() {
        let with = |f: fn(&mut TxFields)| {
            let mut fields = fields();
            f(&mut fields);
            fields.build().unwrap().tx_type()
        };
        assert_eq!(with(|_| {}), TxType::Legacy);
        assert_eq!(
            with(|f| f.access_list = Some(AccessList::default())),
            TxType::Eip2930
        );
        assert_eq!(with(|f| f.fees = DYNAMIC), TxType::Eip1559);
        assert_eq!(
            with(|f| {
                f.fees = DYNAMIC;
                f.blob = Some(BlobFields::default());
            }),
            TxType::Eip4844
        );
        assert_eq!(
            with(|f| {
                f.blob = Some(BlobFields::default());
                f.authorization_list = Some(Vec::new());
            }),
            TxType::Eip7702
        );
    }

    #[test]
    fn blob_and_set_code_transactions_cannot_create() {
        for set in [
            |f: &mut TxFields| f.blob = Some(BlobFields::default()),
            |f: &mut TxFields| f.authorization_list = Some(Vec::new()),
        ] {
            let mut fields = TxFields::new(1, 0, 21_000, TxKind::Create);
            set(&mut fields);
            assert!(matches!(
                fields.build(),
                Err(CommonError::InvalidTransaction(m)) if m.contains("cannot create")
            ));
        }
    }

    #[test]
    fn a_signed_transaction_of_every_type_recovers_the_signer() {
        let mut variants = vec![fields(), {
            let mut f = fields();
            f.eip155 = false;
            f
        }];
        for set in [
            |f: &mut TxFields| f.access_list = Some(AccessList::default()),
            |f: &mut TxFields| f.fees = DYNAMIC,
            |f: &mut TxFields| f.blob = Some(BlobFields::default()),
            |f: &mut TxFields| f.authorization_list = Some(Vec::new()),
        ] {
            let mut f = fields();
            set(&mut f);
            variants.push(f);
        }
        for fields in variants {
            let eip155 = fields.eip155;
            let tx = fields.build().unwrap().sign(&SECRET).unwrap();
            assert_eq!(tx.sender().unwrap(), SENDER, "{:?}", tx.tx_type());
            assert_eq!(
                tx.chain_id(),
                (eip155 || tx.tx_type() != TxType::Legacy).then_some(7)
            );
        }
    }

    #[test]
    fn legacy_v_encodes_the_chain_id_and_parity() {
        assert_eq!(legacy_v(None, true).unwrap(), 28);
        assert_eq!(legacy_v(Some(1), false).unwrap(), 37);
        assert_eq!(legacy_v(Some(1), true).unwrap(), 38);
        assert!(legacy_v(Some(u64::MAX), false).is_err());
    }
}
