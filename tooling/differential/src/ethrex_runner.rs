//! Runs a [`Case`] on ethrex: the pre-state into an [`InMemoryDb`], the transactions through one
//! `Evm` (one block) with `Evm::transact` (signature r = s = 1: the VM takes the sender from the
//! caller), the block's `StateChanges` applied back and read out as a [`World`]. An account
//! left with code that does not hash to its code hash is reported as a fault.

use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::{TxKind, U256, keccak256};
use ethrex_common::{
    Fork,
    types::{BlobFields, PLACEHOLDER_SIGNATURE, Transaction, TxFees, TxFields},
};
use ethrex_vm::{BlockEnv, Database, Evm, InMemoryDb};

use crate::{
    case::{CHAIN_ID, Case, TxSpec, TxType},
    forks::blob_params,
    outcome::{Outcome, Status, TxOutcome},
    world::{Account, World, block_hash},
};

/// Executes `case` on ethrex: all its transactions in one [`Evm`] (one block).
pub fn run(case: &Case) -> Outcome {
    let mut db = InMemoryDb::default();
    for (address, account) in &case.pre.accounts {
        let storage = account.storage.iter().map(|(k, v)| (*k, *v)).collect();
        db.insert_account(
            *address,
            account.nonce,
            account.balance,
            account.code.clone(),
            storage,
        );
    }
    db.block_hash_fallback = Some(block_hash);
    let mut evm = Evm::new(&db, block_env(case));
    let txs = case
        .txs
        .iter()
        .map(|tx| match evm.transact(&transaction(tx), tx.sender) {
            Ok(result) => TxOutcome {
                status: match (result.success, result.halt) {
                    (true, _) => Status::Success,
                    (false, None) => Status::Revert,
                    (false, Some(_)) => Status::Halt,
                },
                detail: result.halt.map(|h| h.to_string()).unwrap_or_default(),
                gas_used: result.gas_used,
                output: result.output,
                logs: result.logs,
            },
            Err(e) => TxOutcome::invalid(e.to_string()),
        })
        .collect();
    let mut faults = Vec::new();
    let post = match evm.into_changes() {
        Ok(changes) => {
            let mut db = db.clone();
            db.apply(&changes);
            world_of(&db, &mut faults)
        }
        Err(e) => {
            faults.push(format!("into_changes failed: {e}"));
            case.pre.clone()
        }
    };
    Outcome { txs, post, faults }
}

fn block_env(case: &Case) -> BlockEnv {
    let b = &case.block;
    let fork = case.fork;
    BlockEnv {
        fork,
        chain_id: CHAIN_ID,
        number: b.number,
        coinbase: b.coinbase,
        timestamp: b.timestamp,
        gas_limit: b.gas_limit,
        base_fee: (fork >= Fork::London).then(|| U256::from(b.base_fee)),
        difficulty: b.difficulty,
        prev_randao: (fork >= Fork::Paris).then_some(b.prev_randao),
        excess_blob_gas: (fork >= Fork::Cancun).then_some(b.excess_blob_gas),
        blob_params: blob_params(fork),
        blob_base_fee_override: None,
    }
}

/// The case's transaction through the one [`TxFields`] constructor, with the placeholder
/// signature `r = s = 1` (the VM is told the sender). Blob and set-code transactions without a
/// recipient call the zero address, as in the revm runner.
#[expect(
    clippy::expect_used,
    reason = "blob and set-code transactions get a recipient above, and CHAIN_ID * 2 + 36 fits a u64: the only ways building or signing fails"
)]
fn transaction(tx: &TxSpec) -> Transaction {
    let to = tx.to.map_or(TxKind::Create, TxKind::Call);
    let access_list = AccessList(
        tx.access_list
            .iter()
            .map(|(address, keys)| AccessListItem {
                address: *address,
                storage_keys: keys.clone(),
            })
            .collect(),
    );
    let (max_fee_per_gas, max_priority_fee_per_gas) =
        (U256::from(tx.max_fee), U256::from(tx.priority_fee));
    let legacy = TxFees::Legacy {
        gas_price: max_fee_per_gas,
    };
    let dynamic = TxFees::Dynamic {
        max_fee_per_gas,
        max_priority_fee_per_gas,
    };
    let call = TxKind::Call(tx.to.unwrap_or_default());
    let base = TxFields {
        value: tx.value,
        data: tx.data.clone(),
        ..TxFields::new(CHAIN_ID, tx.nonce, tx.gas_limit, to)
    };
    let fields = match tx.ty {
        TxType::Legacy { eip155 } => TxFields {
            fees: legacy,
            eip155,
            ..base
        },
        TxType::AccessList => TxFields {
            fees: legacy,
            access_list: Some(access_list),
            ..base
        },
        TxType::DynamicFee => TxFields {
            fees: dynamic,
            access_list: Some(access_list),
            ..base
        },
        TxType::Blob => TxFields {
            to: call,
            fees: dynamic,
            access_list: Some(access_list),
            blob: Some(BlobFields {
                max_fee_per_blob_gas: U256::from(tx.max_fee_per_blob_gas),
                versioned_hashes: tx.blob_hashes.clone(),
            }),
            ..base
        },
        TxType::SetCode => TxFields {
            to: call,
            fees: dynamic,
            access_list: Some(access_list),
            authorization_list: Some(tx.authorizations.clone()),
            ..base
        },
    };
    fields
        .build()
        .and_then(|tx| tx.with_signature(PLACEHOLDER_SIGNATURE))
        .expect("a generated transaction builds")
}

/// The state held by `db`, as a [`World`]: each account's code is the one its code hash names
/// (what the next transaction would run); an account whose stored code does not match its
/// hash is a fault of the changes ethrex returned.
fn world_of(db: &InMemoryDb, faults: &mut Vec<String>) -> World {
    let mut world = World::default();
    for (address, account) in &db.accounts {
        let hash = account.info.code_hash;
        let code = match db.code(&hash) {
            Ok(code) => code,
            Err(e) => {
                faults.push(format!("account {address}: {e}"));
                account.code.clone()
            }
        };
        if keccak256(&account.code) != hash {
            faults.push(format!(
                "account {address}: code hash {hash} but the changes left code of hash {} \
                 (an AccountChange without its new code)",
                keccak256(&account.code)
            ));
        }
        let mut out = Account::contract(code, account.info.nonce, account.info.balance);
        for (key, value) in &account.storage {
            out.set_slot(*key, *value);
        }
        world.insert(*address, out);
    }
    world
}
