//! [`Evm`]: executes the transactions of one block over one state, accumulating their changes.

use std::sync::Arc;

use alloy_primitives::map::HashMap;

use alloy_primitives::{Address, B256, Bytes};
use ethrex_common::{Fork, types::Transaction};

use crate::{
    BlockEnv, Database, StateChanges, TxError, TxResult, VmError,
    code::Code,
    delegation::delegate_of,
    frame::{CallKind, CallRequest, Machine, TxContext},
    hook::Hook,
    inspector::{CallInfo, CallType, Inspector, NoopInspector},
    interpreter::{self, create_address},
    l1_hook::L1Hook,
    state::State,
};

/// The caller of system calls.
pub const SYSTEM_ADDRESS: Address =
    alloy_primitives::address!("fffffffffffffffffffffffffffffffffffffffe");
/// Gas of a system call.
pub const SYSTEM_CALL_GAS: u64 = 30_000_000;

/// A block's worth of execution over a [`Database`]: transactions see each other's changes.
pub struct Evm<'a, H: Hook = L1Hook> {
    state: State<'a>,
    env: BlockEnv,
    hook: H,
    code_cache: HashMap<B256, Arc<Code>>,
    gas_used: u64,
}

impl<'a> Evm<'a, L1Hook> {
    /// An EVM with Ethereum's transaction rules over `db` for the block described by `env`.
    pub fn new(db: &'a dyn Database, env: BlockEnv) -> Self {
        Evm::with_hook(db, env, L1Hook)
    }
}

impl<'a, H: Hook> Evm<'a, H> {
    /// An EVM with a custom transaction hook.
    pub fn with_hook(db: &'a dyn Database, env: BlockEnv, hook: H) -> Self {
        Evm {
            state: State::new(db),
            env,
            hook,
            code_cache: HashMap::default(),
            gas_used: 0,
        }
    }

    /// Gas used by the transactions executed so far.
    pub fn gas_used(&self) -> u64 {
        self.gas_used
    }

    /// Validates and executes `tx`, sent by `sender` (recovered by the caller). An invalid
    /// transaction changes nothing.
    pub fn transact(&mut self, tx: &Transaction, sender: Address) -> Result<TxResult, TxError> {
        self.transact_with(tx, sender, &mut NoopInspector)
    }

    /// As [`Evm::transact`], reporting execution to `inspector` (a tracer).
    pub fn transact_with<I: Inspector>(
        &mut self,
        tx: &Transaction,
        sender: Address,
        inspector: &mut I,
    ) -> Result<TxResult, TxError> {
        let fork = self.env.fork;
        let blob_hashes = tx
            .blob_versioned_hashes()
            .map(<[B256]>::to_vec)
            .unwrap_or_default();
        let context = TxContext {
            origin: sender,
            gas_price: Default::default(),
            blob_hashes,
        };
        let mut m = Machine::new(&mut self.state, &self.env, &mut self.code_cache, context);
        let prepared = self.hook.prepare(&mut m, tx, sender, self.gas_used)?;
        m.tx.gas_price = prepared.effective_gas_price;
        inspector.call_start(&CallInfo {
            call_type: if tx.is_create() {
                CallType::Create
            } else {
                CallType::Call
            },
            from: sender,
            to: tx.to().to().copied(),
            value: tx.value(),
            gas: prepared.gas_left,
            input: tx.data().clone(),
            depth: 0,
        });
        let start = match tx.to().to() {
            Some(to) => {
                let mut code_address = *to;
                if fork >= Fork::Prague
                    && let Some(delegate) = delegate_of(&m.state.code(*to)?)
                {
                    m.state.prewarm_account(delegate);
                    code_address = delegate;
                }
                let request = CallRequest {
                    kind: CallKind::Call,
                    gas: prepared.gas_left,
                    address: *to,
                    code_address,
                    caller: sender,
                    value: tx.value(),
                    transfers_value: true,
                    checks_balance: false,
                    delegated: code_address != *to,
                    input: tx.data().clone(),
                    is_static: false,
                    ret_offset: 0,
                    ret_len: 0,
                };
                interpreter::start_call(&mut m, request, 0)?
            }
            None => {
                let address = create_address(sender, tx.nonce());
                let init_code: Bytes = tx.data().clone();
                interpreter::create_frame(
                    &mut m,
                    sender,
                    address,
                    tx.value(),
                    init_code,
                    prepared.gas_left,
                    0,
                )?
            }
        };
        let result = interpreter::execute(&mut m, start, prepared.gas_left, inspector)?;
        let gas_used = self.hook.settle(&mut m, tx, sender, &prepared, &result)?;
        let logs = if result.success {
            std::mem::take(&mut m.state.logs)
        } else {
            Vec::new()
        };
        m.state.finish_transaction(fork >= Fork::SpuriousDragon);
        self.gas_used += gas_used;
        Ok(TxResult {
            success: result.success,
            gas_used,
            output: result.output,
            logs,
            halt: result.halt,
            created: result.created,
        })
    }

    /// A system call (EIP-4788, EIP-2935, EIP-7002, EIP-7251): a call from the system address
    /// with 30M gas, outside any transaction (no validation, no fees, no nonce). `None` if the
    /// target has no code.
    pub fn system_call(&mut self, to: Address, input: Bytes) -> Result<Option<TxResult>, VmError> {
        if self.state.code(to)?.is_empty() {
            return Ok(None);
        }
        let fork = self.env.fork;
        let context = TxContext {
            origin: SYSTEM_ADDRESS,
            gas_price: Default::default(),
            blob_hashes: Vec::new(),
        };
        let mut m = Machine::new(&mut self.state, &self.env, &mut self.code_cache, context);
        let request = CallRequest {
            kind: CallKind::Call,
            gas: SYSTEM_CALL_GAS,
            address: to,
            code_address: to,
            caller: SYSTEM_ADDRESS,
            value: Default::default(),
            transfers_value: false,
            checks_balance: false,
            delegated: false,
            input,
            is_static: false,
            ret_offset: 0,
            ret_len: 0,
        };
        let start = interpreter::start_call(&mut m, request, 0)?;
        let result = interpreter::execute(&mut m, start, SYSTEM_CALL_GAS, &mut NoopInspector)?;
        let logs = if result.success {
            std::mem::take(&mut m.state.logs)
        } else {
            Vec::new()
        };
        m.state.finish_transaction(fork >= Fork::SpuriousDragon);
        Ok(Some(TxResult {
            success: result.success,
            gas_used: SYSTEM_CALL_GAS - result.gas_left,
            output: result.output,
            logs,
            halt: result.halt,
            created: None,
        }))
    }

    /// Credits `amount` to `address` outside any transaction (block rewards, withdrawals); an
    /// account left empty is removed under EIP-161.
    pub fn credit(
        &mut self,
        address: Address,
        amount: alloy_primitives::U256,
    ) -> Result<(), VmError> {
        self.state.add_balance(address, amount)?;
        self.state
            .finish_transaction(self.env.fork >= Fork::SpuriousDragon);
        Ok(())
    }

    /// Applies the DAO fork's irregular state change: moves every balance of `accounts` to
    /// `beneficiary`, outside any transaction. As execution-specs' `move_ether`, every account
    /// is written even when its balance is zero (before EIP-161 an absent one then exists).
    pub fn drain(&mut self, accounts: &[Address], beneficiary: Address) -> Result<(), VmError> {
        for address in accounts {
            let balance = self.state.info(*address)?.balance;
            self.state.set_balance(*address, Default::default())?;
            self.state.add_balance(beneficiary, balance)?;
        }
        self.state
            .finish_transaction(self.env.fork >= Fork::SpuriousDragon);
        Ok(())
    }

    /// A copy of the changes so far (for the intermediate state roots of pre-Byzantium receipts).
    pub fn changes_so_far(&self) -> StateChanges {
        self.state.changes()
    }

    /// The changes of every transaction executed so far.
    pub fn into_changes(self) -> Result<StateChanges, VmError> {
        Ok(self.state.changes())
    }
}
