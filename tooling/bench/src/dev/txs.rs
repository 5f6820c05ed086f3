//! The transactions the `dev` benchmark sends, signed in the bench before any timing: EIP-1559
//! transfers, the deployment of [`PROBE_INIT_CODE`] and calls that make it emit a log.
//!
//! The probe contract is written in bytecode so the bench needs no compiler. Called without
//! data it returns storage slot 0 (set to [`PROBE_SLOT_VALUE`] by its constructor); called with
//! a 32-byte word it emits `LOG1(topic = PROBE_TOPIC, data = the word)`.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use ethrex_common::types::{Eip1559Tx, Transaction};

/// What every benchmark transaction pays per gas: 100 gwei at most, 1 gwei of tip (both dev
/// chains start at a 1 gwei base fee).
const MAX_FEE_PER_GAS: u64 = 100_000_000_000;
const TIP_PER_GAS: u64 = 1_000_000_000;

/// The value the probe's constructor stores in slot 0, returned by a call without data.
pub const PROBE_SLOT_VALUE: u8 = 42;

/// The topic of the probe's log.
pub const PROBE_TOPIC: B256 = B256::repeat_byte(0xb0);

/// One sender: its key and address.
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    pub secret: B256,
    pub address: Address,
}

/// What a transaction does, besides its sender and nonce.
#[derive(Debug, Clone)]
pub struct Call {
    pub to: TxKind,
    pub value: U256,
    pub data: Bytes,
    pub gas_limit: u64,
}

impl Call {
    /// Sends 1 wei to `to`.
    pub fn transfer(to: Address) -> Call {
        Call {
            to: TxKind::Call(to),
            value: U256::from(1),
            data: Bytes::new(),
            gas_limit: 21_000,
        }
    }

    /// Deploys the probe contract.
    pub fn deploy_probe() -> Call {
        Call {
            to: TxKind::Create,
            value: U256::ZERO,
            data: Bytes::from(probe_init_code()),
            gas_limit: 200_000,
        }
    }

    /// Makes the probe at `probe` emit one log carrying `word`.
    pub fn emit_log(probe: Address, word: U256) -> Call {
        Call {
            to: TxKind::Call(probe),
            value: U256::ZERO,
            data: Bytes::from(word.to_be_bytes::<32>().to_vec()),
            gas_limit: 100_000,
        }
    }
}

/// A signed transaction: its hash and the EIP-2718 encoding `eth_sendRawTransaction` takes.
#[derive(Debug, Clone)]
pub struct Signed {
    pub hash: B256,
    pub raw: Vec<u8>,
}

impl Signed {
    /// The `0x`-hex encoding, as the RPC parameter.
    pub fn raw_hex(&self) -> String {
        format!("0x{}", alloy_primitives::hex::encode(&self.raw))
    }
}

/// Signs `call` from `sender` at `nonce` for chain `chain_id`.
pub fn sign(chain_id: u64, sender: &Sender, nonce: u64, call: Call) -> Result<Transaction, String> {
    let tx = Transaction::Eip1559(Eip1559Tx {
        chain_id,
        nonce,
        max_priority_fee_per_gas: U256::from(TIP_PER_GAS),
        max_fee_per_gas: U256::from(MAX_FEE_PER_GAS),
        gas_limit: call.gas_limit,
        to: call.to,
        value: call.value,
        data: call.data,
        ..Default::default()
    });
    tx.sign(&sender.secret)
        .map_err(|e| format!("signing for {}: {e}", sender.address))
}

/// [`sign`], encoded for sending.
pub fn sign_raw(chain_id: u64, sender: &Sender, nonce: u64, call: Call) -> Result<Signed, String> {
    let tx = sign(chain_id, sender, nonce, call)?;
    Ok(Signed {
        hash: tx.hash(),
        raw: tx.encode_2718(),
    })
}

/// A fresh recipient for transfer `index` of sender `sender`: an address no one holds.
pub fn fresh_address(sender: usize, index: u64) -> Address {
    let mut seed = [0u8; 16];
    seed[..8].copy_from_slice(&(sender as u64).to_be_bytes());
    seed[8..].copy_from_slice(&index.to_be_bytes());
    Address::from_slice(&keccak256(seed)[12..])
}

/// The probe's runtime code (see the module docs).
fn probe_runtime() -> Vec<u8> {
    let mut code = vec![
        0x36, // CALLDATASIZE
        0x60, 0x0c, // PUSH1 emit
        0x57, // JUMPI
        0x5f, 0x54, // PUSH0 SLOAD
        0x5f, 0x52, // PUSH0 MSTORE
        0x60, 0x20, 0x5f, 0xf3, // RETURN(0, 32)
        0x5b, // emit (0x0c): JUMPDEST
        0x5f, 0x35, 0x5f, 0x52, // MSTORE(0, CALLDATALOAD(0))
        0x7f, // PUSH32 topic
    ];
    code.extend_from_slice(PROBE_TOPIC.as_slice());
    code.extend_from_slice(&[
        0x60, 0x20, 0x5f, 0xa1, // LOG1(0, 32, topic)
        0x00, // STOP
    ]);
    code
}

/// The probe's creation code: stores [`PROBE_SLOT_VALUE`] in slot 0, returns the runtime.
fn probe_init_code() -> Vec<u8> {
    let runtime = probe_runtime();
    let prefix = [
        0x60,
        PROBE_SLOT_VALUE,
        0x5f,
        0x55, // SSTORE(0, value)
        0x60,
        runtime.len() as u8, // PUSH1 len
        0x80,                // DUP1
        0x60,
        13,   // PUSH1 offset of the runtime (this prefix's length)
        0x5f, // PUSH0
        0x39, // CODECOPY(0, offset, len)
        0x5f, // PUSH0
        0xf3, // RETURN(0, len)
    ];
    [prefix.as_slice(), &runtime].concat()
}

/// The address of the contract `deployer` creates at `nonce`.
pub fn created_address(deployer: Address, nonce: u64) -> Address {
    deployer.create(nonce)
}

#[cfg(test)]
mod tests {
    use ethrex_common::dev::dev_accounts;

    use super::*;

    fn dev_sender(index: usize) -> Sender {
        let account = dev_accounts().unwrap()[index];
        Sender {
            secret: account.secret,
            address: account.address,
        }
    }

    #[test]
    fn a_signed_transfer_recovers_to_the_key_address() {
        for index in [0, 1, 191] {
            let sender = dev_sender(index);
            let call = Call::transfer(fresh_address(index, 7));
            let tx = sign(31337, &sender, 7, call).unwrap();
            assert_eq!(tx.sender().unwrap(), sender.address);
            assert_eq!(tx.chain_id(), Some(31337));
        }
    }

    #[test]
    fn the_raw_encoding_decodes_to_the_signed_transaction() {
        let sender = dev_sender(3);
        let tx = sign(1337, &sender, 0, Call::deploy_probe()).unwrap();
        let signed = sign_raw(1337, &sender, 0, Call::deploy_probe()).unwrap();
        let decoded = ethrex_common::types::decode_transaction(&signed.raw).unwrap();
        assert_eq!(decoded, tx);
        assert_eq!(signed.hash, tx.hash());
        assert_eq!(decoded.sender().unwrap(), sender.address);
    }

    #[test]
    fn the_probe_init_code_returns_its_runtime() {
        let init = probe_init_code();
        let runtime = probe_runtime();
        assert_eq!(&init[13..], runtime.as_slice());
        assert_eq!(init[5] as usize, runtime.len());
        // The jump target is a JUMPDEST.
        assert_eq!(runtime[0x0c], 0x5b);
    }

    /// The probe, run by ethrex's VM: its creation succeeds; a call without data returns slot
    /// 0; a call with a word logs it. (That the constructor sets slot 0 is checked end to end:
    /// the benchmark's `eth_call` must return it on both nodes.)
    #[test]
    fn the_probe_returns_its_slot_and_logs_a_word() {
        use std::collections::HashMap;

        use ethrex_common::{BlobParams, Fork};
        use ethrex_vm::{BlockEnv, Evm, InMemoryDb};

        let sender = dev_sender(0);
        let probe = Address::repeat_byte(0x77);
        let mut db = InMemoryDb::default();
        let balance = U256::from(10u64).pow(U256::from(21));
        db.insert_account(sender.address, 0, balance, Bytes::new(), HashMap::new());
        let storage = HashMap::from([(U256::ZERO, U256::from(PROBE_SLOT_VALUE))]);
        db.insert_account(probe, 1, U256::ZERO, probe_runtime().into(), storage);
        let env = BlockEnv {
            fork: Fork::Osaka,
            chain_id: 1337,
            number: 1,
            coinbase: Address::ZERO,
            timestamp: 1,
            gas_limit: 30_000_000,
            base_fee: Some(U256::from(1_000_000_000u64)),
            difficulty: U256::ZERO,
            prev_randao: Some(B256::ZERO),
            excess_blob_gas: Some(0),
            blob_params: Some(BlobParams::PRAGUE),
            blob_base_fee_override: None,
        };
        let run = |call: Call| {
            let tx = sign(1337, &sender, 0, call).unwrap();
            Evm::new(&db, env.clone())
                .transact(&tx, sender.address)
                .unwrap()
        };

        let created = run(Call::deploy_probe());
        assert!(created.success);
        assert_eq!(created.created, Some(created_address(sender.address, 0)));

        let read = run(Call {
            data: Bytes::new(),
            ..Call::emit_log(probe, U256::ZERO)
        });
        assert!(read.success);
        assert_eq!(
            U256::from_be_slice(&read.output),
            U256::from(PROBE_SLOT_VALUE)
        );
        assert!(read.logs.is_empty());

        let logged = run(Call::emit_log(probe, U256::from(7)));
        assert!(logged.success);
        assert_eq!(logged.logs.len(), 1);
        assert_eq!(logged.logs[0].topics(), [PROBE_TOPIC]);
        assert_eq!(
            logged.logs[0].data.data.as_ref(),
            U256::from(7).to_be_bytes::<32>()
        );
    }

    #[test]
    fn fresh_addresses_differ() {
        assert_ne!(fresh_address(0, 1), fresh_address(1, 0));
        assert_ne!(fresh_address(0, 0), fresh_address(0, 1));
    }
}
