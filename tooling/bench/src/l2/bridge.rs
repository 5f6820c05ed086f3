//! The bridge latencies, one operation at a time on a rollup with nothing else to do:
//!
//! - [`deposit`]: from sending `deposit(recipient)` on L1 (the clock starts before the request
//!   leaves) until the fresh recipient's L2 balance is the deposited amount; the L1
//!   transaction must have succeeded.
//! - [`withdrawal`]: from sending `withdraw(receiver)` on L2 until `lastVerifiedBatch` on L1
//!   reaches the batch `ethrex_getWithdrawalProof` names, i.e. until `claimWithdrawal` can
//!   succeed; then it is claimed and the receiver's L1 balance must rise by exactly the amount
//!   minus the claim's fee.

use std::{
    thread,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, sol};
use ethrex_l2_sdk::{
    EthClient,
    client::CallRequest,
    tx::{Call, Signer},
};
use serde_json::{Value, json};

sol! {
    function deposit(address l2Recipient) external payable;
    function withdraw(address _receiverOnL1) external payable;
    function claimWithdrawal(
        bytes32 l2WithdrawalTxHash,
        uint256 claimedAmount,
        uint256 withdrawalBatchNumber,
        uint256 withdrawalMessageId,
        bytes32[] withdrawalProof
    ) external;
    function lastVerifiedBatch() external view returns (uint256);
}

/// The L2 bridge (`CommonBridgeL2`, genesis code).
const L2_BRIDGE: Address = Address::new([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
]);

/// How long a deposit may take to show on L2.
const DEPOSIT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a withdrawal may take to be claimable.
const WITHDRAWAL_TIMEOUT: Duration = Duration::from_secs(180);
/// How long a transaction may take to get its receipt.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);
/// Pause between two polls.
const POLL: Duration = Duration::from_millis(20);

/// The rollup's endpoints and contracts.
pub struct Endpoints {
    pub l1: EthClient,
    pub l2: EthClient,
    pub bridge: Address,
    pub proposer: Address,
}

fn sdk<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Polls `check` every [`POLL`] until it is true or `timeout` passed since `started`.
fn poll(
    started: Instant,
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Result<bool, String>,
) -> Result<(), String> {
    while !check()? {
        if started.elapsed() > timeout {
            return Err(format!("{what}: not after {timeout:?}"));
        }
        thread::sleep(POLL);
    }
    Ok(())
}

/// Deposits `amount` from `depositor` on L1 to `recipient` (fresh, empty on L2); the time until
/// the L2 balance shows it.
pub fn deposit(
    rollup: &Endpoints,
    depositor: &Signer,
    recipient: Address,
    amount: U256,
) -> Result<Duration, String> {
    if !rollup
        .l2
        .balance(recipient)
        .map_err(sdk("L2 balance"))?
        .is_zero()
    {
        return Err(format!("deposit recipient {recipient} is not empty on L2"));
    }
    let call = Call::new(
        rollup.bridge,
        depositCall {
            l2Recipient: recipient,
        }
        .abi_encode(),
    )
    .with_value(amount);
    let started = Instant::now();
    let hash = rollup.l1.send(depositor, &call).map_err(sdk("deposit"))?;
    let what = format!("deposit {hash}: L2 balance of {recipient}");
    poll(started, DEPOSIT_TIMEOUT, &what, || {
        let balance = rollup.l2.balance(recipient).map_err(sdk("L2 balance"))?;
        if balance > amount {
            return Err(format!(
                "{what}: {balance} wei, more than the {amount} deposited"
            ));
        }
        Ok(balance == amount)
    })?;
    let took = started.elapsed();
    rollup
        .l1
        .wait_for_success(hash, "deposit", RECEIPT_TIMEOUT)
        .map_err(sdk("deposit on L1"))?;
    Ok(took)
}

/// One entry of `ethrex_getWithdrawalProof`.
struct Message {
    batch: u64,
    id: u64,
    path: Vec<B256>,
}

fn message(proof: &Value) -> Result<Message, String> {
    let first = proof
        .get(0)
        .ok_or_else(|| format!("withdrawal proof without a message: {proof}"))?;
    let number = |key: &str| {
        first[key]
            .as_u64()
            .ok_or_else(|| format!("withdrawal proof without {key}: {proof}"))
    };
    Ok(Message {
        batch: number("batch_number")?,
        id: number("message_id")?,
        path: serde_json::from_value(first["merkle_proof"].clone())
            .map_err(|e| format!("withdrawal proof's merkle_proof: {e}"))?,
    })
}

pub fn last_verified_batch(rollup: &Endpoints) -> Result<u64, String> {
    let data = rollup
        .l1
        .call(&CallRequest {
            to: Some(rollup.proposer),
            data: lastVerifiedBatchCall {}.abi_encode().into(),
            ..Default::default()
        })
        .map_err(sdk("lastVerifiedBatch"))?;
    u64::try_from(U256::from_be_slice(&data)).map_err(|e| format!("lastVerifiedBatch: {e}"))
}

/// Withdraws `amount` of `account` on L2 to its own L1 address; the time until the batch
/// holding it is verified on L1. Then claims it and checks the L1 balance change.
pub fn withdrawal(rollup: &Endpoints, account: &Signer, amount: U256) -> Result<Duration, String> {
    let call = Call::new(
        L2_BRIDGE,
        withdrawCall {
            _receiverOnL1: account.address(),
        }
        .abi_encode(),
    )
    .with_value(amount);
    let started = Instant::now();
    let hash = rollup.l2.send(account, &call).map_err(sdk("withdraw"))?;
    rollup
        .l2
        .wait_for_success(hash, "withdraw", RECEIPT_TIMEOUT)
        .map_err(sdk("withdraw on L2"))?;
    let mut proof = Value::Null;
    poll(
        started,
        WITHDRAWAL_TIMEOUT,
        "the withdrawal's batch sealed",
        || {
            proof = rollup
                .l2
                .request("ethrex_getWithdrawalProof", json!([hash]))
                .map_err(sdk("ethrex_getWithdrawalProof"))?;
            Ok(!proof.is_null())
        },
    )?;
    let message = message(&proof)?;
    let what = format!("batch {} verified on L1", message.batch);
    poll(started, WITHDRAWAL_TIMEOUT, &what, || {
        Ok(last_verified_batch(rollup)? >= message.batch)
    })?;
    let took = started.elapsed();

    let claim = Call::new(
        rollup.bridge,
        claimWithdrawalCall {
            l2WithdrawalTxHash: hash,
            claimedAmount: amount,
            withdrawalBatchNumber: U256::from(message.batch),
            withdrawalMessageId: U256::from(message.id),
            withdrawalProof: message.path,
        }
        .abi_encode(),
    );
    let before = rollup
        .l1
        .balance(account.address())
        .map_err(sdk("L1 balance"))?;
    let receipt = rollup
        .l1
        .send_and_wait(account, "claimWithdrawal", &claim, RECEIPT_TIMEOUT)
        .map_err(sdk("claimWithdrawal"))?;
    let raw: Value = rollup
        .l1
        .request(
            "eth_getTransactionReceipt",
            json!([receipt.transaction_hash]),
        )
        .map_err(sdk("claim receipt"))?;
    let price: U256 = serde_json::from_value(raw["effectiveGasPrice"].clone())
        .map_err(|e| format!("claim receipt's effectiveGasPrice: {e}"))?;
    let fee = U256::from(receipt.gas_used.to::<u64>()) * price;
    let after = rollup
        .l1
        .balance(account.address())
        .map_err(sdk("L1 balance"))?;
    if after + fee != before + amount {
        return Err(format!(
            "claim of {hash}: L1 balance {before} → {after} with fee {fee}, expected +{amount}"
        ));
    }
    Ok(took)
}
