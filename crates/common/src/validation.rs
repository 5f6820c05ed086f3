//! Stateless transaction validity per fork: type support, signature rules, chain id, limits and
//! intrinsic gas.
//!
//! These are the checks that need no state (nonce and balance against an account are the
//! blockchain's). Each rule names the EIP and fork that introduced it; [`intrinsic_gas`] is the
//! single source of the intrinsic cost, shared with the EVM.

use alloy_primitives::U256;

use crate::{
    Fork,
    constants::MAX_INITCODE_SIZE,
    types::{Transaction, TxType},
};

/// Gas of every transaction (yellow paper `G_transaction`).
pub const TX_BASE_GAS: u64 = 21_000;
/// Extra gas of a contract creation from Homestead (EIP-2).
pub const TX_CREATE_GAS: u64 = 32_000;
/// Gas per zero byte of calldata.
pub const TX_DATA_ZERO_GAS: u64 = 4;
/// Gas per non-zero byte of calldata before Istanbul.
pub const TX_DATA_NON_ZERO_GAS_FRONTIER: u64 = 68;
/// Gas per non-zero byte of calldata from Istanbul (EIP-2028).
pub const TX_DATA_NON_ZERO_GAS_ISTANBUL: u64 = 16;
/// Gas per access-list address (EIP-2930).
pub const ACCESS_LIST_ADDRESS_GAS: u64 = 2_400;
/// Gas per access-list storage key (EIP-2930).
pub const ACCESS_LIST_STORAGE_KEY_GAS: u64 = 1_900;
/// Gas per 32-byte word of initcode (EIP-3860).
pub const INITCODE_WORD_GAS: u64 = 2;
/// Gas per EIP-7702 authorization (`PER_EMPTY_ACCOUNT_COST`).
pub const PER_AUTH_BASE_GAS: u64 = 25_000;
/// Gas per calldata token of the EIP-7623 floor (Prague).
pub const FLOOR_GAS_PER_TOKEN: u64 = 10;
/// Transaction gas limit cap of EIP-7825 (Osaka).
pub const MAX_TX_GAS_LIMIT_OSAKA: u64 = 1 << 24;
/// Maximum blobs per transaction of EIP-7594 (Osaka).
pub const MAX_BLOBS_PER_TX_OSAKA: usize = 6;
/// Version byte of a KZG versioned hash (EIP-4844).
pub const VERSIONED_HASH_VERSION_KZG: u8 = 0x01;
/// Half the secp256k1 order: the EIP-2 bound on `s` from Homestead.
pub const SECP256K1_HALF_N: U256 = U256::from_be_bytes([
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// Why a transaction is invalid under a fork, whatever the state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxValidityError {
    #[error("transaction type {ty} is not supported before {needs} (fork is {fork})")]
    TypeNotSupported { ty: u8, needs: Fork, fork: Fork },
    #[error("signature s value is above secp256k1n/2 (EIP-2)")]
    HighS,
    #[error("signature r or s is zero or not below the curve order")]
    SignatureOutOfRange,
    #[error("EIP-155 replay-protected transaction before Spurious Dragon")]
    ReplayProtectionNotActive,
    #[error("invalid chain id {got}, expected {expected}")]
    InvalidChainId { expected: u64, got: u64 },
    #[error("nonce {0} is at the EIP-2681 maximum")]
    NonceTooBig(u64),
    #[error("gas limit {gas_limit} is below the intrinsic gas {intrinsic}")]
    IntrinsicGasTooLow { gas_limit: u64, intrinsic: u64 },
    #[error("gas limit {gas_limit} is above the EIP-7825 cap {cap}")]
    GasLimitAboveCap { gas_limit: u64, cap: u64 },
    #[error("initcode of {size} bytes exceeds the EIP-3860 maximum {max}")]
    InitcodeSizeExceeded { size: usize, max: usize },
    #[error("max priority fee {priority} is greater than max fee {max_fee}")]
    PriorityAboveMaxFee { priority: U256, max_fee: U256 },
    #[error("blob transaction without blobs")]
    NoBlobs,
    #[error("{count} blobs exceed the per-transaction maximum {max}")]
    TooManyBlobs { count: usize, max: usize },
    #[error("blob versioned hash has version {0:#04x}, expected 0x01")]
    InvalidBlobHashVersion(u8),
    #[error("set-code transaction with an empty authorization list")]
    EmptyAuthorizationList,
    #[error("gas limit times gas price overflows 256 bits")]
    GasCostOverflow,
    #[error("privileged transactions (type 0x7e) exist only on the rollup")]
    PrivilegedNotAllowed,
}

/// The first fork that accepts transactions of this type (a privileged transaction is the
/// rollup's: no Ethereum fork accepts it, [`validate_transaction`] refuses it).
pub const fn fork_enabling(ty: TxType) -> Fork {
    match ty {
        TxType::Legacy => Fork::Frontier,
        TxType::Eip2930 => Fork::Berlin,
        TxType::Eip1559 => Fork::London,
        TxType::Eip4844 => Fork::Cancun,
        TxType::Eip7702 | TxType::Privileged => Fork::Prague,
    }
}

/// Intrinsic gas of `tx` under `fork`: base, creation, calldata, access list, initcode words,
/// authorizations. The EIP-7623 floor is separate: [`calldata_floor_gas`].
pub fn intrinsic_gas(tx: &Transaction, fork: Fork) -> u64 {
    let input = tx.data();
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    let non_zeros = input.len() as u64 - zeros;
    let non_zero_cost = if fork >= Fork::Istanbul {
        TX_DATA_NON_ZERO_GAS_ISTANBUL
    } else {
        TX_DATA_NON_ZERO_GAS_FRONTIER
    };
    let mut gas = TX_BASE_GAS
        .saturating_add(zeros.saturating_mul(TX_DATA_ZERO_GAS))
        .saturating_add(non_zeros.saturating_mul(non_zero_cost));
    if tx.is_create() {
        if fork >= Fork::Homestead {
            gas = gas.saturating_add(TX_CREATE_GAS);
        }
        if fork >= Fork::Shanghai {
            let words = (input.len() as u64).div_ceil(32);
            gas = gas.saturating_add(words.saturating_mul(INITCODE_WORD_GAS));
        }
    }
    if let Some(list) = tx.access_list() {
        for item in list.iter() {
            gas = gas.saturating_add(ACCESS_LIST_ADDRESS_GAS).saturating_add(
                (item.storage_keys.len() as u64).saturating_mul(ACCESS_LIST_STORAGE_KEY_GAS),
            );
        }
    }
    if let Some(auths) = tx.authorization_list() {
        gas = gas.saturating_add((auths.len() as u64).saturating_mul(PER_AUTH_BASE_GAS));
    }
    gas
}

/// The EIP-7623 calldata floor (Prague): `21000 + 10 * (zero bytes + 4 * non-zero bytes)`.
pub fn calldata_floor_gas(tx: &Transaction) -> u64 {
    let input = tx.data();
    let zeros = input.iter().filter(|b| **b == 0).count() as u64;
    let tokens = zeros.saturating_add((input.len() as u64 - zeros).saturating_mul(4));
    TX_BASE_GAS.saturating_add(tokens.saturating_mul(FLOOR_GAS_PER_TOKEN))
}

/// Checks every stateless rule of `fork` on `tx` for a chain with id `chain_id`.
pub fn validate_transaction(
    tx: &Transaction,
    fork: Fork,
    chain_id: u64,
) -> Result<(), TxValidityError> {
    let ty = tx.tx_type();
    if ty == TxType::Privileged {
        return Err(TxValidityError::PrivilegedNotAllowed);
    }
    let needs = fork_enabling(ty);
    if fork < needs {
        return Err(TxValidityError::TypeNotSupported {
            ty: ty as u8,
            needs,
            fork,
        });
    }
    check_signature(tx, fork)?;
    if let Some(got) = tx.chain_id() {
        if ty == TxType::Legacy && fork < Fork::SpuriousDragon {
            return Err(TxValidityError::ReplayProtectionNotActive);
        }
        if got != chain_id {
            return Err(TxValidityError::InvalidChainId {
                expected: chain_id,
                got,
            });
        }
    }
    if tx.nonce() == u64::MAX {
        return Err(TxValidityError::NonceTooBig(tx.nonce()));
    }
    let gas_limit = tx.gas_limit();
    U256::from(gas_limit)
        .checked_mul(tx.max_fee_per_gas())
        .ok_or(TxValidityError::GasCostOverflow)?;
    if let Some(priority) = tx.max_priority_fee_per_gas()
        && priority > tx.max_fee_per_gas()
    {
        return Err(TxValidityError::PriorityAboveMaxFee {
            priority,
            max_fee: tx.max_fee_per_gas(),
        });
    }
    if fork >= Fork::Shanghai && tx.is_create() && tx.data().len() > MAX_INITCODE_SIZE {
        return Err(TxValidityError::InitcodeSizeExceeded {
            size: tx.data().len(),
            max: MAX_INITCODE_SIZE,
        });
    }
    let mut intrinsic = intrinsic_gas(tx, fork);
    if fork >= Fork::Prague {
        intrinsic = intrinsic.max(calldata_floor_gas(tx));
    }
    if gas_limit < intrinsic {
        return Err(TxValidityError::IntrinsicGasTooLow {
            gas_limit,
            intrinsic,
        });
    }
    if fork >= Fork::Osaka && gas_limit > MAX_TX_GAS_LIMIT_OSAKA {
        return Err(TxValidityError::GasLimitAboveCap {
            gas_limit,
            cap: MAX_TX_GAS_LIMIT_OSAKA,
        });
    }
    if let Some(hashes) = tx.blob_versioned_hashes() {
        check_blobs(hashes, fork)?;
    }
    if tx.authorization_list().is_some_and(|list| list.is_empty()) {
        return Err(TxValidityError::EmptyAuthorizationList);
    }
    Ok(())
}

fn check_signature(tx: &Transaction, fork: Fork) -> Result<(), TxValidityError> {
    let sig = tx.signature();
    if sig.r.is_zero()
        || sig.s.is_zero()
        || sig.r >= ethrex_crypto::SECP256K1_N
        || sig.s >= ethrex_crypto::SECP256K1_N
    {
        return Err(TxValidityError::SignatureOutOfRange);
    }
    if fork >= Fork::Homestead && sig.s > SECP256K1_HALF_N {
        return Err(TxValidityError::HighS);
    }
    Ok(())
}

fn check_blobs(hashes: &[alloy_primitives::B256], fork: Fork) -> Result<(), TxValidityError> {
    if hashes.is_empty() {
        return Err(TxValidityError::NoBlobs);
    }
    if fork >= Fork::Osaka && hashes.len() > MAX_BLOBS_PER_TX_OSAKA {
        return Err(TxValidityError::TooManyBlobs {
            count: hashes.len(),
            max: MAX_BLOBS_PER_TX_OSAKA,
        });
    }
    match hashes.iter().find(|h| h[0] != VERSIONED_HASH_VERSION_KZG) {
        Some(bad) => Err(TxValidityError::InvalidBlobHashVersion(bad[0])),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Eip1559Tx, LegacyTx};
    use alloy_primitives::{Bytes, TxKind};

    /// A legacy EIP-155 transaction with r = s = 1 (in range; validity rules only look at that).
    fn signed_legacy(input: &[u8], to: TxKind, gas_limit: u64) -> Transaction {
        Transaction::Legacy(LegacyTx {
            v: 37,
            gas_limit,
            to,
            data: Bytes::copy_from_slice(input),
            r: U256::from(1),
            s: U256::from(1),
            ..Default::default()
        })
    }

    #[test]
    fn calldata_costs_changed_at_istanbul() {
        let tx = signed_legacy(&[0, 1, 2], TxKind::Call(Default::default()), 100_000);
        assert_eq!(intrinsic_gas(&tx, Fork::Byzantium), 21_000 + 4 + 2 * 68);
        assert_eq!(intrinsic_gas(&tx, Fork::Istanbul), 21_000 + 4 + 2 * 16);
    }

    #[test]
    fn creation_costs_extra_from_homestead_and_per_initcode_word_from_shanghai() {
        let tx = signed_legacy(&[0; 33], TxKind::Create, 100_000);
        assert_eq!(intrinsic_gas(&tx, Fork::Frontier), 21_000 + 33 * 4);
        assert_eq!(intrinsic_gas(&tx, Fork::London), 53_000 + 33 * 4);
        assert_eq!(intrinsic_gas(&tx, Fork::Shanghai), 53_000 + 33 * 4 + 2 * 2);
    }

    #[test]
    fn type_before_its_fork_is_rejected() {
        let tx = Transaction::Eip1559(Eip1559Tx {
            chain_id: 1,
            gas_limit: 21_000,
            to: TxKind::Call(Default::default()),
            r: U256::from(1),
            s: U256::from(1),
            ..Default::default()
        });
        assert_eq!(
            validate_transaction(&tx, Fork::Berlin, 1),
            Err(TxValidityError::TypeNotSupported {
                ty: 2,
                needs: Fork::London,
                fork: Fork::Berlin
            })
        );
        assert_eq!(validate_transaction(&tx, Fork::London, 1), Ok(()));
        assert_eq!(
            validate_transaction(&tx, Fork::London, 5),
            Err(TxValidityError::InvalidChainId {
                expected: 5,
                got: 1
            })
        );
    }

    #[test]
    fn gas_limit_below_intrinsic_is_rejected() {
        let tx = signed_legacy(&[1], TxKind::Call(Default::default()), 21_000);
        assert_eq!(
            validate_transaction(&tx, Fork::London, 1),
            Err(TxValidityError::IntrinsicGasTooLow {
                gas_limit: 21_000,
                intrinsic: 21_016
            })
        );
    }

    #[test]
    fn prague_applies_the_calldata_floor() {
        let tx = signed_legacy(&[1; 100], TxKind::Call(Default::default()), 21_000 + 1_600);
        assert_eq!(validate_transaction(&tx, Fork::Cancun, 1), Ok(()));
        assert_eq!(
            validate_transaction(&tx, Fork::Prague, 1),
            Err(TxValidityError::IntrinsicGasTooLow {
                gas_limit: 22_600,
                intrinsic: 25_000
            })
        );
    }

    #[test]
    fn gas_cost_overflow_and_priority_above_max_fee_are_rejected() {
        let mut tx = signed_legacy(&[], TxKind::Call(Default::default()), 21_000);
        if let Transaction::Legacy(t) = &mut tx {
            t.gas_price = U256::MAX / U256::from(20_000);
        }
        assert_eq!(
            validate_transaction(&tx, Fork::London, 1),
            Err(TxValidityError::GasCostOverflow)
        );
        let tx = Transaction::Eip1559(Eip1559Tx {
            chain_id: 1,
            gas_limit: 21_000,
            to: TxKind::Call(Default::default()),
            max_fee_per_gas: U256::from(1),
            max_priority_fee_per_gas: U256::from(2),
            r: U256::from(1),
            s: U256::from(1),
            ..Default::default()
        });
        assert!(matches!(
            validate_transaction(&tx, Fork::London, 1),
            Err(TxValidityError::PriorityAboveMaxFee { .. })
        ));
    }

    #[test]
    fn high_s_is_valid_only_in_frontier() {
        let tx = Transaction::Legacy(LegacyTx {
            v: 27,
            gas_limit: 21_000,
            to: TxKind::Call(Default::default()),
            r: U256::from(1),
            s: SECP256K1_HALF_N + U256::from(1),
            ..Default::default()
        });
        assert_eq!(validate_transaction(&tx, Fork::Frontier, 1), Ok(()));
        assert_eq!(
            validate_transaction(&tx, Fork::Homestead, 1),
            Err(TxValidityError::HighS)
        );
    }
}
