//! [`SimTracer`]: what `eth_simulateV1` collects from a call as it runs — its logs (dropped
//! with a failing frame), with `traceTransfers` the ether each frame moves as an ERC-20
//! `Transfer` log of the address `0xeeee…eeee` (CALL and CREATE values, a SELFDESTRUCT's
//! balance; not CALLCODE or DELEGATECALL, as geth), and the gas its top frame was given and used.

use alloy_primitives::{Address, B256, Bytes, Log, LogData, U256, address, b256};
use ethrex_vm::inspector::{CallInfo, CallOutcome, CallType, Inspector};

/// The address of `traceTransfers` logs.
const TRANSFER_LOG_ADDRESS: Address = address!("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
/// `keccak256("Transfer(address,address,uint256)")`.
const TRANSFER_TOPIC: B256 =
    b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");

/// A log with its index in the block.
pub(super) type IndexedLog = (Log, u64);

/// A running frame's logs, and the transfer of a creation waiting for its address (sender,
/// value, log index).
type SimFrame = (Vec<IndexedLog>, Option<(Address, U256, u64)>);

/// Collects what a simulated call reports: its logs (dropped with a failing frame), the ether
/// it moves as transfer logs, and the gas its top frame was given and used.
pub(super) struct SimTracer {
    transfers: bool,
    /// Logs of each running frame; a creation's transfer waits for its address.
    frames: Vec<SimFrame>,
    /// The logs of a successful call, with their index in the block.
    pub(super) logs: Vec<IndexedLog>,
    /// The next log index in the block.
    pub(super) count: u64,
    /// Gas given to and used by the top frame.
    pub(super) root: Option<(u64, u64)>,
    root_gas: u64,
}

impl SimTracer {
    pub(super) fn new(transfers: bool, count: u64) -> Self {
        Self {
            transfers,
            frames: Vec::new(),
            logs: Vec::new(),
            count,
            root: None,
            root_gas: 0,
        }
    }

    fn next_index(&mut self) -> u64 {
        let index = self.count;
        self.count += 1;
        index
    }
}

fn transfer_log(from: Address, to: Address, value: U256) -> Log {
    Log {
        address: TRANSFER_LOG_ADDRESS,
        data: LogData::new_unchecked(
            vec![TRANSFER_TOPIC, from.into_word(), to.into_word()],
            Bytes::from(value.to_be_bytes::<32>().to_vec()),
        ),
    }
}

impl Inspector for SimTracer {
    const LOGS: bool = true;

    fn call_start(&mut self, call: &CallInfo) {
        if self.frames.is_empty() {
            self.root_gas = call.gas;
        }
        let mut logs = Vec::new();
        let mut pending = None;
        // As geth: CALLCODE and DELEGATECALL move nothing; a SELFDESTRUCT moves the balance.
        let moves_value = !matches!(call.call_type, CallType::DelegateCall | CallType::CallCode);
        if self.transfers && moves_value && !call.value.is_zero() {
            let index = self.next_index();
            match call.to {
                Some(to) => logs.push((transfer_log(call.from, to, call.value), index)),
                None => pending = Some((call.from, call.value, index)),
            }
        }
        self.frames.push((logs, pending));
    }

    fn call_end(&mut self, outcome: &CallOutcome) {
        let Some((mut logs, pending)) = self.frames.pop() else {
            return;
        };
        if self.frames.is_empty() {
            self.root = Some((self.root_gas, outcome.gas_used));
        }
        if !outcome.success {
            return;
        }
        if let (Some((from, value, index)), Some(created)) = (pending, outcome.created) {
            logs.insert(0, (transfer_log(from, created, value), index));
        }
        match self.frames.last_mut() {
            Some((parent, _)) => parent.extend(logs),
            None => self.logs = logs,
        }
    }

    fn log(&mut self, log: &Log) {
        let index = self.next_index();
        if let Some((logs, _)) = self.frames.last_mut() {
            logs.push((log.clone(), index));
        }
    }
}
