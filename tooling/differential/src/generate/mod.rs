//! A seed to a [`Case`]: the fork, a block, a pre-state (a sender, the program under test,
//! helper contracts that are random programs too, an EOA, an empty account and, from Prague, an
//! EIP-7702-delegated account) and a transaction — mostly a call to the program, sometimes a
//! creation, a plain transfer or a call to a precompile, with every transaction type of the
//! fork and a gas limit that is sometimes tight (out of gas midway), rarely invalid (below the
//! intrinsic gas, above a cap): both EVMs must then refuse it alike.

use alloy_primitives::{Address, B256, Bytes, U256};
use ethrex_common::{BlobParams, Fork};
use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::{
    case::{BlockSpec, Case, TxSpec, TxType},
    forks::{FORKS, blob_params},
    program::{self, Env, Profile, values},
    world::{Account, World},
};

/// The transaction's sender (an EOA).
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
    let env = program_env(fork, &block);
    let pre = pre_state(rng, &env);
    let tx = transaction(rng, &env, &block);
    let mut case = Case {
        seed,
        fork,
        block,
        pre,
        tx,
    };
    adjust_sender(rng, &mut case);
    case
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
        &[FRESH_COINBASE, FRESH_COINBASE, EOA, EMPTY, HELPERS[1], SENDER],
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

fn program_env(fork: Fork, block: &BlockSpec) -> Env {
    let precompiles = precompiles(fork);
    let mut addresses = vec![
        SENDER,
        MAIN,
        EOA,
        EMPTY,
        MISSING,
        block.coinbase,
        precompiles[0],
    ];
    addresses.extend(HELPERS);
    let mut callees = vec![MAIN];
    callees.extend(HELPERS);
    if fork >= Fork::Prague {
        addresses.push(DELEGATED);
        callees.push(DELEGATED);
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

fn pre_state(rng: &mut StdRng, env: &Env) -> World {
    let mut world = World::default();
    let main = Profile {
        snippets: 10..120,
        nested: true,
    };
    let code = program::generate(rng, env, &main);
    world.insert(MAIN, contract(rng, code));
    for helper in HELPERS {
        let profile = Profile {
            snippets: 2..40,
            nested: rng.random_bool(0.3),
        };
        let code = program::generate(rng, env, &profile);
        world.insert(helper, contract(rng, code));
    }
    let mut sender = Account::with_balance(U256::from(10u128.pow(24)));
    sender.nonce = rng.random_range(0..4);
    world.insert(SENDER, sender);
    let mut eoa = Account::with_balance(U256::from(10u64.pow(18)));
    eoa.nonce = 7;
    world.insert(EOA, eoa);
    world.insert(EMPTY, Account::default());
    if env.fork >= Fork::Prague {
        let mut designator = vec![0xef, 0x01, 0x00];
        designator.extend_from_slice(HELPERS[0].as_slice());
        world.insert(DELEGATED, Account::contract(designator, 1, U256::from(5)));
    }
    world
}

/// Intrinsic gas as the generator estimates it (exact for the cases it makes, but only used to
/// aim the gas limit).
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
    if fork >= Fork::Prague {
        gas = gas.max(21_000 + 10 * (zeros + 4 * nonzeros));
    }
    gas
}

fn transaction(rng: &mut StdRng, env: &Env, block: &BlockSpec) -> TxSpec {
    let fork = env.fork;
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
    let ty = types[rng.random_range(0..types.len())];
    let to = match rng.random_range(0..100) {
        _ if ty == TxType::Blob => Some(MAIN),
        0..=79 => Some(MAIN),
        80..=84 => Some(values::pick(rng, &HELPERS)),
        85..=86 => Some(EOA),
        87 => Some(MISSING),
        88 => Some(values::pick(rng, &env.precompiles)),
        89..=90 if fork >= Fork::Prague => Some(DELEGATED),
        _ => None,
    };
    let data: Bytes = match to {
        None => program::initcode(rng, env).into(),
        Some(_) => {
            let len = rng.random_range(0..100);
            (0..len)
                .map(|_| if rng.random_bool(0.4) { 0 } else { rng.random() })
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
    let mut tx = TxSpec {
        ty,
        sender: SENDER,
        nonce: 0,
        to,
        value: U256::from(values::pick(rng, &[0, 0, 0, 1, 1_000, 10u64.pow(18)])),
        data,
        gas_limit: 0,
        max_fee,
        priority_fee,
        access_list,
        blob_hashes,
        max_fee_per_blob_gas,
    };
    let intrinsic = intrinsic_estimate(fork, &tx);
    tx.gas_limit = match rng.random_range(0..100) {
        0..=59 => intrinsic + rng.random_range(20_000..600_000),
        60..=79 => intrinsic + rng.random_range(0..30_000),
        80..=89 => intrinsic + rng.random_range(600_000..3_000_000),
        90..=95 => rng.random_range(6_000_000..=1 << 24),
        96..=97 => intrinsic - rng.random_range(1..100),
        _ => rng.random_range((1 << 24) + 1..32_000_000),
    };
    tx
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
        TxType::DynamicFee | TxType::Blob => {
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
    let blob_base_fee = ethrex_vm::fake_exponential(
        U256::from(1),
        U256::from(block.excess_blob_gas),
        U256::from(params.base_fee_update_fraction),
    );
    let blob_base_fee = u128::try_from(blob_base_fee).unwrap_or(u128::MAX);
    let max = if rng.random_bool(0.02) {
        blob_base_fee.saturating_sub(1)
    } else {
        blob_base_fee + rng.random_range(0..3)
    };
    (hashes, max)
}

/// The sender's nonce matches the transaction's (rarely not), and its balance covers the cost
/// (rarely not).
fn adjust_sender(rng: &mut StdRng, case: &mut Case) {
    let Some(sender) = case.pre.accounts.get_mut(&SENDER) else {
        return;
    };
    case.tx.nonce = sender.nonce + u64::from(rng.random_bool(0.01));
    if rng.random_bool(0.02) {
        let tx = &case.tx;
        let cost = U256::from(tx.gas_limit) * U256::from(tx.max_fee)
            + tx.value
            + U256::from(tx.blob_hashes.len() as u64 * 131_072) * U256::from(tx.max_fee_per_blob_gas);
        sender.balance = cost - U256::from(rng.random_range(0..2u64)).min(cost);
    }
}
