//! The transactions of the generated blocks: signed EIP-1559 ETH transfers and ERC20
//! `transfer` calls from a fixed set of senders, chosen by a seeded generator so that the same
//! parameters give the same chain.
//!
//! - Sender `i`'s secret key is `keccak256(seed ‖ i)` (both 8-byte big-endian), so anyone can
//!   recreate the keys. Senders take turns in order, so each one's nonces are sequential.
//! - A transaction is an ERC20 transfer with probability `erc20_share` percent, to another
//!   sender, of 1 to 10^18 token units; otherwise an ETH transfer of 1 wei to 10^15 wei, half the
//!   time to another sender and half the time to a fresh address (the last 20 bytes of
//!   `keccak256("fresh" ‖ seed ‖ n)`), which grows the state.
//! - A block gets transactions until the next one would exceed its gas budget. An ETH transfer
//!   uses exactly 21,000 gas; an ERC20 transfer uses its intrinsic gas plus a fixed execution
//!   cost (every transfer takes the same path: two cold, non-zero balance slots updated, one
//!   log), measured once on the genesis state by [`erc20_execution_gas`]. The estimate is
//!   therefore exact, and blocks come out as full as the budget allows.
//! - Balances cannot run out: a sender starts with 10^24 wei and 10^24 token units and sends at
//!   most 10^18 of either per transaction, plus fees well below 10^15 wei.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256, uint};
use ethrex_common::{
    ChainConfig, Fork,
    types::{Eip1559Tx, Header, Transaction},
    validation::intrinsic_gas,
};
use ethrex_vm::{Evm, InMemoryDb};

use crate::{Error, Result, erc20};

/// Wei each sender starts with (one million ether).
pub const INITIAL_ETHER: U256 = uint!(1_000_000_000_000_000_000_000_000_U256);
/// Token units each sender starts with (10^24).
pub const INITIAL_TOKENS: U256 = INITIAL_ETHER;
/// The priority fee per gas of every transaction (1 gwei).
pub const PRIORITY_FEE: u64 = 1_000_000_000;
/// Gas of an ETH transfer to an account without code.
pub const TRANSFER_GAS: u64 = 21_000;
/// Gas limit of an ERC20 transfer (it uses about 35,000).
const ERC20_GAS_LIMIT: u64 = 100_000;
/// Largest ETH transfer, in wei.
const MAX_ETHER_VALUE: u64 = 1_000_000_000_000_000;
/// Largest token transfer, in token units.
const MAX_TOKEN_VALUE: u64 = 1_000_000_000_000_000_000;

/// SplitMix64: a small, fast generator whose output depends only on the seed (so chains stay
/// reproducible whatever the dependencies' versions).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), by multiply-shift (no modulo bias worth the name).
    pub fn below(&mut self, n: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(n);
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// A number in `1..=max` (`max > 0`).
    fn between_one_and(&mut self, max: u64) -> u64 {
        self.below(max) + 1
    }
}

/// A sender: its key, address and next nonce.
#[derive(Debug, Clone)]
pub struct Sender {
    pub secret: B256,
    pub address: Address,
    pub nonce: u64,
}

/// The secret key of sender `index` under `seed`: `keccak256(seed ‖ index)`.
pub fn sender_secret(seed: u64, index: u64) -> B256 {
    let mut preimage = [0u8; 16];
    preimage[..8].copy_from_slice(&seed.to_be_bytes());
    preimage[8..].copy_from_slice(&index.to_be_bytes());
    keccak256(preimage)
}

/// The `count` senders of `seed`, with nonce 0.
pub fn senders(seed: u64, count: usize) -> Result<Vec<Sender>> {
    (0..count as u64)
        .map(|index| {
            let secret = sender_secret(seed, index);
            let address = ethrex_crypto::secret_to_address(&secret)?;
            Ok(Sender {
                secret,
                address,
                nonce: 0,
            })
        })
        .collect()
}

/// The `n`th fresh recipient of `seed`.
fn fresh_address(seed: u64, n: u64) -> Address {
    let mut preimage = b"fresh".to_vec();
    preimage.extend_from_slice(&seed.to_be_bytes());
    preimage.extend_from_slice(&n.to_be_bytes());
    Address::from_slice(&keccak256(preimage)[12..])
}

/// What the workload is made of.
#[derive(Debug, Clone)]
pub struct WorkloadParams {
    pub chain_id: u64,
    pub fork: Fork,
    pub seed: u64,
    /// Percentage of ERC20 transfers.
    pub erc20_share: u8,
    /// Execution gas of an ERC20 transfer beyond its intrinsic gas ([`erc20_execution_gas`]).
    pub erc20_execution_gas: u64,
}

/// Generates the transactions of successive blocks.
#[derive(Debug, Clone)]
pub struct Workload {
    params: WorkloadParams,
    senders: Vec<Sender>,
    next_sender: usize,
    fresh: u64,
    rng: Rng,
}

impl Workload {
    /// A workload over `senders` (at least two).
    pub fn new(params: WorkloadParams, senders: Vec<Sender>) -> Result<Self> {
        if senders.len() < 2 {
            return Err(Error::Params("at least two senders are needed".into()));
        }
        // A different stream from the keys and the fresh addresses, which hash the seed.
        let rng = Rng::new(params.seed);
        Ok(Workload {
            params,
            senders,
            next_sender: 0,
            fresh: 0,
            rng,
        })
    }

    #[cfg(test)]
    pub fn senders(&self) -> &[Sender] {
        &self.senders
    }

    /// Signed transactions for a block with base fee `base_fee`, the largest prefix of the
    /// workload whose gas fits in `gas_budget`. Their nonces are taken: every one must be
    /// included for the next block's to be valid.
    pub fn block_transactions(
        &mut self,
        base_fee: u64,
        gas_budget: u64,
    ) -> Result<Vec<Transaction>> {
        let max_fee = U256::from(base_fee) * U256::from(2) + U256::from(PRIORITY_FEE);
        let mut transactions = Vec::new();
        let mut gas = 0u64;
        loop {
            let from = self.next_sender;
            let (tx, fresh) = self.next_unsigned(from, max_fee);
            let tx_gas = self.gas_of(&tx);
            if gas + tx_gas > gas_budget {
                return Ok(transactions);
            }
            gas += tx_gas;
            self.fresh += u64::from(fresh);
            self.next_sender = (from + 1) % self.senders.len();
            let sender = &mut self.senders[from];
            sender.nonce += 1;
            transactions.push(sign(tx, &sender.secret)?);
        }
    }

    /// The next transaction of sender `from`, unsigned, and whether it pays a fresh address.
    fn next_unsigned(&mut self, from: usize, max_fee: U256) -> (Transaction, bool) {
        let is_erc20 = self.rng.below(100) < u64::from(self.params.erc20_share);
        let other = self.other_sender(from);
        let (to, value, data, gas_limit, fresh) = if is_erc20 {
            let amount = U256::from(self.rng.between_one_and(MAX_TOKEN_VALUE));
            let data = erc20::transfer_calldata(other, amount);
            (erc20::TOKEN, U256::ZERO, data, ERC20_GAS_LIMIT, false)
        } else {
            let value = U256::from(self.rng.between_one_and(MAX_ETHER_VALUE));
            let fresh = self.rng.below(2) == 0;
            let to = if fresh {
                fresh_address(self.params.seed, self.fresh)
            } else {
                other
            };
            (to, value, Bytes::new(), TRANSFER_GAS, fresh)
        };
        let tx = Transaction::Eip1559(Eip1559Tx {
            chain_id: self.params.chain_id,
            nonce: self.senders[from].nonce,
            max_priority_fee_per_gas: U256::from(PRIORITY_FEE),
            max_fee_per_gas: max_fee,
            gas_limit,
            to: TxKind::Call(to),
            value,
            data,
            ..Default::default()
        });
        (tx, fresh)
    }

    /// A sender other than `from`, at random.
    fn other_sender(&mut self, from: usize) -> Address {
        let count = self.senders.len() as u64;
        let pick = usize::try_from(self.rng.below(count - 1)).unwrap_or(0);
        let index = if pick >= from { pick + 1 } else { pick };
        self.senders[index].address
    }

    /// The gas `tx` will use (see the module docs for why this is exact).
    fn gas_of(&self, tx: &Transaction) -> u64 {
        if tx.data().is_empty() {
            TRANSFER_GAS
        } else {
            intrinsic_gas(tx, self.params.fork) + self.params.erc20_execution_gas
        }
    }
}

/// Signs `tx` with `secret`.
pub fn sign(tx: Transaction, secret: &B256) -> Result<Transaction> {
    Ok(tx.sign(secret)?)
}

/// The execution gas of an ERC20 transfer beyond its intrinsic gas, measured by running one
/// from `from` to `to` over `db` in a block after `parent`.
pub fn erc20_execution_gas(
    config: &ChainConfig,
    parent: &Header,
    db: &InMemoryDb,
    from: &Sender,
    to: Address,
) -> Result<u64> {
    let mut header = parent.clone();
    header.number += 1;
    let env = ethrex_blockchain::block_env(config, &header);
    let fork = env.fork;
    let tx = Transaction::Eip1559(Eip1559Tx {
        chain_id: config.chain_id,
        max_priority_fee_per_gas: U256::from(PRIORITY_FEE),
        max_fee_per_gas: U256::from(header.base_fee_per_gas.unwrap_or(0) + PRIORITY_FEE),
        gas_limit: ERC20_GAS_LIMIT,
        to: TxKind::Call(erc20::TOKEN),
        data: erc20::transfer_calldata(to, U256::from(MAX_TOKEN_VALUE)),
        nonce: from.nonce,
        ..Default::default()
    });
    let tx = sign(tx, &from.secret)?;
    let result = Evm::new(db, env)
        .transact(&tx, from.address)
        .map_err(|e| Error::Internal(format!("measuring an ERC20 transfer: {e}")))?;
    if !result.success {
        return Err(Error::Internal(format!(
            "the measured ERC20 transfer failed: {:?}",
            result.halt
        )));
    }
    Ok(result.gas_used - intrinsic_gas(&tx, fork))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_balances_are_a_million_ether() {
        assert_eq!(INITIAL_ETHER, U256::from(10u64).pow(U256::from(24)));
    }

    #[test]
    fn rng_is_splitmix64() {
        // The first outputs of SplitMix64 seeded with 0 (the reference C implementation).
        let mut rng = Rng::new(0);
        assert_eq!(rng.next_u64(), 0xe220a8397b1dcdaf);
        assert_eq!(rng.next_u64(), 0x6e789e6aa1b965f4);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }

    #[test]
    fn senders_take_turns_with_sequential_nonces() {
        let params = WorkloadParams {
            chain_id: 1,
            fork: Fork::Osaka,
            seed: 3,
            erc20_share: 50,
            erc20_execution_gas: 14_000,
        };
        let mut workload = Workload::new(params, senders(3, 4).unwrap()).unwrap();
        let txs = workload
            .block_transactions(1_000_000_000, 10 * 36_000)
            .unwrap();
        assert!(txs.len() >= 10, "{} transactions", txs.len());
        for (i, tx) in txs.iter().enumerate() {
            let sender = &workload.senders()[i % 4];
            assert_eq!(tx.sender().unwrap(), sender.address);
            assert_eq!(tx.nonce(), (i / 4) as u64);
            assert_ne!(tx.to().to(), Some(&sender.address));
        }
        // Nothing was taken that is not in the list.
        let taken: u64 = workload.senders().iter().map(|s| s.nonce).sum();
        assert_eq!(taken, txs.len() as u64);
    }
}
