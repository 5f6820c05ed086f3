//! Admission rules: a transaction enters the mempool only if it could be included on top of the
//! head. Checked in this order (cheap first, state last):
//! 1. size (at most [`MAX_TX_SIZE`] bytes, the blob sidecar excluded);
//! 2. the stateless rules of the head's fork (`ethrex_common::validation`: type, signature
//!    values, chain id, intrinsic gas, initcode size, Osaka's gas and blob caps, ...);
//! 3. the sender recovers from the signature;
//! 4. the gas limit fits in a block, the fee cap reaches the pool's minimum and the head's
//!    base fee;
//! 5. a blob transaction's sidecar (`blobs.rs`);
//! 6. against the head state: the sender is not a contract (EIP-3607; an EIP-7702 delegation is
//!    fine), the nonce is not below the account's, and the balance covers the maximum cost.

use alloy_primitives::{Address, U256};
use ethrex_common::{
    ChainConfig, constants::EMPTY_CODE_HASH, types::Header, types::Transaction, validation,
};
use ethrex_vm::Database;

use super::{MempoolError, blobs, fees};

/// Largest transaction accepted, in bytes of its canonical encoding (geth's limit).
pub const MAX_TX_SIZE: usize = 128 * 1024;

/// The head a transaction is validated against: its header and its state.
pub struct HeadState<'a> {
    pub config: &'a ChainConfig,
    pub header: &'a Header,
    pub state: &'a dyn Database,
}

/// What validation learned about an admissible transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validated {
    pub(crate) sender: Address,
    /// The sender's nonce in the head state.
    pub(crate) account_nonce: u64,
    /// The sender's balance in the head state.
    pub(crate) account_balance: U256,
}

/// Checks every admission rule (see the module docs) for `tx` on `head`, with `min_fee` the
/// lowest fee cap the pool accepts.
pub(crate) fn validate(
    tx: &Transaction,
    head: &HeadState<'_>,
    min_fee: U256,
) -> Result<Validated, MempoolError> {
    let size = tx.encode_2718().len();
    if size > MAX_TX_SIZE {
        return Err(MempoolError::OversizedData {
            size,
            limit: MAX_TX_SIZE,
        });
    }
    let header = head.header;
    let fork = head.config.fork_at(header.number, header.timestamp);
    validation::validate_transaction(tx, fork, head.config.chain_id)?;
    let sender = tx
        .sender()
        .map_err(|e| MempoolError::InvalidSender(e.to_string()))?;
    if tx.gas_limit() > header.gas_limit {
        return Err(MempoolError::ExceedsBlockGasLimit {
            gas: tx.gas_limit(),
            limit: header.gas_limit,
        });
    }
    let fee_cap = tx.max_fee_per_gas();
    if fee_cap < min_fee {
        return Err(MempoolError::Underpriced {
            fee_cap,
            min: min_fee,
        });
    }
    if let Some(base_fee) = header.base_fee_per_gas
        && fee_cap < U256::from(base_fee)
    {
        return Err(MempoolError::FeeCapBelowBaseFee { fee_cap, base_fee });
    }
    blobs::validate_sidecar(tx)?;
    let account = head.state.account(&sender)?.unwrap_or_default();
    if account.code_hash != EMPTY_CODE_HASH && !account.code_hash.is_zero() {
        let code = head.state.code(&account.code_hash)?;
        if !ethrex_common::eip7702::is_delegation(&code) {
            return Err(MempoolError::SenderNotEoa(sender));
        }
    }
    if tx.nonce() < account.nonce {
        return Err(MempoolError::NonceTooLow {
            tx: tx.nonce(),
            state: account.nonce,
        });
    }
    let cost = fees::max_cost(tx);
    if account.balance < cost {
        return Err(MempoolError::InsufficientFunds {
            balance: account.balance,
            cost,
        });
    }
    Ok(Validated {
        sender,
        account_nonce: account.nonce,
        account_balance: account.balance,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::{Bytes, TxKind};
    use ethrex_common::{
        Fork,
        dev::DEV_CHAIN_ID,
        types::{Eip1559Tx, LegacyTx},
    };
    use ethrex_vm::InMemoryDb;

    use super::*;
    use crate::mempool::test_tx::{RECIPIENT, blob_tx, sender, sign, transfer};

    const BASE_FEE: u64 = 1_000_000_000;
    const GAS_LIMIT: u64 = 30_000_000;
    const MIN_FEE: U256 = U256::from_limbs([1, 0, 0, 0]);

    struct Head {
        config: ChainConfig,
        header: Header,
        db: InMemoryDb,
    }

    impl Head {
        /// An Osaka head where dev account 0 holds `balance` at nonce `nonce`.
        fn new(nonce: u64, balance: u64) -> Self {
            let mut db = InMemoryDb::default();
            db.insert_account(
                sender(0),
                nonce,
                U256::from(balance),
                Bytes::new(),
                HashMap::new(),
            );
            let header = Header {
                gas_limit: GAS_LIMIT,
                base_fee_per_gas: Some(BASE_FEE),
                ..Default::default()
            };
            let config = ChainConfig::all_active_up_to(DEV_CHAIN_ID, Fork::Osaka);
            Head { config, header, db }
        }

        fn check(&self, tx: &Transaction) -> Result<Validated, MempoolError> {
            let head = HeadState {
                config: &self.config,
                header: &self.header,
                state: &self.db,
            };
            validate(tx, &head, MIN_FEE)
        }
    }

    fn rich() -> Head {
        Head::new(0, u64::MAX)
    }

    /// A signed transfer from dev account 0 with `edit` applied before signing.
    fn tx(edit: impl FnOnce(&mut Eip1559Tx)) -> Transaction {
        let mut tx = transfer(0, 2 * BASE_FEE, 1);
        if let Transaction::Eip1559(t) = &mut tx {
            edit(t);
        }
        sign(tx, 0)
    }

    #[test]
    fn a_valid_transfer_is_admitted_with_its_sender_and_account_nonce() {
        let head = Head::new(3, u64::MAX);
        let ok = head.check(&tx(|t| t.nonce = 5)).unwrap();
        assert_eq!(
            ok,
            Validated {
                sender: sender(0),
                account_nonce: 3,
                account_balance: U256::from(u64::MAX),
            }
        );
    }

    #[test]
    fn each_rule_refuses_with_geths_message() {
        let cases: Vec<(Head, Transaction, &str)> = vec![
            (
                Head::new(3, u64::MAX),
                tx(|t| t.nonce = 2),
                "nonce too low: next nonce 3, tx nonce 2",
            ),
            (
                Head::new(0, 21_000 * BASE_FEE),
                tx(|_| {}),
                "insufficient funds for gas * price + value: balance 21000000000000, \
                 tx cost 42000000000001, overshot 21000000000001",
            ),
            (
                rich(),
                tx(|t| t.gas_limit = 20_999),
                "intrinsic gas too low: gas 20999, minimum needed 21000",
            ),
            (
                rich(),
                tx(|t| t.chain_id = 1),
                "invalid chain id for signer: have 1 want 1337",
            ),
            (
                rich(),
                tx(|t| t.gas_limit = GAS_LIMIT + 1),
                "transaction gas limit too high (cap: 16777216, tx: 30000001)",
            ),
            (
                rich(),
                tx(|t| (t.max_fee_per_gas, t.max_priority_fee_per_gas) = (U256::ZERO, U256::ZERO)),
                "transaction underpriced: gas fee cap 0, minimum needed 1",
            ),
            (
                rich(),
                tx(|t| t.max_fee_per_gas = U256::from(BASE_FEE - 1)),
                "max fee per gas less than block base fee: maxFeePerGas: 999999999, \
                 baseFee: 1000000000",
            ),
            (
                rich(),
                tx(|t| t.data = Bytes::from(vec![1u8; MAX_TX_SIZE])),
                "oversized data: transaction size",
            ),
        ];
        for (head, tx, message) in cases {
            let err = head.check(&tx).unwrap_err().to_string();
            assert!(
                err.starts_with(message),
                "expected {message:?}, got {err:?}"
            );
        }
    }

    #[test]
    fn a_gas_limit_above_the_block_is_refused_before_osaka_caps_it() {
        let mut head = rich();
        head.config = ChainConfig::all_active_up_to(DEV_CHAIN_ID, Fork::Prague);
        head.header.gas_limit = 1_000_000;
        let err = head.check(&tx(|t| t.gas_limit = 1_000_001)).unwrap_err();
        assert_eq!(
            err,
            MempoolError::ExceedsBlockGasLimit {
                gas: 1_000_001,
                limit: 1_000_000
            }
        );
    }

    #[test]
    fn a_bad_signature_is_an_invalid_sender() {
        let mut bad = tx(|_| {});
        if let Transaction::Eip1559(t) = &mut bad {
            t.s = U256::ZERO;
        }
        let err = rich().check(&bad).unwrap_err().to_string();
        assert!(err.starts_with("invalid sender"), "{err}");
        // A legacy transaction without replay protection (pre-EIP-155) is still accepted.
        let legacy = Transaction::Legacy(LegacyTx {
            gas_price: U256::from(BASE_FEE),
            gas_limit: 21_000,
            to: TxKind::Call(RECIPIENT),
            v: 27,
            ..Default::default()
        });
        let legacy = sign(legacy, 0);
        assert_eq!(rich().check(&legacy).unwrap().sender, sender(0));
    }

    #[test]
    fn a_contract_cannot_send_but_a_delegated_account_can() {
        for (code, allowed) in [
            (vec![0x60, 0x00], false),
            (
                ethrex_common::eip7702::designator(Address::repeat_byte(0x11)).to_vec(),
                true,
            ),
        ] {
            let mut head = rich();
            head.db
                .insert_account(sender(0), 0, U256::MAX, Bytes::from(code), HashMap::new());
            let result = head.check(&tx(|_| {}));
            assert_eq!(result.is_ok(), allowed, "{result:?}");
        }
    }

    #[test]
    fn a_blob_transaction_is_checked_for_its_sidecar_and_pays_for_its_blob_gas() {
        let head = rich();
        head.check(&sign(blob_tx(0, true), 0)).unwrap();
        let Transaction::Eip4844(bare, _) = blob_tx(0, true) else {
            unreachable!()
        };
        assert_eq!(
            head.check(&sign(Transaction::Eip4844(bare, None), 0)),
            Err(MempoolError::MissingSidecar)
        );
        // Enough for the gas, not for the blob gas.
        let poor = Head::new(0, 21_000 * 2 * BASE_FEE);
        let err = poor.check(&sign(blob_tx(0, true), 0)).unwrap_err();
        assert!(
            matches!(err, MempoolError::InsufficientFunds { .. }),
            "{err}"
        );
    }
}
