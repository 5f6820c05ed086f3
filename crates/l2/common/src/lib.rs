//! The data of a rollup batch that the sequencer, the prover and L1 must agree on: the batch
//! blob, its KZG commitment and sidecar proofs, and the L1 messages (withdrawals) of the batch
//! with their Merkle root and proofs.
//!
//! - [`blob`]: the codec. A batch is `rlp([[block…], [fee_config…]])` (one
//!   [`FeeConfig`](ethrex_common::types::FeeConfig) per block), cut into 31-byte chunks, each
//!   stored as the field element `0x00 ‖ chunk`, zero-padded to one 131,072-byte blob (at most
//!   [`blob::MAX_PAYLOAD_BYTES`] = 126,976 payload bytes). [`blob::BatchSizer`] tells the
//!   committer whether one more block still fits without re-encoding the batch.
//! - [`commitment`]: [`BatchBlob`], the blob with its KZG commitment, versioned hash and either
//!   its EIP-4844 blob proof (sidecar version 0) or its 128 EIP-7594 cell proofs (version 1),
//!   computed by `ethrex_crypto::kzg`.
//! - [`messages`]: the `L1Message` logs of the Messenger (`0x…fffe`) in a block's receipts, in
//!   emission order with the hash of the transaction that emitted each, and
//!   [`BatchMessages`]: their withdrawal leaves, Merkle root and proofs, built with
//!   `ethrex_l2_contracts::hashes` (so they are the contracts' by construction).
//!
//! - [`protocol`]: the proof coordinator ⇄ prover wire messages and the prover's input.
//!
//! Where to start reading: [`blob::encode_batch`] and [`blob::decode_batch`], then
//! [`BatchBlob::new`], then [`messages::block_l1_messages`].
//!
//! Guarantees: decoding never panics on any input (a property test feeds it random and mutated
//! blobs); [`blob::decode_batch`] accepts exactly what [`blob::encode_batch`] produces.

pub mod blob;
pub mod commitment;
pub mod messages;
pub mod protocol;

pub use blob::{Blob, decode_batch, encode_batch};
pub use commitment::{BatchBlob, BlobProofs, SidecarVersion};
pub use messages::{BatchMessages, L1Message, SkippedLog};

/// Why batch data could not be encoded, decoded, committed to or read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("batch payload is {size} bytes, {excess} more than the {max} bytes one blob holds")]
    PayloadTooLarge {
        size: usize,
        max: usize,
        excess: usize,
    },
    #[error("{blocks} blocks but {fee_configs} fee configs: a batch has one fee config per block")]
    CountMismatch { blocks: usize, fee_configs: usize },
    #[error("a batch holds at least one block")]
    EmptyBatch,
    #[error("blob is {got} bytes, expected {expected}")]
    BlobLength { got: usize, expected: usize },
    #[error("field element {index} starts with 0x{byte:02x}, expected 0x00")]
    FieldElementHighByte { index: usize, byte: u8 },
    #[error("invalid batch RLP ({what}): {source}")]
    Rlp {
        what: &'static str,
        source: alloy_rlp::Error,
    },
    #[error("batch RLP is not canonical: it re-encodes differently")]
    NonCanonical,
    #[error(
        "non-zero padding: payload byte {offset} is 0x{byte:02x}, after the batch RLP ended at {end}"
    )]
    NonZeroPadding { offset: usize, byte: u8, end: usize },
    #[error("KZG: {0}")]
    Kzg(#[from] ethrex_crypto::CryptoError),
    #[error("{receipts} receipts for {transactions} transactions")]
    ReceiptCount {
        receipts: usize,
        transactions: usize,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
