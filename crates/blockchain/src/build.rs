//! Block building: a new block on top of a parent, from [`BlockAttributes`] (what a consensus
//! client, or a tool, chooses) and candidate transactions, executed over the parent's state.
//!
//! [`build_block`] fills every header field the way an importer recomputes it: base fee and
//! excess blob gas from the parent, then gas used, blob gas used, transactions, receipts and
//! withdrawals roots, logs bloom, requests hash, and the state root (through the caller's
//! [`StateRootFn`], as the caller owns the state). The body runs through the same code as
//! importing (`run_block` in `execution.rs`), so a built block passes [`crate::execute_block`]
//! on the same parent state.
//!
//! Candidates are included in the order given. One that cannot be included (sender not
//! recoverable, nonce or balance wrong, more gas than the block has left, too much blob gas) is
//! left out and returned in [`BuiltBlock::skipped`] with the error an importer would reject the
//! block with; the rest of the block is unaffected. Only post-merge (Paris and later) blocks are
//! built.

use alloy_primitives::{Address, B256, Bytes};
use ethrex_common::{
    ChainConfig, Fork, HeaderFields,
    constants::{EMPTY_OMMERS_HASH, EMPTY_REQUESTS_HASH},
    types::{
        Block, BlockBody, Header, Receipt, Transaction, Withdrawal, Withdrawals, receipts_root,
        transactions_root, withdrawals_root,
    },
};
use ethrex_vm::{Database, StateChanges};

use crate::{
    BlockError, Result, StateRootFn,
    execution::{BodyInput, OnInvalidTx, Rules, logs_bloom, run_block},
    header::{fork_of, next_base_fee, next_excess_blob_gas, validate_header},
};

/// What the proposer of a block chooses (the Engine API's payload attributes, plus the gas
/// limit and extra data, which the execution client chooses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockAttributes {
    /// After the parent's timestamp.
    pub timestamp: u64,
    /// Receives the priority fees (the header's beneficiary).
    pub fee_recipient: Address,
    /// The beacon chain's randomness (the header's `mix_hash`).
    pub prev_randao: B256,
    /// Within 1/1024 of the parent's gas limit.
    pub gas_limit: u64,
    /// At most 32 bytes.
    pub extra_data: Bytes,
    /// The withdrawals to credit: `Some` (possibly empty) exactly from Shanghai on.
    pub withdrawals: Option<Vec<Withdrawal>>,
    /// The parent beacon block root (EIP-4788): `Some` exactly from Cancun on.
    pub parent_beacon_block_root: Option<B256>,
}

/// A transaction [`build_block`] left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTransaction {
    pub transaction: Transaction,
    /// Why it cannot be included: the error [`crate::execute_block`] would give for a block
    /// with it (its `index` is the transaction's position in the candidates).
    pub reason: BlockError,
}

/// A built block with what executing it produced.
#[derive(Debug, Clone)]
pub struct BuiltBlock {
    pub block: Block,
    /// One per transaction of the block.
    pub receipts: Vec<Receipt>,
    /// The changes to the parent's state (what the header's state root commits to).
    pub changes: StateChanges,
    /// The EIP-7685 requests by type, empty data included (what the header's requests hash
    /// commits to), from Prague on.
    pub requests: Option<Vec<(u8, Bytes)>>,
    /// The candidates left out, in their original order.
    pub skipped: Vec<SkippedTransaction>,
    /// The senders of the block's transactions as the candidates gave them (`None`: not
    /// given), for importing the block without recovering them again.
    pub senders: Vec<Option<Address>>,
}

/// The transactions a block is built from, in order, with their senders where already known
/// (the mempool recovered them when it admitted the transactions); the others are recovered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    pub transactions: Vec<Transaction>,
    /// `senders[i]` is transaction `i`'s sender, if known; as long as `transactions`.
    pub senders: Vec<Option<Address>>,
}

impl From<Vec<Transaction>> for Candidates {
    fn from(transactions: Vec<Transaction>) -> Self {
        let senders = vec![None; transactions.len()];
        Self {
            transactions,
            senders,
        }
    }
}

/// Builds the child of `parent` with `attributes`, including the `transactions` that are valid
/// in order over `db` (the parent's state). `state_root` is called with the block's changes to
/// the parent's state to fill the header's state root (and, were the block pre-Byzantium, for
/// each receipt).
///
/// Fails when the attributes do not fit the parent or the fork (timestamp, gas limit, extra
/// data, withdrawals or beacon root present before their fork or missing after it, a pre-merge
/// block), when a system contract fails, or when `db` or `state_root` fails.
pub fn build_block(
    config: &ChainConfig,
    parent: &Header,
    db: &dyn Database,
    attributes: BlockAttributes,
    candidates: impl Into<Candidates>,
    state_root: StateRootFn<'_>,
) -> Result<BuiltBlock> {
    let candidates = candidates.into();
    build_block_with_rules(
        config,
        parent,
        db,
        attributes,
        candidates,
        state_root,
        Rules::Ethereum,
    )
}

/// [`build_block`] under `rules` (a rollup block: its fee parameters; its privileged
/// transactions come first among the candidates).
pub fn build_block_with_rules(
    config: &ChainConfig,
    parent: &Header,
    db: &dyn Database,
    attributes: BlockAttributes,
    candidates: Candidates,
    state_root: StateRootFn<'_>,
    rules: Rules,
) -> Result<BuiltBlock> {
    let Candidates {
        transactions,
        mut senders,
    } = candidates;
    senders.resize(transactions.len(), None);
    let mut header = header_before_execution(config, parent, &attributes)?;
    let withdrawals = attributes.withdrawals;
    let body = BodyInput {
        transactions: &transactions,
        senders: Some(&senders),
        ommers: &[],
        withdrawals: withdrawals.as_deref(),
    };
    let run = run_block(
        config,
        &header,
        body,
        db,
        state_root,
        OnInvalidTx::Skip,
        rules,
    )?;

    let mut reasons = run.skipped.into_iter().peekable();
    let mut included = Vec::with_capacity(run.receipts.len());
    let mut included_senders = Vec::with_capacity(run.receipts.len());
    let mut skipped = Vec::new();
    for (index, (transaction, sender)) in transactions.into_iter().zip(senders).enumerate() {
        match reasons.next_if(|(skipped_index, _)| *skipped_index == index) {
            Some((_, reason)) => skipped.push(SkippedTransaction {
                transaction,
                reason,
            }),
            None => {
                included.push(transaction);
                included_senders.push(sender);
            }
        }
    }

    header.gas_used = run.gas_used;
    header.transactions_root = transactions_root(&included);
    header.receipts_root = receipts_root(&run.receipts);
    header.logs_bloom = logs_bloom(&run.receipts);
    if header.blob_gas_used.is_some() {
        header.blob_gas_used = Some(run.blob_gas_used);
    }
    header.requests_hash = run.requests_hash;
    header.state_root = state_root(&run.changes)?;
    let body = BlockBody {
        transactions: included,
        ommers: Vec::new(),
        withdrawals: withdrawals.map(Withdrawals::new),
    };
    Ok(BuiltBlock {
        block: Block::new(header, body),
        receipts: run.receipts,
        changes: run.changes,
        requests: run.requests,
        skipped,
        senders: included_senders,
    })
}

/// The header's fields known before execution (those execution fills are zero or empty),
/// checked against the parent with the importer's header rules.
fn header_before_execution(
    config: &ChainConfig,
    parent: &Header,
    attributes: &BlockAttributes,
) -> Result<Header> {
    let mut header = Header {
        parent_hash: parent.hash_slow(),
        ommers_hash: EMPTY_OMMERS_HASH,
        beneficiary: attributes.fee_recipient,
        number: parent.number + 1,
        gas_limit: attributes.gas_limit,
        timestamp: attributes.timestamp,
        extra_data: attributes.extra_data.clone(),
        mix_hash: attributes.prev_randao,
        ..Default::default()
    };
    // A zero difficulty makes `fork_of` treat the merge as passed if the chain has one.
    let fork = fork_of(config, &header);
    if fork < Fork::Paris {
        return Err(BlockError::InvalidHeader(format!(
            "cannot build a {fork} block: only post-merge blocks are built"
        )));
    }
    let fields = HeaderFields::of(fork);
    let presence = [
        (
            "withdrawals",
            attributes.withdrawals.is_some(),
            fields.withdrawals_root,
        ),
        (
            "parent beacon block root",
            attributes.parent_beacon_block_root.is_some(),
            fields.parent_beacon_block_root,
        ),
    ];
    for (field, present, required) in presence {
        if present != required {
            return Err(BlockError::InvalidHeader(format!(
                "attributes: {field} {} under {fork}, which {} it",
                if present { "given" } else { "missing" },
                if required {
                    "requires"
                } else {
                    "does not have"
                }
            )));
        }
    }
    let parent_fork = fork_of(config, parent);
    header.base_fee_per_gas = Some(next_base_fee(parent, parent_fork));
    header.withdrawals_root = attributes.withdrawals.as_deref().map(withdrawals_root);
    if fork >= Fork::Cancun {
        let params = config
            .blob_params(fork)
            .ok_or_else(|| BlockError::InvalidHeader(format!("no blob parameters for {fork}")))?;
        // A parent before Cancun counts as having neither excess nor used blob gas.
        let parent_for_excess = if parent_fork < Fork::Cancun {
            &Header::default()
        } else {
            parent
        };
        header.excess_blob_gas = Some(next_excess_blob_gas(parent_for_excess, params, fork));
        header.blob_gas_used = Some(0);
        header.parent_beacon_block_root = attributes.parent_beacon_block_root;
    }
    if fork >= Fork::Prague {
        header.requests_hash = Some(EMPTY_REQUESTS_HASH);
    }
    validate_header(config, &header, parent)?;
    Ok(header)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::{TxKind, U256, address, b256};
    use ethrex_common::{
        constants::EMPTY_TRIE_ROOT,
        types::{Eip1559Tx, Withdrawal},
    };
    use ethrex_vm::{InMemoryDb, InvalidTransaction};

    use super::*;
    use crate::execute_block;
    use ethrex_common::system_contracts::{
        CONSOLIDATION_REQUEST_ADDRESS, WITHDRAWAL_REQUEST_ADDRESS,
    };

    const SECRET: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    const SENDER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const RECIPIENT: Address = Address::repeat_byte(0x22);
    const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);
    const CHAIN_ID: u64 = 1337;
    const GAS_LIMIT: u64 = 30_000_000;
    /// A fixed state root: what matters is that the builder puts the function's answer into
    /// the header (the state itself is compared through the changes).
    const ROOT: B256 = B256::repeat_byte(0x77);

    /// A Prague chain whose genesis funds [`SENDER`]; the request contracts are `STOP`, which
    /// returns no requests (the other system contracts are absent, which is allowed).
    fn prague() -> (ChainConfig, Header, InMemoryDb) {
        let config = ChainConfig::all_active_up_to(CHAIN_ID, Fork::Prague);
        let mut db = InMemoryDb::default();
        let ether = U256::from(10u64).pow(U256::from(18));
        db.insert_account(SENDER, 0, ether, Bytes::new(), HashMap::new());
        for contract in [WITHDRAWAL_REQUEST_ADDRESS, CONSOLIDATION_REQUEST_ADDRESS] {
            db.insert_account(
                contract,
                1,
                U256::ZERO,
                Bytes::from_static(&[0x00]),
                HashMap::new(),
            );
        }
        let genesis = Header {
            ommers_hash: EMPTY_OMMERS_HASH,
            gas_limit: GAS_LIMIT,
            base_fee_per_gas: Some(1_000_000_000),
            withdrawals_root: Some(EMPTY_TRIE_ROOT),
            blob_gas_used: Some(0),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            requests_hash: Some(EMPTY_REQUESTS_HASH),
            ..Default::default()
        };
        (config, genesis, db)
    }

    fn attributes(parent: &Header) -> BlockAttributes {
        BlockAttributes {
            timestamp: parent.timestamp + 12,
            fee_recipient: FEE_RECIPIENT,
            prev_randao: B256::repeat_byte(0x42),
            gas_limit: parent.gas_limit,
            extra_data: Bytes::from_static(b"ethrex"),
            withdrawals: Some(Vec::new()),
            parent_beacon_block_root: Some(B256::ZERO),
        }
    }

    fn transfer(nonce: u64, gas_limit: u64) -> Transaction {
        let tx = Transaction::Eip1559(Eip1559Tx {
            chain_id: CHAIN_ID,
            nonce,
            max_priority_fee_per_gas: U256::from(1),
            max_fee_per_gas: U256::from(2_000_000_000u64),
            gas_limit,
            to: TxKind::Call(RECIPIENT),
            value: U256::from(1000),
            ..Default::default()
        });
        tx.sign(&SECRET).unwrap()
    }

    #[test]
    fn built_block_passes_execute_block_and_invalid_transactions_are_skipped() {
        let (config, parent, db) = prague();
        let mut attrs = attributes(&parent);
        attrs.withdrawals = Some(vec![Withdrawal {
            index: 0,
            validator_index: 7,
            address: RECIPIENT,
            amount: 5,
        }]);
        // The second reuses nonce 0 (too low once the first is in); the third is valid.
        let candidates = vec![
            transfer(0, 21_000),
            transfer(0, 21_000),
            transfer(1, 21_000),
        ];
        let root = |_: &StateChanges| Ok(ROOT);
        let built = build_block(&config, &parent, &db, attrs, candidates.clone(), &root).unwrap();

        let body = &built.block.body;
        assert_eq!(
            body.transactions,
            vec![candidates[0].clone(), candidates[2].clone()]
        );
        assert_eq!(built.skipped.len(), 1);
        assert_eq!(built.skipped[0].transaction, candidates[1]);
        assert_eq!(
            built.skipped[0].reason,
            BlockError::InvalidTransaction {
                index: 1,
                hash: candidates[1].hash(),
                reason: InvalidTransaction::NonceMismatch { tx: 0, state: 1 },
            }
        );
        let header = &built.block.header;
        assert_eq!(header.gas_used, 42_000);
        assert_eq!(header.state_root, ROOT);
        assert_eq!(header.base_fee_per_gas, Some(875_000_000));
        assert_eq!(header.requests_hash, Some(EMPTY_REQUESTS_HASH));
        let requests = built.requests.as_deref().unwrap();
        assert_eq!(
            requests.iter().map(|(ty, _)| *ty).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!(requests.iter().all(|(_, data)| data.is_empty()));

        let outcome = execute_block(&config, &built.block, &parent, &db, &root).unwrap();
        assert_eq!(outcome.changes, built.changes);
        assert_eq!(outcome.receipts, built.receipts);
    }

    #[test]
    fn transactions_beyond_the_block_gas_are_skipped_and_the_next_block_takes_them() {
        let (config, parent, mut db) = prague();
        let root = |_: &StateChanges| Ok(ROOT);
        // The block has 29,970,705 gas (the limit may fall by 1/1024 - 1 per block): after two
        // transfers, 29,928,705 are left, too few for the third's gas limit.
        let mut attrs = attributes(&parent);
        attrs.gas_limit = parent.gas_limit - parent.gas_limit / 1024 + 1;
        let big = 29_950_000;
        let candidates = vec![transfer(0, 21_000), transfer(1, 21_000), transfer(2, big)];
        let built = build_block(&config, &parent, &db, attrs, candidates, &root).unwrap();
        assert_eq!(built.block.body.transactions.len(), 2);
        assert!(matches!(
            built.skipped[0].reason,
            BlockError::InvalidTransaction {
                index: 2,
                reason: InvalidTransaction::GasAboveBlockLimit { .. },
                ..
            }
        ));

        db.apply(&built.changes);
        let parent = built.block.header;
        let retry = vec![built.skipped[0].transaction.clone()];
        let next = build_block(&config, &parent, &db, attributes(&parent), retry, &root).unwrap();
        assert!(next.skipped.is_empty());
        execute_block(&config, &next.block, &parent, &db, &root).unwrap();
    }

    #[test]
    fn attributes_must_fit_the_fork_and_the_parent() {
        let (config, parent, db) = prague();
        let root = |_: &StateChanges| Ok(ROOT);
        type Edit = fn(&mut BlockAttributes);
        let cases: [(Edit, &str); 4] = [
            (|a| a.withdrawals = None, "withdrawals missing under Prague"),
            (
                |a| a.parent_beacon_block_root = None,
                "parent beacon block root missing under Prague",
            ),
            (|a| a.timestamp = 0, "timestamp 0 not after parent's 0"),
            (|a| a.gas_limit *= 2, "gas limit 60000000 out of bounds"),
        ];
        for (change, needle) in cases {
            let mut attrs = attributes(&parent);
            change(&mut attrs);
            let err = build_block(&config, &parent, &db, attrs, Vec::new(), &root)
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err:?} should mention {needle:?}");
        }
        let london = ChainConfig::all_active_up_to(CHAIN_ID, Fork::London);
        let mut attrs = attributes(&parent);
        (attrs.withdrawals, attrs.parent_beacon_block_root) = (None, None);
        let err = build_block(&london, &parent, &db, attrs, Vec::new(), &root).unwrap_err();
        assert!(err.to_string().contains("only post-merge"), "{err}");
    }
}
