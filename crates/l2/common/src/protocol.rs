//! The wire protocol between the sequencer's proof coordinator and a prover (ours): one JSON
//! object per line, each way, one exchange per TCP connection.
//!
//! - `{"type":"Request","prover_type":"exec"}` → `{"type":"Response","batch_number":n,
//!   "input":{…}}`, or `"batch_number":null` (and no input) when nothing waits for a proof;
//! - `{"type":"Submit","batch_number":n,"proof":{"prover_type":"exec","public_values":"0x…"}}`
//!   → `{"type":"SubmitAck","batch_number":n}`;
//! - `ProverSetup` / `ProverSetupAck` are reserved (TDX key registration);
//! - `{"type":"Error","message":…}` answers a frame the coordinator could not use.
//!
//! [`ProverInput`] is what proving a batch needs: its blocks (RLP, hex), one execution witness
//! per block (the `debug_executionWitness` format: each over its parent's state) with the chain
//! config, the elasticity multiplier, one fee config per block, and the blob's KZG commitment
//! and proof (the guest recomputes the blob from the blocks and fee configs and checks both).
//!
//! [`read_message`] reads at most [`MAX_MESSAGE_BYTES`] bytes up to a newline; anything that is
//! not one well-formed message is an error, never a panic.

use std::io::{BufRead, Read, Write};

use alloy_primitives::{Address, Bytes};
use ethrex_common::{ChainConfig, types::FeeConfig};
use serde::{Deserialize, Serialize};

/// The largest line [`read_message`] accepts (a batch's input with its witnesses).
pub const MAX_MESSAGE_BYTES: u64 = 512 * 1024 * 1024;

/// Which proving backend a prover runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProverType {
    /// Native re-execution: proves nothing, checks everything.
    Exec,
    Sp1,
    Risc0,
    Tdx,
}

impl std::fmt::Display for ProverType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProverType::Exec => "exec",
            ProverType::Sp1 => "sp1",
            ProverType::Risc0 => "risc0",
            ProverType::Tdx => "tdx",
        })
    }
}

/// One message of the protocol (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Message {
    Request {
        prover_type: ProverType,
    },
    Response {
        batch_number: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        input: Option<Box<ProverInput>>,
    },
    Submit {
        batch_number: u64,
        proof: BatchProof,
    },
    SubmitAck {
        batch_number: u64,
    },
    /// Reserved (TDX).
    ProverSetup {
        prover_type: ProverType,
        payload: Bytes,
    },
    /// Reserved (TDX).
    ProverSetupAck,
    Error {
        message: String,
    },
}

/// A proof of a batch: for `exec`, only the public values it computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchProof {
    pub prover_type: ProverType,
    /// The 256 bytes of public inputs (`ethrex_l2_contracts::hashes::PublicInputs::encode`).
    pub public_values: Bytes,
    /// The backend's proof bytes (empty for `exec`).
    #[serde(default)]
    pub proof: Bytes,
}

/// What proving one batch needs (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProverInput {
    /// The batch's blocks, RLP-encoded, in order.
    pub blocks: Vec<Bytes>,
    pub execution_witness: BatchWitness,
    pub elasticity_multiplier: u64,
    /// One per block.
    pub fee_configs: Vec<FeeConfigJson>,
    /// The blob's KZG commitment (48 bytes).
    pub blob_commitment: Bytes,
    /// The blob's KZG proof (48 bytes, EIP-4844 style).
    pub blob_proof: Bytes,
}

/// The witnesses of a batch's blocks with the chain config they run under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchWitness {
    pub chain_config: ChainConfig,
    /// One per block, in order, each over its parent's state.
    pub blocks: Vec<BlockWitness>,
}

/// One block's execution witness, `debug_executionWitness`'s format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockWitness {
    pub state: Vec<Bytes>,
    pub codes: Vec<Bytes>,
    pub keys: Vec<Bytes>,
    pub headers: Vec<Bytes>,
}

/// A [`FeeConfig`] in JSON: absent vaults are `null`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeConfigJson {
    pub base_fee_vault: Option<Address>,
    pub operator_fee_vault: Option<Address>,
    pub operator_fee_per_gas: u64,
    pub l1_fee_vault: Option<Address>,
    pub l1_fee_per_blob_gas: u64,
}

impl From<FeeConfig> for FeeConfigJson {
    fn from(c: FeeConfig) -> Self {
        FeeConfigJson {
            base_fee_vault: c.base_fee_vault,
            operator_fee_vault: c.operator_fee_vault,
            operator_fee_per_gas: c.operator_fee_per_gas,
            l1_fee_vault: c.l1_fee_vault,
            l1_fee_per_blob_gas: c.l1_fee_per_blob_gas,
        }
    }
}

impl From<FeeConfigJson> for FeeConfig {
    fn from(c: FeeConfigJson) -> Self {
        FeeConfig {
            base_fee_vault: c.base_fee_vault,
            operator_fee_vault: c.operator_fee_vault,
            operator_fee_per_gas: c.operator_fee_per_gas,
            l1_fee_vault: c.l1_fee_vault,
            l1_fee_per_blob_gas: c.l1_fee_per_blob_gas,
        }
    }
}

/// Why a message could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("the peer closed the connection before a message")]
    Closed,
    #[error("message longer than {MAX_MESSAGE_BYTES} bytes")]
    TooLong,
    #[error("malformed message: {0}")]
    Malformed(String),
}

/// Reads one message: a line of at most [`MAX_MESSAGE_BYTES`] bytes holding one JSON message.
pub fn read_message(reader: &mut impl BufRead) -> Result<Message, ProtocolError> {
    let mut line = Vec::new();
    let read = reader
        .by_ref()
        .take(MAX_MESSAGE_BYTES.saturating_add(1))
        .read_until(b'\n', &mut line)?;
    if read == 0 {
        return Err(ProtocolError::Closed);
    }
    if u64::try_from(line.len()).unwrap_or(u64::MAX) > MAX_MESSAGE_BYTES {
        return Err(ProtocolError::TooLong);
    }
    serde_json::from_slice(&line).map_err(|e| ProtocolError::Malformed(e.to_string()))
}

/// Writes one message as a line and flushes.
pub fn write_message(writer: &mut impl Write, message: &Message) -> Result<(), ProtocolError> {
    let mut bytes =
        serde_json::to_vec(message).map_err(|e| ProtocolError::Malformed(e.to_string()))?;
    bytes.push(b'\n');
    writer.write_all(&bytes)?;
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Message, ProtocolError> {
        read_message(&mut text.as_bytes())
    }

    #[test]
    fn the_wire_format_is_the_issues() {
        assert_eq!(
            read("{\"type\":\"Request\",\"prover_type\":\"exec\"}\n").unwrap(),
            Message::Request {
                prover_type: ProverType::Exec
            }
        );
        let none = Message::Response {
            batch_number: None,
            input: None,
        };
        assert_eq!(
            serde_json::to_string(&none).unwrap(),
            "{\"type\":\"Response\",\"batch_number\":null}"
        );
        let submit = read(
            "{\"type\":\"Submit\",\"batch_number\":3,\"proof\":{\"prover_type\":\"exec\",\"public_values\":\"0x01\"}}\n",
        )
        .unwrap();
        assert_eq!(
            submit,
            Message::Submit {
                batch_number: 3,
                proof: BatchProof {
                    prover_type: ProverType::Exec,
                    public_values: Bytes::from_static(&[1]),
                    proof: Bytes::new(),
                }
            }
        );
        assert_eq!(
            serde_json::to_string(&Message::SubmitAck { batch_number: 3 }).unwrap(),
            "{\"type\":\"SubmitAck\",\"batch_number\":3}"
        );
    }

    #[test]
    fn messages_round_trip_through_the_framing() {
        let message = Message::Response {
            batch_number: Some(7),
            input: Some(Box::new(ProverInput {
                blocks: vec![Bytes::from_static(&[0xc0])],
                execution_witness: BatchWitness {
                    chain_config: ChainConfig::default(),
                    blocks: vec![BlockWitness::default()],
                },
                elasticity_multiplier: 2,
                fee_configs: vec![FeeConfigJson::default()],
                blob_commitment: Bytes::from(vec![0; 48]),
                blob_proof: Bytes::from(vec![0; 48]),
            })),
        };
        let mut wire = Vec::new();
        write_message(&mut wire, &message).unwrap();
        assert_eq!(wire.last(), Some(&b'\n'));
        assert_eq!(read_message(&mut wire.as_slice()).unwrap(), message);
    }

    #[test]
    fn junk_is_an_error() {
        for junk in [
            "",
            "\n",
            "not json\n",
            "{\"type\":\"Nope\"}\n",
            "{\"type\":\"Request\"}\n",
            "{\"type\":\"Request\",\"prover_type\":\"quantum\"}\n",
            "[1,2,3]\n",
        ] {
            assert!(read(junk).is_err(), "{junk:?}");
        }
    }
}
