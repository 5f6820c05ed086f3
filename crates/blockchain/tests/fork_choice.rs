//! `Blockchain` over a real store: two branches built with `build_block`, fork choice between
//! them (reorg both ways), reads of each branch's state, and the window limit.

#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed step should abort the test"
)]

use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use ethrex_blockchain::{BlockAttributes, Blockchain, ChainError, build_block};
use ethrex_common::{
    Genesis,
    types::{Block, Eip1559Tx, Header, Transaction},
};
use ethrex_storage::{ForkChoice, Store};
use ethrex_vm::{Database, StateChanges};

const SECRET: B256 = B256::repeat_byte(0x42);

fn genesis(sender: Address) -> Genesis {
    let json = format!(
        r#"{{
        "config": {{ "chainId": 1337, "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0,
            "eip158Block": 0, "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
            "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0, "mergeNetsplitBlock": 0,
            "terminalTotalDifficulty": 0, "shanghaiTime": 0 }},
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "baseFeePerGas": "0x3b9aca00",
        "alloc": {{ "{sender}": {{ "balance": "0x3635c9adc5dea00000" }} }}
    }}"#
    );
    Genesis::from_json(&json).unwrap()
}

/// A signed transfer of `value` wei to `to`.
fn transfer(nonce: u64, to: Address, value: u64) -> Transaction {
    let mut tx = Transaction::Eip1559(Eip1559Tx {
        chain_id: 1337,
        nonce,
        max_priority_fee_per_gas: U256::from(1),
        max_fee_per_gas: U256::from(100_000_000_000u64),
        gas_limit: 21_000,
        to: TxKind::Call(to),
        value: U256::from(value),
        ..Default::default()
    });
    let sig = ethrex_crypto::sign_hash(&tx.signature_hash(), &SECRET).unwrap();
    if let Transaction::Eip1559(t) = &mut tx {
        (t.r, t.s, t.y_parity) = (sig.r, sig.s, sig.y_parity);
    }
    tx
}

/// Builds a block on `parent` holding `txs`, tagged by `extra`.
fn build(chain: &Blockchain, parent: &Header, txs: Vec<Transaction>, extra: u8) -> Block {
    let store = chain.store();
    let state = store.state_at(parent.state_root).unwrap();
    let root = |changes: &StateChanges| {
        let mut builder = store.state_builder(parent.state_root).unwrap();
        Ok(builder.apply(changes).unwrap())
    };
    let attributes = BlockAttributes {
        timestamp: parent.timestamp + 12,
        fee_recipient: Address::ZERO,
        prev_randao: B256::ZERO,
        gas_limit: parent.gas_limit,
        extra_data: Bytes::from(vec![extra]),
        withdrawals: Some(vec![]),
        parent_beacon_block_root: None,
    };
    let built = build_block(chain.config(), parent, &state, attributes, txs, &root).unwrap();
    assert!(built.skipped.is_empty(), "{:?}", built.skipped);
    built.block
}

fn balance(chain: &Blockchain, root: B256, who: Address) -> U256 {
    let state = chain.store().state_at(root).unwrap();
    state
        .account(&who)
        .unwrap()
        .map_or(U256::ZERO, |a| a.balance)
}

#[test]
fn reorg_between_two_branches_and_back() {
    let sender = ethrex_crypto::secret_to_address(&SECRET).unwrap();
    let (alice, bob) = (
        address!("00000000000000000000000000000000000a11ce"),
        address!("0000000000000000000000000000000000000b0b"),
    );
    let store = Store::in_memory();
    store.init_genesis(&genesis(sender)).unwrap();
    let chain = Blockchain::new(store).unwrap();
    let genesis = chain.store().head_header().unwrap().unwrap();

    // Common block 1, then branch A pays alice (blocks 2, 3), branch B pays bob (2', 3', 4').
    let one = build(&chain, &genesis, vec![transfer(0, alice, 1)], 0);
    assert!(chain.import_block(&one).unwrap());
    let mut a = vec![one.clone()];
    for i in 0..2 {
        let parent = a.last().unwrap().header.clone();
        let block = build(&chain, &parent, vec![transfer(1 + i, alice, 10)], 1);
        assert!(
            chain.import_block(&block).unwrap(),
            "post-merge blocks become the head"
        );
        a.push(block);
    }
    let mut b = vec![one];
    for i in 0..3 {
        let parent = b.last().unwrap().header.clone();
        let block = build(&chain, &parent, vec![transfer(1 + i, bob, 7)], 2);
        chain.add_block(&block).unwrap();
        b.push(block);
    }
    let head_a = a[2].header.hash_slow();
    let head_b = b[3].header.hash_slow();
    assert_eq!(chain.store().head_hash().unwrap(), Some(head_a));
    // Both branches' states are readable.
    assert_eq!(
        balance(&chain, a[2].header.state_root, alice),
        U256::from(21)
    );
    assert_eq!(balance(&chain, b[3].header.state_root, bob), U256::from(21));
    assert_eq!(
        balance(&chain, b[3].header.state_root, alice),
        U256::from(1)
    );

    chain
        .set_fork_choice(ForkChoice {
            head: head_b,
            safe: Some(b[1].header.hash_slow()),
            finalized: None,
        })
        .unwrap();
    let store = chain.store();
    assert_eq!(store.head_hash().unwrap(), Some(head_b));
    assert_eq!(
        store.canonical_hash(2).unwrap(),
        Some(b[1].header.hash_slow())
    );
    assert_eq!(store.canonical_hash(4).unwrap(), Some(head_b));
    let tx = &b[2].body.transactions[0];
    assert_eq!(
        store.tx_location(&tx.hash()).unwrap().map(|l| l.block_hash),
        Some(b[2].header.hash_slow())
    );

    // And back: block 4 is no longer canonical.
    chain.set_head(head_a).unwrap();
    assert_eq!(store.head_hash().unwrap(), Some(head_a));
    assert_eq!(store.canonical_hash(3).unwrap(), Some(head_a));
    assert_eq!(store.canonical_hash(4).unwrap(), None);

    // A block on branch B imports on its (non-head) parent's state.
    let parent = b[3].header.clone();
    let five = build(&chain, &parent, vec![transfer(4, bob, 7)], 2);
    assert!(chain.import_block(&five).unwrap());
    assert_eq!(balance(&chain, five.header.state_root, bob), U256::from(28));

    // Unknown heads are refused without changing anything.
    let err = chain.set_head(B256::repeat_byte(9)).unwrap_err();
    assert!(matches!(err, ChainError::UnknownHead(_)), "{err}");
    assert_eq!(store.head_hash().unwrap(), Some(five.header.hash_slow()));
}

#[test]
fn a_branch_older_than_the_window_cannot_be_extended_or_chosen() {
    let sender = ethrex_crypto::secret_to_address(&SECRET).unwrap();
    let store = Store::in_memory();
    store.set_state_window(2);
    store.init_genesis(&genesis(sender)).unwrap();
    let chain = Blockchain::new(store).unwrap();
    let genesis = chain.store().head_header().unwrap().unwrap();
    let side = build(
        &chain,
        &genesis,
        vec![transfer(0, Address::repeat_byte(5), 1)],
        9,
    );
    chain.add_block(&side).unwrap();
    let mut parent = genesis;
    for nonce in 0..4 {
        let block = build(
            &chain,
            &parent,
            vec![transfer(nonce, Address::repeat_byte(6), 1)],
            1,
        );
        assert!(chain.import_block(&block).unwrap());
        parent = block.header;
    }
    // The disk state is now block 2's: the side branch from genesis was pruned.
    let err = chain.set_head(side.header.hash_slow()).unwrap_err();
    assert!(
        matches!(err, ChainError::HeadStateUnavailable { number: 1, .. }),
        "{err}"
    );
    let child = Block::new(
        Header {
            parent_hash: side.header.hash_slow(),
            number: 2,
            ..side.header.clone()
        },
        side.body.clone(),
    );
    let err = chain.add_block(&child).unwrap_err();
    assert!(
        matches!(err, ChainError::ParentStateUnavailable { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no longer available"), "{err}");
}
