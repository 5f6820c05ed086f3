//! `eth_call`, and what every method that runs a call shares: [`Call`] (a call object resolved
//! at a block: sender, nonce, fees, environment) run through the VM in call mode
//! ([`ethrex_vm::CallHook`]; on a rollup [`ethrex_vm::L2Hook::for_calls`] with the current fee
//! parameters, see [`super::rollup_fees`]), and geth's error messages for invalid calls, halts
//! and reverts.

use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_eth::BlockId;
use ethrex_common::types::{FeeConfig, Header, Transaction, TxFees};
use ethrex_common::validation::TxValidityError;
use ethrex_storage::StateReader;
use ethrex_vm::{
    BlockEnv, CallHook, Database, Evm, Halt, Hook, InvalidTransaction, L2Hook, StateChanges,
    TxError, TxResult,
    inspector::{Inspector, NoopInspector},
    opcode,
    precompiles::PrecompileTable,
};
use serde_json::Value;

use super::{
    call_args::{BlockOverrides, CallArgs, call_env},
    overlay::{StateOverride, precompile_table, with_overrides},
    params::{Params, existing_block},
    rollup_fees::{ROLLUP_CALL_SIGNATURE, current_fee_config},
};
use crate::{RpcContext, RpcError};

/// A call object resolved at a block.
#[derive(Debug, Clone)]
pub struct Call {
    pub args: CallArgs,
    pub from: Address,
    /// The sender's nonce in the state the call runs on (geth ignores a call's own nonce).
    pub nonce: u64,
    pub fees: TxFees,
    pub env: BlockEnv,
    /// The precompiles when state overrides moved or replaced some (`None`: the fork's).
    pub precompiles: Option<PrecompileTable>,
    /// On a rollup, the fee parameters the call runs under ([`L2Hook::for_calls`]); `None` on
    /// an Ethereum chain ([`CallHook`]).
    pub rollup_fees: Option<FeeConfig>,
}

impl Call {
    /// `args` at `header` (with `overrides`), the sender's nonce read from `db`.
    pub fn new(
        ctx: &RpcContext,
        args: CallArgs,
        header: &Header,
        overrides: Option<&BlockOverrides>,
        db: &dyn Database,
    ) -> Result<Self, RpcError> {
        let from = args.sender();
        let base_fee = match overrides.and_then(|o| o.base_fee_per_gas) {
            Some(fee) => Some(fee),
            None => header.base_fee_per_gas.map(U256::from),
        };
        let fees = args.fees(base_fee)?;
        let env = call_env(ctx.chain.config(), header, overrides, fees)?;
        let nonce = db.account(&from).map_err(vm_error)?.map_or(0, |a| a.nonce);
        Ok(Self {
            args,
            from,
            nonce,
            fees,
            env,
            precompiles: None,
            rollup_fees: current_fee_config(ctx)?,
        })
    }

    /// The call with the precompiles `overrides` leave at its fork (see [`precompile_table`]).
    pub fn with_state_overrides(
        mut self,
        overrides: Option<&StateOverride>,
    ) -> Result<Self, RpcError> {
        if let Some(overrides) = overrides {
            self.precompiles = precompile_table(overrides, self.env.fork)?;
        }
        Ok(self)
    }

    /// The call as a transaction with `gas`.
    pub fn transaction(&self, gas: u64) -> Result<Transaction, RpcError> {
        let tx = self
            .args
            .to_transaction(self.fees, self.nonce, gas, self.env.chain_id)?;
        if self.rollup_fees.is_none() {
            return Ok(tx);
        }
        tx.with_signature(ROLLUP_CALL_SIGNATURE)
            .map_err(|e| RpcError::invalid_params(e.to_string()))
    }

    /// Runs the call with `gas` over `db`, reporting to `inspector`: its result and changes,
    /// or why it is invalid.
    pub fn run<I: Inspector>(
        &self,
        db: &dyn Database,
        gas: u64,
        inspector: &mut I,
    ) -> Result<Result<CallOutput, InvalidTransaction>, RpcError> {
        match self.rollup_fees {
            None => self.run_with(db, gas, inspector, CallHook::default()),
            Some(fees) => self.run_with(db, gas, inspector, L2Hook::for_calls(fees)),
        }
    }

    fn run_with<I: Inspector, H: Hook>(
        &self,
        db: &dyn Database,
        gas: u64,
        inspector: &mut I,
        hook: H,
    ) -> Result<Result<CallOutput, InvalidTransaction>, RpcError> {
        let tx = self.transaction(gas)?;
        let mut evm =
            Evm::with_hook(db, self.env.clone(), hook).with_precompiles(self.precompiles.as_ref());
        match evm.transact_with(&tx, self.from, inspector) {
            Ok(mut result) => {
                let changes = evm.into_changes().map_err(vm_error)?;
                if let Some(code) = result.created.and_then(|a| deployed_code(&changes, a)) {
                    result.output = code;
                }
                Ok(Ok(CallOutput { result, changes }))
            }
            Err(TxError::Invalid(invalid)) => Ok(Err(invalid)),
            Err(TxError::Vm(e)) => Err(vm_error(e)),
        }
    }
}

/// What running a call produced.
#[derive(Debug, Clone)]
pub struct CallOutput {
    pub result: TxResult,
    pub changes: StateChanges,
}

/// The code `changes` deployed at `address` (geth reports a creation's deployed code as its
/// output; the VM does not).
pub fn deployed_code(changes: &StateChanges, address: Address) -> Option<Bytes> {
    changes
        .accounts
        .iter()
        .find(|a| a.address == address)
        .and_then(|a| a.code.clone())
}

/// A VM or state failure as an internal error (worded as the VM words it).
pub fn vm_error(e: impl Into<ethrex_vm::VmError>) -> RpcError {
    RpcError::internal(e.into().to_string())
}

/// The state after block `header`, or geth's error when it is no longer held.
pub fn state_of(ctx: &RpcContext, header: &Header) -> Result<StateReader, RpcError> {
    ctx.store.state_at(header.state_root).map_err(|e| match e {
        ethrex_storage::StoreError::StateNotAvailable { .. } => RpcError::server(format!(
            "missing trie node: the state of block #{} is no longer held (only recent states are)",
            header.number
        )),
        e => e.into(),
    })
}

/// The params `eth_call` and `eth_estimateGas` share: `(callObject, block = latest,
/// stateOverrides?, blockOverrides?)`, with the block resolved.
pub(crate) type CallParams = (
    CallArgs,
    Header,
    Option<StateOverride>,
    Option<BlockOverrides>,
);

pub(crate) fn call_params(ctx: &RpcContext, p: &Params) -> Result<CallParams, RpcError> {
    p.at_most(4)?;
    let args: CallArgs = p.required(0)?;
    let id: BlockId = p.optional(1)?.unwrap_or_default();
    let state_overrides: Option<StateOverride> = p.optional(2)?;
    let block_overrides: Option<BlockOverrides> = p.optional(3)?;
    Ok((
        args,
        existing_block(ctx, id)?,
        state_overrides,
        block_overrides,
    ))
}

/// `eth_call(callObject, block = latest, stateOverrides?, blockOverrides?)`.
pub fn eth_call(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    let (args, header, state_overrides, block_overrides) = call_params(ctx, p)?;
    let state = state_of(ctx, &header)?;
    let overlay = with_overrides(&state, state_overrides.as_ref())?;
    let call = Call::new(ctx, args, &header, block_overrides.as_ref(), &overlay)?
        .with_state_overrides(state_overrides.as_ref())?;
    let gas = call.args.gas_or_cap();
    match call.run(&overlay, gas, &mut NoopInspector)? {
        Err(invalid) => Err(invalid_call(&invalid, call.from, gas)),
        Ok(out) => output_or_error(&out.result).map(|output| Value::String(output.to_string())),
    }
}

/// The error of a call that could not run, as geth words it for `eth_call`.
pub fn invalid_call(invalid: &InvalidTransaction, from: Address, gas: u64) -> RpcError {
    RpcError::server(format!(
        "err: {} (supplied gas {gas})",
        invalid_message(invalid, from)
    ))
}

/// The output of a successful call; the revert (code 3 with its data) or halt error otherwise.
pub fn output_or_error(result: &TxResult) -> Result<Bytes, RpcError> {
    match (result.success, result.halt) {
        (true, _) => Ok(result.output.clone()),
        (false, Some(halt)) => Err(RpcError::server(halt_message(halt))),
        (false, None) => Err(revert_error(&result.output)),
    }
}

/// The error of a revert: code 3, "execution reverted" with the decoded reason, the data (geth
/// answers a revert without data with its generic code).
pub fn revert_error(output: &Bytes) -> RpcError {
    if output.is_empty() {
        return RpcError::server("execution reverted");
    }
    let message = match revert_reason(output) {
        Some(reason) => format!("execution reverted: {reason}"),
        None => "execution reverted".to_string(),
    };
    RpcError::reverted(message, output.clone())
}

/// The error text of a failed call: "execution reverted" or the halt's.
pub fn failure_message(result: &TxResult) -> Option<String> {
    match (result.success, result.halt) {
        (true, _) => None,
        (false, Some(halt)) => Some(halt_message(halt)),
        (false, None) => Some("execution reverted".to_string()),
    }
}

/// The reason of a Solidity `Error(string)` or `Panic(uint256)` revert.
pub fn revert_reason(output: &[u8]) -> Option<String> {
    const ERROR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
    const PANIC: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];
    let (selector, body) = output.split_at_checked(4)?;
    let word = |at: usize| -> Option<usize> {
        let bytes = body.get(at..at.checked_add(32)?)?;
        usize::try_from(U256::from_be_slice(bytes)).ok()
    };
    if selector == ERROR {
        let offset = word(0)?;
        let len = word(offset)?;
        let start = offset.checked_add(32)?;
        let text = body.get(start..start.checked_add(len)?)?;
        return String::from_utf8(text.to_vec()).ok();
    }
    if selector == PANIC {
        let code = U256::from_be_slice(body.get(..32)?);
        let reason = match u64::try_from(code) {
            Ok(0x00) => "generic panic",
            Ok(0x01) => "assert(false)",
            Ok(0x11) => "arithmetic underflow or overflow",
            Ok(0x12) => "division or modulo by zero",
            Ok(0x21) => "enum overflow",
            Ok(0x22) => "invalid encoded storage byte array accessed",
            Ok(0x31) => "out-of-bounds array access; popping on an empty array",
            Ok(0x32) => "out-of-bounds access of an array or bytesN",
            Ok(0x41) => "out of memory",
            Ok(0x51) => "uninitialized function",
            _ => return Some(format!("unknown panic code: {code:#x}")),
        };
        return Some(reason.to_string());
    }
    None
}

/// The name geth gives an opcode ("opcode 0x.. not defined" for an undefined one).
pub fn op_name(op: u8) -> String {
    match opcode::name(op) {
        "INVALID" if op != opcode::INVALID => format!("opcode {op:#x} not defined"),
        name => name.to_string(),
    }
}

/// Geth's text of an exceptional halt.
pub fn halt_message(halt: Halt) -> String {
    match halt {
        Halt::OutOfGas => "out of gas".into(),
        Halt::InvalidOpcode(op) => format!("invalid opcode: {}", op_name(op)),
        Halt::StackUnderflow => "stack underflow".into(),
        Halt::StackOverflow => "stack limit reached 1024".into(),
        Halt::InvalidJump => "invalid jump destination".into(),
        Halt::StaticStateChange => "write protection".into(),
        Halt::ReturnDataOutOfBounds => "return data out of bounds".into(),
        Halt::CreateCollision => "contract address collision".into(),
        Halt::InvalidCodePrefix => "invalid code: must not begin with 0xef".into(),
        Halt::CodeSizeExceeded => "max code size exceeded".into(),
        Halt::InitcodeSizeExceeded => "max initcode size exceeded".into(),
        Halt::PrecompileFailure => "precompiled contract failed".into(),
        Halt::NonceOverflow => "nonce uint64 overflow".into(),
    }
}

/// Geth's text of why a message cannot run, for a message from `from`.
pub fn invalid_message(invalid: &InvalidTransaction, from: Address) -> String {
    match invalid {
        InvalidTransaction::Stateless(e) => match e {
            TxValidityError::IntrinsicGasTooLow {
                gas_limit,
                intrinsic,
            } => format!("intrinsic gas too low: have {gas_limit}, want {intrinsic}"),
            TxValidityError::PriorityAboveMaxFee { priority, max_fee } => format!(
                "max priority fee per gas higher than max fee per gas: address {from}, maxPriorityFeePerGas: {priority}, maxFeePerGas: {max_fee}"
            ),
            TxValidityError::GasLimitAboveCap { gas_limit, cap } => {
                format!("transaction gas limit too high (cap: {cap}, tx: {gas_limit})")
            }
            TxValidityError::NonceTooBig(nonce) => {
                format!("nonce has max value: address {from}, nonce: {nonce}")
            }
            TxValidityError::InitcodeSizeExceeded { size, max } => {
                format!("max initcode size exceeded: code size {size}, limit {max}")
            }
            other => other.to_string(),
        },
        InvalidTransaction::NonceMismatch { tx, state } if tx < state => {
            format!("nonce too low: address {from}, tx: {tx} state: {state}")
        }
        InvalidTransaction::NonceMismatch { tx, state } => {
            format!("nonce too high: address {from}, tx: {tx} state: {state}")
        }
        InvalidTransaction::SenderNotEoa(sender) => {
            format!("sender not an eoa: address {sender}")
        }
        InvalidTransaction::InsufficientFunds { balance, cost } => format!(
            "insufficient funds for gas * price + value: address {from} have {balance} want {cost}"
        ),
        InvalidTransaction::FeeBelowBaseFee { max_fee, base_fee } => format!(
            "max fee per gas less than block base fee: address {from}, maxFeePerGas: {max_fee}, baseFee: {base_fee}"
        ),
        InvalidTransaction::BlobFeeBelowBaseFee {
            max_fee,
            blob_base_fee,
        } => format!(
            "max fee per blob gas less than block blob gas fee: address {from} blobGasFeeCap: {max_fee}, blobBaseFee: {blob_base_fee}"
        ),
        InvalidTransaction::GasAboveBlockLimit { .. } => "gas limit reached".into(),
        InvalidTransaction::NonceOverflow => {
            format!("nonce has max value: address {from}, nonce: {}", u64::MAX)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::hex;
    use serde_json::json;

    use super::*;
    use crate::methods::test_chain::test_chain;

    #[test]
    fn eth_call_runs_a_moved_precompile_at_its_new_address() {
        let chain = test_chain!(u64::MAX);
        let (identity, moved_to) = (
            "0x0000000000000000000000000000000000000004",
            "0x0000000000000000000000000000000000123456",
        );
        let overrides = json!({ identity: { "movePrecompileToAddress": moved_to } });
        let call = |to: &str| {
            let args = json!({ "to": to, "input": "0x1234" });
            chain.ok("eth_call", json!([args, "latest", overrides]))
        };
        assert_eq!(call(moved_to), "0x1234");
        assert_eq!(call(identity), "0x", "the old address is a plain account");
    }

    #[test]
    fn revert_reasons_decode_error_strings_and_panics() {
        let error = hex!(
            "08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000000a75736572206572726f72"
        );
        assert_eq!(revert_reason(&error).as_deref(), Some("user error"));
        let panic =
            hex!("4e487b710000000000000000000000000000000000000000000000000000000000000001");
        assert_eq!(revert_reason(&panic).as_deref(), Some("assert(false)"));
        assert_eq!(revert_reason(&hex!("08c379a0")), None, "truncated");
        assert_eq!(revert_reason(b"plain"), None);
    }
}
