//! A call frame and the per-transaction machine the opcodes act on.

use std::sync::Arc;

use alloy_primitives::map::HashMap;

use alloy_primitives::{Address, B256, Bytes, U256};
use ethrex_common::Fork;

use crate::{
    BlockEnv, Halt, VmError,
    code::Code,
    memory::{Memory, access_end},
    opcodes::OpTable,
    precompiles::{self, PrecompileResult, PrecompileTable},
    stack::Stack,
    state::{Checkpoint, State},
};

/// How a frame's result goes back to its parent.
#[derive(Debug, Clone, Copy)]
pub enum FrameKind {
    /// A message call: copy the output to `[ret_offset, ret_offset + ret_len)`.
    Call { ret_offset: usize, ret_len: usize },
    /// A contract creation at `address`.
    Create { address: Address },
}

/// One executing frame.
pub struct Frame {
    pub code: Arc<Code>,
    pub pc: usize,
    pub stack: Stack,
    /// Base of this frame's memory in the shared buffer.
    pub mem: usize,
    /// Gas left.
    pub gas: u64,
    /// The account whose storage and balance this frame acts on.
    pub address: Address,
    pub caller: Address,
    pub value: U256,
    pub input: Bytes,
    pub is_static: bool,
    pub depth: usize,
    /// Output of the last finished child frame (RETURNDATASIZE/COPY).
    pub return_data: Bytes,
    pub kind: FrameKind,
    /// State to revert to if this frame fails.
    pub checkpoint: Checkpoint,
}

impl Frame {
    /// Charges `amount` gas.
    #[inline]
    pub fn charge(&mut self, amount: u64) -> Result<(), Halt> {
        self.gas = self.gas.checked_sub(amount).ok_or(Halt::OutOfGas)?;
        Ok(())
    }
}

/// How a frame ended.
///
/// Kept to a (tag, word) pair so that an opcode's `Result<(), Exit>` is returned in two
/// registers: the output of RETURN/REVERT waits in [`Machine::output`], rare payloads are boxed,
/// and a halt is packed into a word ([`PackedHalt`]; its 2-byte form would make `Exit` an
/// aggregate, which the ABI returns through memory — measured 5–10% on interpreter loops).
pub enum Exit {
    Stop,
    /// RETURN; the data is in [`Machine::output`].
    Return,
    /// REVERT; the data is in [`Machine::output`].
    Revert,
    Halt(PackedHalt),
    /// The frame asks for a sub-call; it resumes when the child ends.
    Call(Box<CallRequest>),
    /// The frame asks for a contract creation; it resumes when the child ends.
    Create(Box<CreateRequest>),
    /// SELFDESTRUCT ended the frame as STOP does, after moving a balance (reported to the
    /// inspector).
    SelfDestruct(Box<SelfDestructed>),
    /// The VM itself failed (database error): execution stops.
    Fatal(Box<VmError>),
}

impl From<Halt> for Exit {
    fn from(halt: Halt) -> Self {
        Exit::Halt(PackedHalt::from(halt))
    }
}

/// A [`Halt`] in one machine word: byte 0 says which halt, byte 1 carries the opcode of
/// [`Halt::InvalidOpcode`], the rest is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedHalt(u64);

impl From<Halt> for PackedHalt {
    fn from(halt: Halt) -> Self {
        let (kind, op) = match halt {
            Halt::OutOfGas => (0, 0),
            Halt::InvalidOpcode(op) => (1, op),
            Halt::StackUnderflow => (2, 0),
            Halt::StackOverflow => (3, 0),
            Halt::InvalidJump => (4, 0),
            Halt::StaticStateChange => (5, 0),
            Halt::ReturnDataOutOfBounds => (6, 0),
            Halt::CreateCollision => (7, 0),
            Halt::InvalidCodePrefix => (8, 0),
            Halt::CodeSizeExceeded => (9, 0),
            Halt::InitcodeSizeExceeded => (10, 0),
            Halt::PrecompileFailure => (11, 0),
            Halt::NonceOverflow => (12, 0),
        };
        PackedHalt(u64::from_le_bytes([kind, op, 0, 0, 0, 0, 0, 0]))
    }
}

impl From<PackedHalt> for Halt {
    fn from(packed: PackedHalt) -> Self {
        let [kind, op, ..] = packed.0.to_le_bytes();
        match kind {
            1 => Halt::InvalidOpcode(op),
            2 => Halt::StackUnderflow,
            3 => Halt::StackOverflow,
            4 => Halt::InvalidJump,
            5 => Halt::StaticStateChange,
            6 => Halt::ReturnDataOutOfBounds,
            7 => Halt::CreateCollision,
            8 => Halt::InvalidCodePrefix,
            9 => Halt::CodeSizeExceeded,
            10 => Halt::InitcodeSizeExceeded,
            11 => Halt::PrecompileFailure,
            12 => Halt::NonceOverflow,
            // 0, and (never made: only `From<Halt>` builds a PackedHalt) anything else.
            _ => Halt::OutOfGas,
        }
    }
}

impl From<VmError> for Exit {
    fn from(err: VmError) -> Self {
        Exit::Fatal(Box::new(err))
    }
}

/// Which CALL opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Call,
    CallCode,
    DelegateCall,
    StaticCall,
}

/// A sub-call asked for by CALL, CALLCODE, DELEGATECALL or STATICCALL (gas already charged).
pub struct CallRequest {
    pub kind: CallKind,
    /// Gas given to the callee (stipend included).
    pub gas: u64,
    /// The account whose context the callee runs in.
    pub address: Address,
    /// The account whose code runs.
    pub code_address: Address,
    pub caller: Address,
    /// Value transferred (CALL, CALLCODE) or passed along (DELEGATECALL).
    pub value: U256,
    /// Whether `value` actually moves between accounts (CALL).
    pub transfers_value: bool,
    /// Whether the caller must hold `value` (CALL and CALLCODE).
    pub checks_balance: bool,
    /// Whether `code_address` came from an EIP-7702 delegation (a delegated precompile address
    /// runs as empty code, not as the precompile).
    pub delegated: bool,
    pub input: Bytes,
    pub is_static: bool,
    pub ret_offset: usize,
    pub ret_len: usize,
}

/// A creation asked for by CREATE or CREATE2 (gas already charged).
pub struct CreateRequest {
    pub gas: u64,
    pub value: U256,
    pub init_code: Bytes,
    pub salt: Option<U256>,
}

/// What a SELFDESTRUCT moved: the whole balance of the frame's account to `beneficiary` (burnt
/// when it is the account itself and the account is deleted).
#[derive(Debug, Clone, Copy)]
pub struct SelfDestructed {
    pub beneficiary: Address,
    /// The account's balance before the opcode.
    pub balance: U256,
}

/// Per-transaction context the opcodes read.
#[derive(Debug, Clone)]
pub struct TxContext {
    pub origin: Address,
    pub gas_price: U256,
    pub blob_hashes: Vec<B256>,
}

/// Everything opcodes act on besides their frame.
pub struct Machine<'s, 'a> {
    pub state: &'s mut State<'a>,
    pub env: &'s BlockEnv,
    pub tx: TxContext,
    pub memory: Memory,
    pub fork: Fork,
    pub table: &'static OpTable,
    pub code_cache: &'s mut HashMap<B256, Arc<Code>>,
    /// Output of the frame that just executed RETURN or REVERT.
    pub output: Bytes,
    /// The precompiles of this execution when they differ from the fork's (`None`: the fork's).
    pub precompiles: Option<&'s PrecompileTable>,
}

impl<'s, 'a> Machine<'s, 'a> {
    /// A machine for one transaction (or system call) of the block described by `env`.
    pub fn new(
        state: &'s mut State<'a>,
        env: &'s BlockEnv,
        code_cache: &'s mut HashMap<B256, Arc<Code>>,
        tx: TxContext,
    ) -> Self {
        Machine {
            state,
            env,
            tx,
            memory: Memory::default(),
            fork: env.fork,
            table: crate::opcodes::table(env.fork),
            code_cache,
            output: Bytes::new(),
            precompiles: None,
        }
    }

    /// Whether a precompile runs at `address` in this execution.
    #[inline]
    pub fn is_precompile(&self, address: &Address) -> bool {
        match self.precompiles {
            None => precompiles::is_precompile(address, self.fork),
            Some(table) => table.contains(address),
        }
    }

    /// Runs the precompile at `address` (`None` if none runs there in this execution).
    pub fn run_precompile(
        &self,
        address: &Address,
        input: &[u8],
        gas_limit: u64,
    ) -> Option<PrecompileResult> {
        match self.precompiles {
            None => precompiles::execute_precompile(address, input, gas_limit, self.fork),
            Some(table) => table.execute(address, input, gas_limit),
        }
    }

    /// Charges the expansion of `frame`'s memory to cover `[offset, offset + size)` and grows
    /// it; returns the offset as `usize` (0 for an empty range).
    #[inline]
    pub fn expand(&mut self, frame: &mut Frame, offset: U256, size: U256) -> Result<usize, Halt> {
        if size.is_zero() {
            return Ok(0);
        }
        let (Ok(start), Ok(len)) = (usize::try_from(offset), usize::try_from(size)) else {
            return Err(Halt::OutOfGas);
        };
        let end = start.checked_add(len).ok_or(Halt::OutOfGas)?;
        if end <= self.memory.size(frame.mem) {
            return Ok(start);
        }
        self.grow(frame, offset, size)
    }

    /// The slow path of [`Machine::expand`]: the memory must grow.
    #[inline(never)]
    fn grow(&mut self, frame: &mut Frame, offset: U256, size: U256) -> Result<usize, Halt> {
        let end = access_end(offset, size).ok_or(Halt::OutOfGas)?;
        let cost = self.memory.expansion_cost(frame.mem, end);
        frame.charge(cost)?;
        self.memory.resize(frame.mem, end);
        // `access_end` accepted the range, so `end = offset + size` and both fit.
        Ok(end.saturating_sub(usize::try_from(size).unwrap_or(0)))
    }

    /// Marks an account accessed (EIP-2929); returns whether it was cold. The fork's
    /// precompile addresses are always warm, by rule, without entering the warm set (also when
    /// a [`PrecompileTable`] moved their precompile away, as in geth).
    #[inline]
    pub fn access_account(&mut self, address: Address) -> bool {
        !precompiles::is_precompile(&address, self.fork) && self.state.warm_account(address)
    }

    /// The analysed code of `address` (cached by code hash).
    pub fn code_of(&mut self, address: Address) -> Result<Arc<Code>, VmError> {
        let hash = self.state.info(address)?.code_hash;
        if let Some(code) = self.code_cache.get(&hash) {
            return Ok(code.clone());
        }
        // The bytes are read through the state even when their analysis is cached, so that
        // every code an execution runs is read from its database (witnesses record them).
        let code = crate::code::shared(hash, &self.state.code(address)?);
        self.code_cache.insert(hash, code.clone());
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_halt_survives_packing() {
        let mut halts = vec![
            Halt::OutOfGas,
            Halt::StackUnderflow,
            Halt::StackOverflow,
            Halt::InvalidJump,
            Halt::StaticStateChange,
            Halt::ReturnDataOutOfBounds,
            Halt::CreateCollision,
            Halt::InvalidCodePrefix,
            Halt::CodeSizeExceeded,
            Halt::InitcodeSizeExceeded,
            Halt::PrecompileFailure,
            Halt::NonceOverflow,
        ];
        halts.extend((0..=u8::MAX).map(Halt::InvalidOpcode));
        for halt in halts {
            assert_eq!(Halt::from(PackedHalt::from(halt)), halt);
        }
    }

    #[test]
    fn an_opcode_result_is_two_words() {
        assert_eq!(std::mem::size_of::<Result<(), Exit>>(), 16);
    }
}
