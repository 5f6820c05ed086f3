//! [`Outcome`]: what one EVM made of a case, in a neutral form, and [`compare`], which lists
//! every consensus-visible difference between two outcomes.
//!
//! Compared: the status (success / revert / exceptional halt / invalid transaction), the gas
//! charged, the output, the logs (address, topics, data) and the whole post-state (existence,
//! nonce, balance, code and storage of every account). Not compared: the halt reason and the
//! invalid-transaction error, whose wording is each EVM's own (they are shown in reports).

use alloy_primitives::{Address, Bytes, Log, hex};

use crate::world::{Account, World};

/// How the transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    /// `REVERT`: unused gas returned, changes undone.
    Revert,
    /// Exceptional halt: all gas consumed, changes undone.
    Halt,
    /// The transaction could not be included.
    Invalid,
}

/// One EVM's result for one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    pub status: Status,
    /// The halt reason or the invalid-transaction error, as the EVM words it (not compared).
    pub detail: String,
    /// Gas charged to the sender (receipt gas used).
    pub gas_used: u64,
    /// Return or revert data (empty for a successful creation: the code is in the state).
    pub output: Bytes,
    /// Logs of a successful transaction (empty otherwise).
    pub logs: Vec<Log>,
}

impl TxOutcome {
    /// The outcome of a transaction the EVM refused: it changed nothing.
    pub fn invalid(detail: String) -> Self {
        TxOutcome {
            status: Status::Invalid,
            detail,
            gas_used: 0,
            output: Bytes::new(),
            logs: Vec::new(),
        }
    }
}

/// One EVM's result for a case: each transaction's, and the state after all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub txs: Vec<TxOutcome>,
    pub post: World,
    /// Inconsistencies inside this EVM's own output (such as an account whose code does not
    /// hash to its code hash): not a difference between the EVMs, but as serious.
    pub faults: Vec<String>,
}

/// Every difference between `ethrex` and `revm`, one line each; empty when they agree.
pub fn compare(ethrex: &Outcome, revm: &Outcome) -> Vec<String> {
    let mut diffs = Vec::new();
    if ethrex.txs.len() != revm.txs.len() {
        diffs.push(format!(
            "transaction count: ethrex {}, revm {}",
            ethrex.txs.len(),
            revm.txs.len()
        ));
    }
    for (i, (a, b)) in ethrex.txs.iter().zip(&revm.txs).enumerate() {
        compare_txs(i, a, b, &mut diffs);
    }
    compare_worlds(&ethrex.post, &revm.post, &mut diffs);
    diffs.extend(ethrex.faults.iter().map(|f| format!("ethrex fault: {f}")));
    diffs.extend(revm.faults.iter().map(|f| format!("revm fault: {f}")));
    diffs
}

/// Appends the differences between two results of transaction `i` to `diffs`.
fn compare_txs(i: usize, ethrex: &TxOutcome, revm: &TxOutcome, diffs: &mut Vec<String>) {
    let before = diffs.len();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            diffs.push(format!("tx {i} {name}: ethrex {a}, revm {b}"));
        }
    };
    field(
        "status",
        format!("{:?}", ethrex.status),
        format!("{:?}", revm.status),
    );
    field(
        "gas used",
        ethrex.gas_used.to_string(),
        revm.gas_used.to_string(),
    );
    field("output", hex_of(&ethrex.output), hex_of(&revm.output));
    field(
        "log count",
        ethrex.logs.len().to_string(),
        revm.logs.len().to_string(),
    );
    for (j, (a, b)) in ethrex.logs.iter().zip(&revm.logs).enumerate() {
        field(&format!("log {j}"), show_log(a), show_log(b));
    }
    if diffs.len() > before && ethrex.status != revm.status {
        diffs.push(format!(
            "  (ethrex: {}; revm: {})",
            ethrex.detail, revm.detail
        ));
    }
}

/// Appends the differences between two post-states to `diffs`.
fn compare_worlds(ethrex: &World, revm: &World, diffs: &mut Vec<String>) {
    let addresses: std::collections::BTreeSet<&Address> =
        ethrex.accounts.keys().chain(revm.accounts.keys()).collect();
    for address in addresses {
        match (ethrex.get(address), revm.get(address)) {
            (Some(a), Some(b)) => compare_accounts(address, a, b, diffs),
            (Some(a), None) => diffs.push(format!(
                "account {address}: exists on ethrex ({}), not on revm",
                show_account(a)
            )),
            (None, Some(b)) => diffs.push(format!(
                "account {address}: exists on revm ({}), not on ethrex",
                show_account(b)
            )),
            (None, None) => {}
        }
    }
}

fn compare_accounts(address: &Address, a: &Account, b: &Account, diffs: &mut Vec<String>) {
    let mut field = |name: &str, x: String, y: String| {
        if x != y {
            diffs.push(format!("account {address} {name}: ethrex {x}, revm {y}"));
        }
    };
    field("nonce", a.nonce.to_string(), b.nonce.to_string());
    field("balance", a.balance.to_string(), b.balance.to_string());
    field("code", hex_of(&a.code), hex_of(&b.code));
    let keys: std::collections::BTreeSet<_> = a.storage.keys().chain(b.storage.keys()).collect();
    for key in keys {
        let value = |acc: &Account| acc.storage.get(key).copied().unwrap_or_default();
        field(
            &format!("slot {key:#x}"),
            format!("{:#x}", value(a)),
            format!("{:#x}", value(b)),
        );
    }
}

fn hex_of(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn show_log(log: &Log) -> String {
    format!(
        "{} topics {:?} data {}",
        log.address,
        log.topics(),
        hex_of(&log.data.data)
    )
}

fn show_account(a: &Account) -> String {
    format!(
        "nonce {} balance {} code {} bytes, {} slots",
        a.nonce,
        a.balance,
        a.code.len(),
        a.storage.len()
    )
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{LogData, U256};

    use super::*;

    fn outcome() -> Outcome {
        let mut post = World::default();
        let mut account = Account::contract(vec![0x00], 1, U256::from(5));
        account.set_slot(U256::from(1), U256::from(7));
        post.insert(Address::repeat_byte(1), account);
        let tx = TxOutcome {
            status: Status::Success,
            detail: String::new(),
            gas_used: 21_000,
            output: Bytes::from_static(&[1, 2]),
            logs: vec![Log {
                address: Address::repeat_byte(1),
                data: LogData::new_unchecked(vec![], Bytes::from_static(&[3])),
            }],
        };
        Outcome {
            txs: vec![tx],
            post,
            faults: Vec::new(),
        }
    }

    #[test]
    fn identical_outcomes_have_no_difference() {
        assert_eq!(compare(&outcome(), &outcome()), Vec::<String>::new());
    }

    #[test]
    fn a_different_slot_is_reported() {
        let mut other = outcome();
        let account = other
            .post
            .accounts
            .get_mut(&Address::repeat_byte(1))
            .unwrap();
        account.set_slot(U256::from(1), U256::from(8));
        account.set_slot(U256::from(2), U256::from(1));
        let diffs = compare(&outcome(), &other);
        assert_eq!(diffs.len(), 2, "{diffs:?}");
        assert!(
            diffs[0].contains("slot 0x1: ethrex 0x7, revm 0x8"),
            "{diffs:?}"
        );
        assert!(
            diffs[1].contains("slot 0x2: ethrex 0x0, revm 0x1"),
            "{diffs:?}"
        );
    }

    #[test]
    fn a_deleted_account_is_reported() {
        let mut other = outcome();
        other.post.accounts.clear();
        let diffs = compare(&outcome(), &other);
        assert_eq!(diffs.len(), 1);
        assert!(diffs[0].contains("exists on ethrex"), "{diffs:?}");
    }

    #[test]
    fn status_gas_output_logs_balance_and_code_are_reported() {
        let mut other = outcome();
        let tx = &mut other.txs[0];
        tx.status = Status::Revert;
        tx.gas_used += 1;
        tx.output = Bytes::new();
        tx.logs[0].data = LogData::new_unchecked(vec![Default::default()], Bytes::new());
        let account = other
            .post
            .accounts
            .get_mut(&Address::repeat_byte(1))
            .unwrap();
        account.balance = U256::from(6);
        account.nonce = 2;
        account.code = Bytes::new();
        let diffs = compare(&outcome(), &other);
        let named = |name: &str| diffs.iter().any(|d| d.starts_with(name));
        assert!(named("tx 0 status") && named("tx 0 gas used") && named("tx 0 output"));
        assert!(named("tx 0 log 0"), "{diffs:?}");
        assert!(
            diffs
                .iter()
                .any(|d| d.contains("balance: ethrex 5, revm 6"))
        );
        assert!(diffs.iter().any(|d| d.contains("nonce: ethrex 1, revm 2")));
        assert!(
            diffs
                .iter()
                .any(|d| d.contains("code: ethrex 0x00, revm 0x"))
        );
    }

    #[test]
    fn a_missing_transaction_is_reported() {
        let mut other = outcome();
        other.txs.push(TxOutcome::invalid("nonce".into()));
        let diffs = compare(&outcome(), &other);
        assert_eq!(
            diffs,
            vec!["transaction count: ethrex 1, revm 2".to_string()]
        );
    }

    #[test]
    fn a_fault_of_one_side_is_reported() {
        let mut other = outcome();
        other.faults.push("code hash".into());
        assert_eq!(
            compare(&outcome(), &other),
            vec!["revm fault: code hash".to_string()]
        );
    }
}
