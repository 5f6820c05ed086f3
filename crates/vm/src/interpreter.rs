//! The frame loop. Frames live on an explicit stack (not the Rust call stack), so a call depth
//! of 1024 needs no deep recursion: an opcode that calls or creates returns an [`Exit`] asking
//! for a child frame; when the child ends, its result is delivered to the parent, which resumes.
//!
//! Invariants: every frame pushed has taken a state checkpoint; a frame that reverts or halts
//! restores it; a halted frame returns no gas, a reverted one returns what it has left.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256, keccak256};
use ethrex_common::{Fork, constants::MAX_CODE_SIZE};

use crate::{
    Halt, VmError,
    code::Code,
    frame::{
        CallKind, CallRequest, CreateRequest, Exit, Frame, FrameKind, Machine, SelfDestructed,
    },
    gas,
    inspector::{CallInfo, CallOutcome, CallType, Inspector, StepEnd, StepInfo},
    stack::Stack,
};

/// Maximum call depth.
pub const MAX_DEPTH: usize = 1024;

/// How a frame (or an immediately answered call) ended.
#[derive(Debug, Clone)]
pub struct FrameResult {
    pub success: bool,
    pub gas_left: u64,
    pub output: Bytes,
    pub halt: Option<Halt>,
    pub created: Option<Address>,
}

impl FrameResult {
    pub(crate) fn failed(gas_left: u64) -> Self {
        FrameResult {
            success: false,
            gas_left,
            output: Bytes::new(),
            halt: None,
            created: None,
        }
    }

    fn halted(halt: Halt) -> Self {
        FrameResult {
            success: false,
            gas_left: 0,
            output: Bytes::new(),
            halt: Some(halt),
            created: None,
        }
    }
}

/// A call or creation that either needs a frame or was answered at once.
pub enum Started {
    Frame(Frame),
    Done(FrameResult),
}

/// Runs a frame until it ends or asks for a child.
fn run<I: Inspector>(f: &mut Frame, m: &mut Machine, insp: &mut I) -> Exit {
    let table = m.table;
    loop {
        let op = f.code.op(f.pc);
        if I::STEPS {
            let memory = m.memory.slice(f.mem, 0, m.memory.size(f.mem));
            insp.step(&StepInfo {
                pc: f.pc,
                op,
                gas: f.gas,
                depth: f.depth,
                address: f.address,
                stack: f.stack.as_slice(),
                memory,
                return_data: &f.return_data,
                refund: u64::try_from(m.state.refund).unwrap_or(0),
            });
        }
        let logs_before = if I::LOGS { m.state.logs.len() } else { 0 };
        #[expect(
            clippy::arithmetic_side_effects,
            reason = "`pc` is at most the code's length plus 32 (a PUSH32 in the last byte; \
                      jumps land below the length), far below `usize::MAX`"
        )]
        {
            f.pc += 1;
        }
        let result = crate::opcodes::execute(op, table, f, m);
        if I::STEPS {
            insp.step_end(&StepEnd {
                gas_left: f.gas,
                stack: f.stack.as_slice(),
                halt: match &result {
                    Err(Exit::Halt(halt)) => Some(Halt::from(*halt)),
                    _ => None,
                },
            });
        }
        if I::LOGS
            && m.state.logs.len() > logs_before
            && let Some(log) = m.state.logs.last()
        {
            insp.log(log);
        }
        if let Err(exit) = result {
            return exit;
        }
    }
}

fn call_info(req: &CallRequest, depth: usize) -> CallInfo {
    let call_type = match req.kind {
        CallKind::Call => CallType::Call,
        CallKind::CallCode => CallType::CallCode,
        CallKind::DelegateCall => CallType::DelegateCall,
        CallKind::StaticCall => CallType::StaticCall,
    };
    let to = if matches!(req.kind, CallKind::CallCode | CallKind::DelegateCall) {
        req.code_address
    } else {
        req.address
    };
    CallInfo {
        call_type,
        from: req.caller,
        to: Some(to),
        value: req.value,
        gas: req.gas,
        input: req.input.clone(),
        depth,
    }
}

/// Reports a SELFDESTRUCT of `address` at `depth` as geth's tracers see it: a frame of its own
/// moving the balance, with no gas, that succeeds at once.
fn report_selfdestruct<I: Inspector>(
    insp: &mut I,
    address: Address,
    moved: &SelfDestructed,
    depth: usize,
) {
    insp.call_start(&CallInfo {
        call_type: CallType::SelfDestruct,
        from: address,
        to: Some(moved.beneficiary),
        value: moved.balance,
        gas: 0,
        input: Bytes::new(),
        depth,
    });
    insp.call_end(&CallOutcome {
        success: true,
        gas_used: 0,
        output: Bytes::new(),
        error: None,
        halt: None,
        created: None,
    });
}

fn outcome(gas: u64, result: &FrameResult) -> CallOutcome {
    let error = match (result.success, result.halt) {
        (true, _) => None,
        (false, Some(halt)) => Some(halt.to_string()),
        (false, None) => Some("execution reverted".to_string()),
    };
    CallOutcome {
        success: result.success,
        gas_used: gas.saturating_sub(result.gas_left),
        output: result.output.clone(),
        error,
        halt: result.halt,
        created: result.created,
    }
}

/// Runs `root` (whose start the caller reported to `insp`, with `root_gas`) and every frame it
/// spawns to completion.
pub fn execute<I: Inspector>(
    m: &mut Machine,
    root: Started,
    root_gas: u64,
    insp: &mut I,
) -> Result<FrameResult, VmError> {
    let mut frames = match root {
        Started::Done(result) => {
            insp.call_end(&outcome(root_gas, &result));
            return Ok(result);
        }
        Started::Frame(frame) => vec![frame],
    };
    // Gas given to each running frame, for the outcomes reported to the inspector.
    let mut gas_given = vec![root_gas];
    loop {
        let Some(frame) = frames.last_mut() else {
            return Err(VmError::Internal("empty frame stack".into()));
        };
        let exit = run(frame, m, insp);
        let (depth, address) = (frame.depth.saturating_add(1), frame.address);
        let exit = match exit {
            Exit::SelfDestruct(moved) => {
                report_selfdestruct(insp, address, &moved, depth);
                Exit::Stop
            }
            exit => exit,
        };
        match exit {
            Exit::Call(request) => {
                let kind = FrameKind::Call {
                    ret_offset: request.ret_offset,
                    ret_len: request.ret_len,
                };
                let gas = request.gas;
                insp.call_start(&call_info(&request, depth));
                match start_call(m, *request, depth)? {
                    Started::Frame(child) => {
                        frames.push(child);
                        gas_given.push(gas);
                    }
                    Started::Done(result) => {
                        insp.call_end(&outcome(gas, &result));
                        deliver(m, frame, kind, result);
                    }
                }
            }
            Exit::Create(request) => {
                let gas = request.gas;
                insp.call_start(&CallInfo {
                    call_type: if request.salt.is_some() {
                        CallType::Create2
                    } else {
                        CallType::Create
                    },
                    from: address,
                    to: None,
                    value: request.value,
                    gas,
                    input: request.init_code.clone(),
                    depth,
                });
                match start_create(m, address, *request, depth)? {
                    Started::Frame(child) => {
                        frames.push(child);
                        gas_given.push(gas);
                    }
                    Started::Done(result) => {
                        insp.call_end(&outcome(gas, &result));
                        deliver(
                            m,
                            frame,
                            FrameKind::Create {
                                address: Address::ZERO,
                            },
                            result,
                        );
                    }
                }
            }
            Exit::Fatal(err) => return Err(*err),
            end => {
                let Some(finished) = frames.pop() else {
                    return Err(VmError::Internal("empty frame stack".into()));
                };
                let kind = finished.kind;
                let result = finish(m, finished, end)?;
                insp.call_end(&outcome(gas_given.pop().unwrap_or(0), &result));
                match frames.last_mut() {
                    Some(parent) => deliver(m, parent, kind, result),
                    None => return Ok(result),
                }
            }
        }
    }
}

/// Starts a message call at `depth` (the transaction's own call is depth 0).
pub fn start_call(m: &mut Machine, req: CallRequest, depth: usize) -> Result<Started, VmError> {
    if depth > MAX_DEPTH {
        return Ok(Started::Done(FrameResult::failed(req.gas)));
    }
    if req.checks_balance && m.state.info(req.caller)?.balance < req.value {
        return Ok(Started::Done(FrameResult::failed(req.gas)));
    }
    let checkpoint = m.state.checkpoint();
    let precompile = !req.delegated && m.is_precompile(&req.code_address);
    match req.kind {
        CallKind::Call => {
            if !m.state.exists(req.address)?
                && m.fork >= Fork::SpuriousDragon
                && req.value.is_zero()
                && !precompile
            {
                // EIP-161: a zero-value call to a non-existent account creates nothing.
                return Ok(Started::Done(FrameResult {
                    success: true,
                    ..FrameResult::failed(req.gas)
                }));
            }
            m.state.transfer(req.caller, req.address, req.value)?;
        }
        CallKind::StaticCall => m.state.touch(req.address)?,
        CallKind::CallCode | CallKind::DelegateCall => {}
    }
    if precompile {
        return Ok(Started::Done(
            match m.run_precompile(&req.code_address, &req.input, req.gas) {
                Some(Ok(out)) => FrameResult {
                    success: true,
                    gas_left: req.gas.saturating_sub(out.gas_used),
                    output: out.output,
                    halt: None,
                    created: None,
                },
                _ => {
                    m.state.revert(checkpoint);
                    FrameResult::halted(Halt::PrecompileFailure)
                }
            },
        ));
    }
    let code = m.code_of(req.code_address)?;
    if code.len() == 0 {
        return Ok(Started::Done(FrameResult {
            success: true,
            ..FrameResult::failed(req.gas)
        }));
    }
    Ok(Started::Frame(Frame {
        code,
        pc: 0,
        stack: Stack::pooled(),
        mem: m.memory.enter(),
        gas: req.gas,
        address: req.address,
        caller: req.caller,
        value: req.value,
        input: req.input,
        is_static: req.is_static,
        depth,
        return_data: Bytes::new(),
        kind: FrameKind::Call {
            ret_offset: req.ret_offset,
            ret_len: req.ret_len,
        },
        checkpoint,
    }))
}

/// The address of a contract created by `sender` with `nonce` (CREATE).
pub fn create_address(sender: Address, nonce: u64) -> Address {
    let mut buf = Vec::with_capacity(32);
    alloy_rlp::Header {
        list: true,
        payload_length: alloy_rlp::Encodable::length(&sender)
            .saturating_add(alloy_rlp::Encodable::length(&nonce)),
    }
    .encode(&mut buf);
    alloy_rlp::Encodable::encode(&sender, &mut buf);
    alloy_rlp::Encodable::encode(&nonce, &mut buf);
    Address::from_slice(&keccak256(&buf)[12..])
}

/// The address of a contract created with CREATE2 (EIP-1014).
pub fn create2_address(sender: Address, salt: U256, init_code: &[u8]) -> Address {
    let mut buf = Vec::with_capacity(85);
    buf.push(0xff);
    buf.extend_from_slice(sender.as_slice());
    buf.extend_from_slice(&salt.to_be_bytes::<32>());
    buf.extend_from_slice(keccak256(init_code).as_slice());
    Address::from_slice(&keccak256(&buf)[12..])
}

/// CREATE/CREATE2 from a running frame: checks, bumps the creator's nonce, then starts the
/// init code frame.
fn start_create(
    m: &mut Machine,
    creator: Address,
    req: CreateRequest,
    depth: usize,
) -> Result<Started, VmError> {
    if depth > MAX_DEPTH {
        return Ok(Started::Done(FrameResult::failed(req.gas)));
    }
    let info = m.state.info(creator)?;
    if info.balance < req.value {
        return Ok(Started::Done(FrameResult::failed(req.gas)));
    }
    let Some(next_nonce) = info.nonce.checked_add(1) else {
        return Ok(Started::Done(FrameResult::failed(req.gas)));
    };
    m.state.set_nonce(creator, next_nonce)?;
    let address = match req.salt {
        Some(salt) => create2_address(creator, salt, &req.init_code),
        None => create_address(creator, info.nonce),
    };
    create_frame(
        m,
        creator,
        address,
        req.value,
        req.init_code,
        req.gas,
        depth,
    )
}

/// Starts the init code frame of a contract at `address` (the creator's nonce already bumped).
pub fn create_frame(
    m: &mut Machine,
    creator: Address,
    address: Address,
    value: U256,
    init_code: Bytes,
    gas: u64,
    depth: usize,
) -> Result<Started, VmError> {
    m.state.warm_account(address);
    let target = m.state.info(address)?;
    if target.nonce != 0
        || target.code_hash != ethrex_common::constants::EMPTY_CODE_HASH
        || m.state.has_storage(address)?
    {
        return Ok(Started::Done(FrameResult::halted(Halt::CreateCollision)));
    }
    let checkpoint = m.state.checkpoint();
    let nonce = if m.fork >= Fork::SpuriousDragon { 1 } else { 0 };
    m.state.create_account(address, nonce)?;
    m.state.transfer(creator, address, value)?;
    Ok(Started::Frame(Frame {
        code: Arc::new(Code::analyse(&init_code)),
        pc: 0,
        stack: Stack::pooled(),
        mem: m.memory.enter(),
        gas,
        address,
        caller: creator,
        value,
        input: Bytes::new(),
        is_static: false,
        depth,
        return_data: Bytes::new(),
        kind: FrameKind::Create { address },
        checkpoint,
    }))
}

/// Turns a frame's exit into its result: deploys code for creations, reverts on failure.
fn finish(m: &mut Machine, mut frame: Frame, exit: Exit) -> Result<FrameResult, VmError> {
    m.memory.leave(frame.mem);
    let result = match exit {
        Exit::Stop | Exit::SelfDestruct(_) => Ok(Bytes::new()),
        Exit::Return => Ok(std::mem::take(&mut m.output)),
        Exit::Revert => Err((std::mem::take(&mut m.output), None)),
        Exit::Halt(halt) => Err((Bytes::new(), Some(Halt::from(halt)))),
        Exit::Fatal(err) => return Err(*err),
        Exit::Call(_) | Exit::Create(_) => {
            return Err(VmError::Internal("frame ended with a request".into()));
        }
    };
    let result = match (result, frame.kind) {
        (Ok(code), FrameKind::Create { address }) => deploy(m, &mut frame, address, code),
        (other, _) => other,
    };
    let (kind, gas, checkpoint) = (frame.kind, frame.gas, frame.checkpoint);
    frame.stack.recycle();
    match result {
        Ok(output) => {
            let created = match kind {
                FrameKind::Create { address } => Some(address),
                FrameKind::Call { .. } => None,
            };
            let output = if created.is_some() {
                Bytes::new()
            } else {
                output
            };
            Ok(FrameResult {
                success: true,
                gas_left: gas,
                output,
                halt: None,
                created,
            })
        }
        Err((output, halt)) => {
            m.state.revert(checkpoint);
            let gas_left = if halt.is_some() { 0 } else { gas };
            Ok(FrameResult {
                success: false,
                gas_left,
                output,
                halt,
                created: None,
            })
        }
    }
}

/// Checks and stores a creation's returned code, charging the deposit.
fn deploy(
    m: &mut Machine,
    frame: &mut Frame,
    address: Address,
    code: Bytes,
) -> Result<Bytes, (Bytes, Option<Halt>)> {
    if m.fork >= Fork::SpuriousDragon && code.len() > MAX_CODE_SIZE {
        return Err((Bytes::new(), Some(Halt::CodeSizeExceeded)));
    }
    if m.fork >= Fork::London && code.first() == Some(&0xef) {
        return Err((Bytes::new(), Some(Halt::InvalidCodePrefix)));
    }
    let deposit = gas::CODE_DEPOSIT.saturating_mul(u64::try_from(code.len()).unwrap_or(u64::MAX));
    let Some(gas_left) = frame.gas.checked_sub(deposit) else {
        if m.fork >= Fork::Homestead {
            return Err((Bytes::new(), Some(Halt::OutOfGas)));
        }
        // Frontier: the contract is created without code.
        return Ok(Bytes::new());
    };
    frame.gas = gas_left;
    m.state
        .set_code(address, code)
        .map_err(|_| (Bytes::new(), Some(Halt::OutOfGas)))?;
    Ok(Bytes::new())
}

/// Gives a finished child's result to its parent, which then resumes.
fn deliver(m: &mut Machine, parent: &mut Frame, kind: FrameKind, result: FrameResult) {
    parent.gas = parent.gas.saturating_add(result.gas_left);
    let flag = match kind {
        FrameKind::Call {
            ret_offset,
            ret_len,
        } => {
            let len = ret_len.min(result.output.len());
            if len > 0 {
                m.memory
                    .write(parent.mem, ret_offset, &result.output[..len]);
            }
            U256::from(u8::from(result.success))
        }
        FrameKind::Create { .. } => result
            .created
            .map_or(U256::ZERO, |a| U256::from_be_slice(a.as_slice())),
    };
    parent.return_data = match (kind, result.success) {
        (FrameKind::Create { .. }, true) => Bytes::new(),
        _ => result.output,
    };
    // The parent popped at least three arguments for this request: one push always fits.
    let _ = parent.stack.push(flag);
}
