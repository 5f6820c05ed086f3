//! The transactions of a case: one to three, in order, each mostly a call to the program and
//! sometimes a creation, a plain transfer, a call to a helper, a precompile, a delegated account;
//! of every type the fork has (from Prague, EIP-7702 set-code transactions with signed
//! authorizations, some deliberately invalid). The gas limit is sometimes tight (out of gas
//! midway) and rarely invalid (below the intrinsic gas, above a cap), as are the nonce, the fees
//! and the balance: both EVMs must then refuse the transaction alike.

use std::collections::HashMap;

use alloy_eips::eip7702::{Authorization, SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, U256};
use ethrex_common::{
    BlobParams, Fork,
    eip4844::{GAS_PER_BLOB, blob_base_fee},
};
use ethrex_crypto::SECP256K1_N;
use rand::{Rng, rngs::StdRng};

use super::{DELEGATED, EOA, HELPERS, MAIN, MISSING, SENDER, authorities, authority_secrets};
use crate::{
    case::{BlockSpec, TxSpec, TxType},
    forks::blob_params,
    program::{self, Env, values},
    world::World,
};

/// The transactions of a case, their nonces following the senders' (as if each succeeded).
pub fn transactions(rng: &mut StdRng, env: &Env, block: &BlockSpec, pre: &World) -> Vec<TxSpec> {
    let mut nonces: HashMap<Address, u64> = pre
        .accounts
        .iter()
        .map(|(address, account)| (*address, account.nonce))
        .collect();
    let count = values::pick(rng, &[1, 1, 1, 1, 1, 1, 1, 2, 2, 3]);
    let mut txs: Vec<TxSpec> = (0..count)
        .map(|_| transaction(rng, env, block, &mut nonces))
        .collect();
    if let Some(first) = txs.first_mut() {
        starve_sender(rng, first, pre);
    }
    txs
}

/// Rarely, makes the sender's nonce or balance not match the first transaction (which must
/// then be refused) — by editing the transaction, so the pre-state stays shared.
fn starve_sender(rng: &mut StdRng, tx: &mut TxSpec, pre: &World) {
    if rng.random_bool(0.01) {
        tx.nonce += 1;
    }
    if rng.random_bool(0.02) {
        let balance = pre.get(&tx.sender).map(|a| a.balance).unwrap_or_default();
        // Value so that the maximum cost exceeds the balance by 0 or 1 wei.
        let fees = U256::from(tx.gas_limit) * U256::from(tx.max_fee)
            + U256::from(tx.blob_hashes.len() as u64 * GAS_PER_BLOB)
                * U256::from(tx.max_fee_per_blob_gas);
        tx.value = balance.saturating_sub(fees) + U256::from(rng.random_range(0..2u64));
    }
}

fn transaction(
    rng: &mut StdRng,
    env: &Env,
    block: &BlockSpec,
    nonces: &mut HashMap<Address, u64>,
) -> TxSpec {
    let fork = env.fork;
    let ty = tx_type(rng, fork);
    let sender = if rng.random_bool(0.8) {
        SENDER
    } else {
        authorities()[0]
    };
    let nonce = nonces.get(&sender).copied().unwrap_or(0);
    nonces.insert(sender, nonce + 1);
    let to = match rng.random_range(0..100) {
        // A set-code transaction often calls an authority it (re)delegates.
        0..=39 if ty == TxType::SetCode => Some(values::pick(rng, &authorities())),
        _ if matches!(ty, TxType::Blob | TxType::SetCode) => Some(MAIN),
        0..=79 => Some(MAIN),
        80..=84 => Some(values::pick(rng, &HELPERS)),
        85..=86 => Some(EOA),
        87 => Some(MISSING),
        88 => Some(values::pick(rng, &env.precompiles)),
        89..=90 if fork >= Fork::Prague => Some(values::pick(rng, &[DELEGATED, authorities()[1]])),
        _ => None,
    };
    let data: Bytes = match to {
        // Around the EIP-3860 limit: an initcode followed by zeros (STOP) to 49152 bytes or one
        // more (an invalid transaction from Shanghai).
        None if rng.random_bool(0.03) => {
            let mut code = program::initcode(rng, env);
            code.resize(values::pick(rng, &[49_152, 49_153]), 0);
            code.into()
        }
        None => program::initcode(rng, env).into(),
        Some(_) => {
            let len = rng.random_range(0..100);
            (0..len)
                .map(|_| {
                    if rng.random_bool(0.4) {
                        0
                    } else {
                        rng.random()
                    }
                })
                .collect()
        }
    };
    let access_list = if matches!(ty, TxType::Legacy { .. }) {
        Vec::new()
    } else {
        (0..rng.random_range(0..3))
            .map(|_| {
                let address = values::pick(rng, &env.addresses);
                let keys = (0..rng.random_range(0..3))
                    .map(|_| B256::from(values::key(rng)))
                    .collect();
                (address, keys)
            })
            .collect()
    };
    let (max_fee, priority_fee) = fees(rng, ty, block);
    let (blob_hashes, max_fee_per_blob_gas) = if ty == TxType::Blob {
        blobs(rng, fork, block)
    } else {
        (Vec::new(), 0)
    };
    let authorizations = if ty == TxType::SetCode {
        let count = if rng.random_bool(0.02) {
            0
        } else {
            rng.random_range(1..=3)
        };
        (0..count)
            .map(|_| authorization(rng, env, nonces))
            .collect()
    } else {
        Vec::new()
    };
    let mut tx = TxSpec {
        ty,
        sender,
        nonce,
        to,
        value: U256::from(values::pick(rng, &[0, 0, 0, 1, 1_000, 10u64.pow(18)])),
        data,
        gas_limit: 0,
        max_fee,
        priority_fee,
        access_list,
        blob_hashes,
        max_fee_per_blob_gas,
        authorizations,
    };
    let intrinsic = intrinsic_estimate(fork, &tx);
    tx.gas_limit = match rng.random_range(0..100) {
        0..=62 => intrinsic + rng.random_range(100_000..3_000_000),
        63..=74 => intrinsic + rng.random_range(0..60_000),
        75..=89 => intrinsic + rng.random_range(3_000_000..8_000_000),
        90..=94 => rng.random_range(8_000_000..=1 << 24),
        95..=96 => intrinsic - rng.random_range(1..100),
        _ => rng.random_range((1 << 24) + 1..32_000_000),
    };
    tx
}

fn tx_type(rng: &mut StdRng, fork: Fork) -> TxType {
    let mut types = vec![TxType::Legacy { eip155: false }];
    if fork >= Fork::SpuriousDragon {
        types.push(TxType::Legacy { eip155: true });
    }
    if fork >= Fork::Berlin {
        types.push(TxType::AccessList);
    }
    if fork >= Fork::London {
        types.extend([TxType::DynamicFee, TxType::DynamicFee]);
    }
    if fork >= Fork::Cancun {
        types.push(TxType::Blob);
    }
    if fork >= Fork::Prague {
        types.push(TxType::SetCode);
    }
    types[rng.random_range(0..types.len())]
}

/// Intrinsic gas as the generator estimates it, only to aim the gas limit.
fn intrinsic_estimate(fork: Fork, tx: &TxSpec) -> u64 {
    let zeros = tx.data.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = tx.data.len() as u64 - zeros;
    let nonzero_cost = if fork >= Fork::Istanbul { 16 } else { 68 };
    let mut gas = 21_000 + 4 * zeros + nonzero_cost * nonzeros;
    if tx.to.is_none() {
        gas += if fork >= Fork::Homestead { 32_000 } else { 0 };
        if fork >= Fork::Shanghai {
            gas += 2 * (tx.data.len() as u64).div_ceil(32);
        }
    }
    for (_, keys) in &tx.access_list {
        gas += 2_400 + 1_900 * keys.len() as u64;
    }
    gas += 25_000 * tx.authorizations.len() as u64;
    if fork >= Fork::Prague {
        gas = gas.max(21_000 + 10 * (zeros + 4 * nonzeros));
    }
    gas
}

/// Gas price (or max fee) and priority fee, almost always acceptable for the block.
fn fees(rng: &mut StdRng, ty: TxType, block: &BlockSpec) -> (u128, u128) {
    let base = u128::from(block.base_fee);
    let max_fee = if base > 0 && rng.random_bool(0.01) {
        base - 1
    } else {
        base + rng.random_range(0..10)
    };
    match ty {
        TxType::Legacy { .. } | TxType::AccessList => (max_fee, 0),
        TxType::DynamicFee | TxType::Blob | TxType::SetCode => {
            let priority = rng.random_range(0..=max_fee.saturating_sub(base) + 2);
            if rng.random_bool(0.98) {
                (max_fee, priority.min(max_fee))
            } else {
                (max_fee, priority)
            }
        }
    }
}

/// Versioned hashes and max blob fee for a blob transaction.
fn blobs(rng: &mut StdRng, fork: Fork, block: &BlockSpec) -> (Vec<B256>, u128) {
    let count = if rng.random_bool(0.02) {
        0
    } else {
        rng.random_range(1..=3)
    };
    let hashes = (0..count)
        .map(|_| {
            let mut hash = rng.random::<[u8; 32]>();
            hash[0] = 1;
            B256::from(hash)
        })
        .collect();
    let params = blob_params(fork).unwrap_or(BlobParams::CANCUN);
    let blob_base_fee = blob_base_fee(block.excess_blob_gas, params.base_fee_update_fraction);
    let blob_base_fee = u128::try_from(blob_base_fee).unwrap_or(u128::MAX);
    let max = if rng.random_bool(0.02) {
        blob_base_fee.saturating_sub(1)
    } else {
        blob_base_fee + rng.random_range(0..3)
    };
    (hashes, max)
}

/// A signed EIP-7702 authorization by one of the known authorities: usually valid (and then
/// counted in `nonces`), sometimes for another chain, with a stale nonce, a high `s`, a bad
/// y-parity or a garbage signature.
fn authorization(
    rng: &mut StdRng,
    env: &Env,
    nonces: &mut HashMap<Address, u64>,
) -> SignedAuthorization {
    let which = rng.random_range(0..3);
    let authority = authorities()[which];
    let secret = authority_secrets()[which];
    let chain_id = U256::from(values::pick(rng, &[0u64, 0, 1, 1, 1, 2]));
    let address = values::pick(
        rng,
        &[
            HELPERS[0],
            HELPERS[2],
            MAIN,
            Address::ZERO,
            DELEGATED,
            authorities()[1],
            env.precompiles[0],
        ],
    );
    let expected = nonces.get(&authority).copied().unwrap_or(0);
    let nonce = match rng.random_range(0..20) {
        0 | 1 => expected + 1,
        2 => u64::MAX,
        _ => expected,
    };
    let inner = Authorization {
        chain_id,
        address,
        nonce,
    };
    let Ok(sig) = ethrex_crypto::sign_hash(&inner.signature_hash(), &secret) else {
        return SignedAuthorization::new_unchecked(inner, 0, U256::from(1), U256::from(1));
    };
    let parity = u8::from(sig.y_parity);
    let (signed, valid) = match rng.random_range(0..100) {
        0..=3 => (
            SignedAuthorization::new_unchecked(inner, 1 - parity, sig.r, SECP256K1_N - sig.s),
            false,
        ),
        4..=6 => (
            SignedAuthorization::new_unchecked(inner, rng.random_range(2..=28), sig.r, sig.s),
            false,
        ),
        7..=9 => (
            SignedAuthorization::new_unchecked(
                inner,
                parity,
                U256::from_be_bytes(rng.random::<[u8; 32]>()),
                U256::from(rng.random::<u64>()),
            ),
            false,
        ),
        _ => (
            SignedAuthorization::new_unchecked(inner, parity, sig.r, sig.s),
            true,
        ),
    };
    let applies = valid && chain_id <= U256::from(1) && nonce == expected;
    if applies {
        nonces.insert(authority, expected + 1);
    }
    signed
}
