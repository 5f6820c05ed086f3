//! [`Evm`]: executes the transactions of one block over one state, accumulating their changes.

use std::sync::Arc;

use alloy_primitives::map::HashMap;

use alloy_primitives::{Address, B256, Bytes};
use ethrex_common::{
    Fork, eip7702::delegate_of, system_contracts::SYSTEM_ADDRESS, types::Transaction,
};

use crate::{
    BlockEnv, Database, StateChanges, TxError, TxResult, VmError,
    code::Code,
    frame::{CallKind, CallRequest, Machine, TxContext},
    hook::Hook,
    inspector::{CallInfo, CallType, Inspector, NoopInspector},
    interpreter::{self, FrameResult, create_address},
    l1_hook::L1Hook,
    precompiles::PrecompileTable,
    state::State,
};

/// Gas of a system call.
pub const SYSTEM_CALL_GAS: u64 = 30_000_000;

/// A block's worth of execution over a [`Database`]: transactions see each other's changes.
pub struct Evm<'a, H: Hook = L1Hook> {
    state: State<'a>,
    env: BlockEnv,
    hook: H,
    code_cache: HashMap<B256, Arc<Code>>,
    gas_used: u64,
    /// The precompiles when they differ from the fork's.
    precompiles: Option<&'a PrecompileTable>,
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
            precompiles: None,
        }
    }

    /// Runs the precompiles of `table` instead of the fork's (built for the same fork as the
    /// environment): moved precompiles run at their new address, removed ones run as the
    /// account's code. `None` keeps the fork's.
    pub fn with_precompiles(mut self, table: Option<&'a PrecompileTable>) -> Self {
        self.precompiles = table;
        self
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
        m.precompiles = self.precompiles;
        let prepared = self.hook.prepare(&mut m, tx, sender, self.gas_used)?;
        m.tx.gas_price = prepared.effective_gas_price;
        let result = if prepared.skip {
            FrameResult::failed(0)
        } else {
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
            interpreter::execute(&mut m, start, prepared.gas_left, inspector)?
        };
        if !result.success {
            m.state.forget_ripemd_touch();
        }
        let gas_used = self.hook.settle(&mut m, tx, sender, &prepared, &result)?;
        let logs = if result.success {
            std::mem::take(&mut m.state.logs)
        } else {
            Vec::new()
        };
        m.state.finish_transaction(fork >= Fork::SpuriousDragon);
        self.gas_used = self.gas_used.saturating_add(gas_used);
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
        m.precompiles = self.precompiles;
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
        if !result.success {
            m.state.forget_ripemd_touch();
        }
        let logs = if result.success {
            std::mem::take(&mut m.state.logs)
        } else {
            Vec::new()
        };
        m.state.finish_transaction(fork >= Fork::SpuriousDragon);
        Ok(Some(TxResult {
            success: result.success,
            gas_used: SYSTEM_CALL_GAS.saturating_sub(result.gas_left),
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap as StdHashMap;

    use alloy_primitives::{TxKind, U256, hex};
    use ethrex_common::types::LegacyTx;

    use super::*;
    use crate::{
        InMemoryDb, opcode,
        opcodes::tests::test_env,
        tracers::{CallTracer, CallTracerConfig},
    };

    const SENDER: Address = Address::repeat_byte(0xaa);
    const CONTRACT: Address = Address::repeat_byte(0xcc);
    const BENEFICIARY: Address = Address::repeat_byte(0xbe);
    const MOVED_TO: Address = Address::repeat_byte(0x12);
    /// The identity precompile (0x04).
    const IDENTITY: Address =
        alloy_primitives::address!("0000000000000000000000000000000000000004");
    /// Returns the 32-byte word 42.
    const RETURNS_42: [u8; 8] = hex!("602a5f5260205ff3");

    fn db_with(accounts: &[(Address, u64, &[u8])]) -> InMemoryDb {
        let mut db = InMemoryDb::default();
        let rich = U256::from(10u64).pow(U256::from(20));
        db.insert_account(SENDER, 0, rich, Bytes::new(), StdHashMap::new());
        for (address, balance, code) in accounts {
            let code = Bytes::copy_from_slice(code);
            db.insert_account(*address, 1, U256::from(*balance), code, StdHashMap::new());
        }
        db
    }

    fn tx_to(to: Address, input: &[u8]) -> Transaction {
        Transaction::Legacy(LegacyTx {
            gas_limit: 100_000,
            to: TxKind::Call(to),
            data: Bytes::copy_from_slice(input),
            v: 27,
            r: U256::from(1),
            s: U256::from(1),
            ..Default::default()
        })
    }

    /// Runs a transaction to `to` with `input` over `db`, with `table` if given.
    fn call(
        db: &InMemoryDb,
        table: Option<&PrecompileTable>,
        to: Address,
        input: &[u8],
    ) -> TxResult {
        Evm::new(db, test_env(Fork::Prague))
            .with_precompiles(table)
            .transact(&tx_to(to, input), SENDER)
            .unwrap()
    }

    fn word(n: u64) -> Bytes {
        Bytes::from(U256::from(n).to_be_bytes::<32>())
    }

    #[test]
    fn a_moved_precompile_runs_at_its_new_address() {
        let db = db_with(&[]);
        let mut table = PrecompileTable::new(Fork::Prague);
        assert!(table.relocate(&IDENTITY, MOVED_TO));
        let moved = call(&db, Some(&table), MOVED_TO, b"echo");
        assert!(moved.success);
        assert_eq!(moved.output, Bytes::from_static(b"echo"));
        let old = call(&db, Some(&table), IDENTITY, b"echo");
        assert!(old.success);
        assert_eq!(
            old.output,
            Bytes::new(),
            "the old address is a plain account"
        );
    }

    #[test]
    fn the_old_address_of_a_moved_precompile_runs_its_code() {
        let db = db_with(&[(IDENTITY, 0, &RETURNS_42)]);
        let mut table = PrecompileTable::new(Fork::Prague);
        assert!(table.relocate(&IDENTITY, MOVED_TO));
        assert_eq!(call(&db, Some(&table), IDENTITY, b"echo").output, word(42));
        let moved = call(&db, Some(&table), MOVED_TO, b"echo");
        assert_eq!(moved.output, Bytes::from_static(b"echo"));
    }

    #[test]
    fn code_replaces_a_removed_precompile() {
        let db = db_with(&[(IDENTITY, 0, &RETURNS_42)]);
        let mut table = PrecompileTable::new(Fork::Prague);
        assert!(table.remove(&IDENTITY));
        assert_eq!(call(&db, Some(&table), IDENTITY, b"echo").output, word(42));
    }

    #[test]
    fn without_a_table_the_forks_precompile_runs_even_over_code() {
        let db = db_with(&[(IDENTITY, 0, &RETURNS_42)]);
        let result = call(&db, None, IDENTITY, b"echo");
        assert_eq!(result.output, Bytes::from_static(b"echo"));
    }

    #[test]
    fn a_moved_precompile_is_reached_by_calls_from_code() {
        // STATICCALL(gas, MOVED_TO, in 0..4, out 0..4) with "echo" in memory; RETURN(0, 4).
        let mut code = hex!("636563686f60e01b5f52 60045f60045f73").to_vec();
        code.extend_from_slice(MOVED_TO.as_slice());
        code.extend_from_slice(&hex!("5afa5060045ff3"));
        let db = db_with(&[(CONTRACT, 0, &code)]);
        let mut table = PrecompileTable::new(Fork::Prague);
        assert!(table.relocate(&IDENTITY, MOVED_TO));
        let result = call(&db, Some(&table), CONTRACT, &[]);
        assert!(result.success, "{:?}", result.halt);
        assert_eq!(result.output, Bytes::from_static(b"echo"));
    }

    #[test]
    fn blobbasefee_reads_the_overridden_blob_base_fee() {
        // BLOBBASEFEE; PUSH0; MSTORE; RETURN(0, 32).
        let code = hex!("4a5f5260205ff3");
        let db = db_with(&[(CONTRACT, 0, &code)]);
        let mut env = test_env(Fork::Cancun);
        env.blob_params = Some(ethrex_common::BlobParams::CANCUN);
        env.excess_blob_gas = Some(0);
        let fee = |env: BlockEnv| {
            let result = Evm::new(&db, env)
                .transact(&tx_to(CONTRACT, &[]), SENDER)
                .unwrap();
            U256::from_be_slice(&result.output)
        };
        assert_eq!(fee(env.clone()), U256::from(1));
        env.blob_base_fee_override = Some(U256::from(7));
        assert_eq!(fee(env), U256::from(7));
    }

    #[test]
    fn selfdestruct_reports_its_transfer_as_a_frame() {
        // SELFDESTRUCT(BENEFICIARY).
        let mut code = vec![opcode::PUSH20];
        code.extend_from_slice(BENEFICIARY.as_slice());
        code.push(opcode::SELFDESTRUCT);
        let db = db_with(&[(CONTRACT, 1_000, &code)]);
        let mut tracer = CallTracer::new(CallTracerConfig::default());
        let result = Evm::new(&db, test_env(Fork::Cancun))
            .transact_with(&tx_to(CONTRACT, &[]), SENDER, &mut tracer)
            .unwrap();
        assert!(result.success);
        let root = tracer.root().unwrap();
        let [destruct] = root.calls.as_slice() else {
            panic!("expected one SELFDESTRUCT frame, got {:?}", root.calls);
        };
        assert_eq!(destruct.call_type, "SELFDESTRUCT");
        assert_eq!(destruct.from, CONTRACT);
        assert_eq!(destruct.to, Some(BENEFICIARY));
        assert_eq!(destruct.value, U256::from(1_000));
        assert!(destruct.success);
    }
}
