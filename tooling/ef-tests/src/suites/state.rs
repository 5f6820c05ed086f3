//! State tests (execution-spec-tests `state_tests`, legacy `GeneralStateTests`): one
//! transaction in one block over a pre-state, per fork and per (data, gas, value) combination.
//! The post-state root and the logs hash must match the expected ones.
//!
//! Per post entry: the transaction is decoded from `txbytes` (or built from the template and
//! signed, [`tx`]) and its sender recovered; [`Evm::transact`] runs it over the pre-state in the
//! fork's block ([`fixture`]); its changes are applied and the root and logs hash compared
//! ([`root`]). With an expected exception the case passes when decoding or sender recovery
//! fails, or when the VM rejects the transaction as invalid; the state root must then be the
//! pre-state's. A [`TxError::Vm`] always fails the case.

pub(crate) mod fixture;
pub(crate) mod root;
mod tx;

use std::{borrow::Cow, collections::BTreeMap, path::Path};

use alloy_primitives::Address;
use ethrex_common::{
    Fork,
    types::{Log, Transaction, decode_transaction},
};
use ethrex_vm::{Evm, InMemoryDb, TxError, TxResult};

use self::fixture::{Indexes, PostEntry, StateTest};
use crate::{
    fixtures::{FixtureError, read_json},
    report::Report,
};

/// Runs every post entry of the file's tests (only those of fork `only`, when given).
pub fn run_file(path: &Path, only: Option<Fork>, report: &mut Report) -> Result<(), FixtureError> {
    let tests: BTreeMap<String, StateTest> = read_json(path)?;
    for (name, test) in &tests {
        let pre = test.pre_state();
        for (fork_name, entries) in &test.post {
            let fork = fork_name.parse::<Fork>();
            if only.is_some_and(|only| fork.as_ref().ok() != Some(&only)) {
                continue;
            }
            for entry in entries {
                let Indexes { data, gas, value } = entry.indexes;
                let id = format!("{}::{name}[{data},{gas},{value}]", path.display());
                match &fork {
                    Ok(fork) => report.record(fork.name(), &id, run_case(test, &pre, *fork, entry)),
                    Err(e) => report.skip(fork_name, &id, e.to_string()),
                }
            }
        }
    }
    Ok(())
}

/// Runs one post entry under `fork`.
fn run_case(
    test: &StateTest,
    pre: &InMemoryDb,
    fork: Fork,
    entry: &PostEntry,
) -> Result<(), String> {
    let exception = entry.expect_exception.as_deref();
    let (tx, sender) = match (signed_transaction(test, entry), exception) {
        (Ok(signed), _) => signed,
        (Err(_), Some(_)) => return Ok(()),
        (Err(reason), None) => return Err(reason),
    };
    if exception.is_none()
        && let Some(expected) = test.transaction.sender
        && expected != sender
    {
        return Err(format!("sender: expected {expected}, recovered {sender}"));
    }
    let mut evm = Evm::new(pre, test.block_env(fork)?);
    let result = match (evm.transact(&tx, sender), exception) {
        (Err(TxError::Vm(e)), _) => return Err(format!("VM error: {e}")),
        (Err(TxError::Invalid(e)), None) => return Err(format!("expected valid, rejected: {e}")),
        (Ok(result), Some(exception)) => {
            return Err(format!(
                "expected {exception}, but the transaction was included ({})",
                summary(&result)
            ));
        }
        (Err(TxError::Invalid(_)), Some(_)) => None,
        (Ok(result), None) => Some(result),
    };
    let post = match &result {
        None => Cow::Borrowed(pre),
        Some(_) => {
            let changes = evm.into_changes().map_err(|e| format!("VM error: {e}"))?;
            let mut post = pre.clone();
            post.apply(&changes);
            Cow::Owned(post)
        }
    };
    compare(entry, &post, result.as_ref())
}

/// The entry's transaction (from `txbytes` if present, else built from the template) and its
/// sender. An error means the transaction is invalid (or the fixture malformed).
fn signed_transaction(
    test: &StateTest,
    entry: &PostEntry,
) -> Result<(Transaction, Address), String> {
    let tx = match &entry.txbytes {
        Some(bytes) => decode_transaction(bytes).map_err(|e| format!("txbytes: {e}"))?,
        None => tx::build(&test.transaction, entry.indexes, test.chain_id())?,
    };
    let sender = tx.sender().map_err(|e| format!("sender: {e}"))?;
    Ok((tx, sender))
}

/// Compares the post-state root and the logs hash with the entry's.
fn compare(entry: &PostEntry, post: &InMemoryDb, result: Option<&TxResult>) -> Result<(), String> {
    let logs: &[Log] = result.map_or(&[], |r| &r.logs);
    let root = root::state_root(post)?;
    let logs_hash = root::logs_hash(logs);
    let mut problems = Vec::new();
    if root != entry.hash {
        problems.push(format!("state root: expected {}, got {root}", entry.hash));
    }
    if logs_hash != entry.logs {
        problems.push(format!(
            "logs hash: expected {}, got {logs_hash} ({} logs)",
            entry.logs,
            logs.len()
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    problems.push(result.map_or_else(|| "transaction rejected".to_string(), summary));
    if root != entry.hash
        && let Some(expected) = &entry.state
    {
        problems.push(root::state_diff(expected, post));
    }
    Err(problems.join("; "))
}

/// What happened to an included transaction, in a few words.
fn summary(result: &TxResult) -> String {
    let status = if result.success {
        "succeeded"
    } else {
        "failed"
    };
    let halt = result.halt.map(|h| format!(": {h}")).unwrap_or_default();
    format!("transaction {status} using {} gas{halt}", result.gas_used)
}
