//! A seed to a [`Case`]: the fork, a block, a pre-state — a sender, the program under test,
//! helper contracts that are random programs too, an EOA, an empty account, EIP-7702
//! authorities with known keys and, from Prague, a delegated account — and one to three
//! transactions (see the `tx` module).
//!
//! Programs may call the contracts the transactions are expected to create (their addresses
//! follow from the creators' nonces), so a later transaction can reach what an earlier one made.

mod tx;

use alloy_primitives::{Address, B256, U256};
use ethrex_common::{Fork, eip7702::designator};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::{
    case::{BlockSpec, Case},
    forks::FORKS,
    program::{self, Env, Profile, values},
    world::{Account, World},
};

/// The main transaction sender (an EOA).
pub const SENDER: Address = Address::repeat_byte(0x5e);
/// The contract holding the program under test.
pub const MAIN: Address = Address::repeat_byte(0xc0);
/// Pre-deployed helper contracts, random programs themselves.
pub const HELPERS: [Address; 3] = [
    Address::repeat_byte(0xa1),
    Address::repeat_byte(0xa2),
    Address::repeat_byte(0xa3),
];
/// An EOA with a balance and a nonce.
pub const EOA: Address = Address::repeat_byte(0xe0);
/// An existing account with no nonce, balance or code (EIP-161 deletes it when touched).
pub const EMPTY: Address = Address::repeat_byte(0xee);
/// From Prague: an account delegated to `HELPERS[0]` (EIP-7702).
pub const DELEGATED: Address = Address::repeat_byte(0xde);
/// An address no account has.
pub const MISSING: Address = Address::repeat_byte(0x99);
/// A coinbase that does not exist before the block.
pub const FRESH_COINBASE: Address = Address::repeat_byte(0xcb);

/// Whether pre-states may hold an empty account at RIPEMD-160's address, exercising the EIP-161
/// touch exception of Spurious Dragon to London (once an ethrex bug, found by this test; fixed).
const KNOWN_BUG_RIPEMD_TOUCH_FIXED: bool = true;

/// The secret keys of the EIP-7702 authorities: the first is a funded EOA (and sometimes a
/// sender), the second is already delegated (from Prague), the third has no account.
pub fn authority_secrets() -> [B256; 3] {
    [1u8, 2, 3].map(B256::with_last_byte)
}

/// The addresses of [`authority_secrets`].
pub fn authorities() -> [Address; 3] {
    authority_secrets().map(|s| ethrex_crypto::secret_to_address(&s).unwrap_or_default())
}

/// The precompiles active under `fork` (the generator's own list, independent of either EVM).
pub fn precompiles(fork: Fork) -> Vec<Address> {
    let count = match fork {
        f if f >= Fork::Prague => 0x11,
        f if f >= Fork::Cancun => 0x0a,
        f if f >= Fork::Istanbul => 9,
        f if f >= Fork::Byzantium => 8,
        _ => 4,
    };
    let mut list: Vec<Address> = (1..=count).map(Address::with_last_byte).collect();
    if fork >= Fork::Osaka {
        list.push(Address::left_padding_from(&[0x01, 0x00]));
    }
    list
}

/// The case of `seed`.
pub fn case(seed: u64) -> Case {
    let mut rng = StdRng::seed_from_u64(seed);
    let rng = &mut rng;
    let fork = pick_fork(rng);
    let block = block(rng, fork);
    let sender_nonce = rng.random_range(0..4);
    let env = program_env(fork, &block, sender_nonce);
    let pre = pre_state(rng, &env, sender_nonce);
    let txs = tx::transactions(rng, &env, &block, &pre);
    Case {
        seed,
        fork,
        block,
        pre,
        txs,
    }
}

fn pick_fork(rng: &mut StdRng) -> Fork {
    let total: u32 = FORKS.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (fork, weight) in FORKS {
        if roll < weight {
            return fork;
        }
        roll -= weight;
    }
    Fork::Osaka
}

fn block(rng: &mut StdRng, fork: Fork) -> BlockSpec {
    let coinbase = values::pick(
        rng,
        &[
            FRESH_COINBASE,
            FRESH_COINBASE,
            EOA,
            EMPTY,
            HELPERS[1],
            SENDER,
        ],
    );
    BlockSpec {
        number: values::pick(rng, &[1, 200, 256, 257, 1_000_000, 20_000_000]),
        timestamp: 1_700_000_000 + rng.random_range(0..1_000_000),
        coinbase,
        gas_limit: 30_000_000,
        base_fee: if fork >= Fork::London {
            values::pick(rng, &[0, 1, 7, 7, 10, 1000])
        } else {
            0
        },
        difficulty: if fork >= Fork::Paris {
            U256::ZERO
        } else {
            U256::from(rng.random_range(0x20000..0x1000000u64))
        },
        prev_randao: B256::from(rng.random::<[u8; 32]>()),
        excess_blob_gas: values::pick(rng, &[0, 0, 1_000_000, 10_000_000, 50_000_000]),
    }
}

fn program_env(fork: Fork, block: &BlockSpec, sender_nonce: u64) -> Env {
    let precompiles = precompiles(fork);
    let authorities = authorities();
    let mut addresses = vec![
        SENDER,
        MAIN,
        EOA,
        EMPTY,
        MISSING,
        block.coinbase,
        precompiles[0],
        authorities[0],
        authorities[1],
        authorities[2],
    ];
    addresses.extend(HELPERS);
    let mut callees = vec![
        MAIN,
        MAIN.create(1),
        HELPERS[0].create(1),
        SENDER.create(sender_nonce),
        SENDER.create(sender_nonce + 1),
        authorities[1],
    ];
    callees.extend(HELPERS);
    if fork >= Fork::Prague {
        addresses.push(DELEGATED);
        callees.extend([DELEGATED, authorities[0]]);
    }
    Env {
        fork,
        addresses,
        callees,
        precompiles,
        block_number: block.number,
    }
}

fn contract(rng: &mut StdRng, code: Vec<u8>) -> Account {
    let balance = values::pick(rng, &[0, 1, 1_000_000, 10u64.pow(18)]);
    let mut account = Account::contract(code, 1, U256::from(balance));
    for key in 0..5u64 {
        account.set_slot(U256::from(key), values::stored(rng));
    }
    account
}

fn pre_state(rng: &mut StdRng, env: &Env, sender_nonce: u64) -> World {
    let mut world = World::default();
    let main = Profile {
        snippets: 10..200,
        nested: true,
        recursive: false,
    };
    let code = program::generate(rng, env, &main);
    world.insert(MAIN, contract(rng, code));
    for helper in HELPERS {
        let profile = Profile {
            snippets: 2..40,
            nested: rng.random_bool(0.3),
            recursive: rng.random_bool(0.1),
        };
        let code = program::generate(rng, env, &profile);
        let mut account = contract(rng, code);
        account.nonce = match rng.random_range(0..20) {
            0 => u64::MAX, // EIP-2681: its creations must fail
            1..=3 => 0,    // as contracts created before EIP-161
            _ => 1,
        };
        world.insert(helper, account);
    }
    // Empty accounts exist only before Paris (EIP-7523 rules them out after; execution-specs
    // then stop deleting touched ones, which revm and ethrex still do).
    let empty_accounts = env.fork < Fork::Paris;
    // An empty account at RIPEMD-160's address, as mainnet had until block 2675119: a failed
    // call to it still touches it, and EIP-161 deletes it (execution-specs'
    // `incorporate_child_on_error`, Spurious Dragon to London), unless the transaction itself
    // fails (`process_message_call` then drops every touch).
    let empty_ripemd = rng.random_bool(0.05);
    if empty_accounts && empty_ripemd && KNOWN_BUG_RIPEMD_TOUCH_FIXED {
        world.insert(Address::with_last_byte(3), Account::default());
    }
    // Occupied creation addresses: with code (a collision) or with only a balance (none).
    for address in [MAIN.create(1), SENDER.create(sender_nonce)] {
        match rng.random_range(0..20) {
            0 => world.insert(address, Account::contract(vec![0x00], 0, U256::from(1))),
            1 => world.insert(address, Account::with_balance(U256::from(7))),
            _ => {}
        }
    }
    let rich = U256::from(10u128.pow(24));
    let mut sender = Account::with_balance(rich);
    sender.nonce = sender_nonce;
    world.insert(SENDER, sender);
    let mut eoa = Account::with_balance(U256::from(10u64.pow(18)));
    eoa.nonce = 7;
    world.insert(EOA, eoa);
    if empty_accounts {
        world.insert(EMPTY, Account::default());
    }
    let authorities = authorities();
    let mut first = Account::with_balance(rich);
    first.nonce = rng.random_range(0..3);
    world.insert(authorities[0], first);
    let second = if env.fork >= Fork::Prague {
        Account::contract(
            designator(HELPERS[1]).to_vec(),
            1,
            U256::from(10u64.pow(18)),
        )
    } else {
        Account::contract(Vec::new(), 1, U256::from(10u64.pow(18)))
    };
    world.insert(authorities[1], second);
    if env.fork >= Fork::Prague {
        world.insert(
            DELEGATED,
            Account::contract(designator(HELPERS[0]).to_vec(), 1, U256::from(5)),
        );
    }
    world
}
