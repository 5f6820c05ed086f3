//! What travels between the CL mock and the execution clients: the method versions of a fork
//! ([`Versions`]), payload attributes ([`Attributes`]), a built payload with what `newPayload`
//! needs besides it ([`Built`]), a payload status ([`PayloadStatus`]) and a block's identity
//! ([`Head`]).
//!
//! A [`Built`] keeps the payload as the JSON the builder returned, so it reaches the other nodes
//! byte for byte; [`Built::with_state_root`] changes a field and recomputes the block hash (the
//! header rebuilt by `alloy-rpc-types-engine`), for payloads that must fail execution, not the
//! hash check.

use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::{Address, B256, Bytes};
use alloy_rpc_types_engine::{
    CancunPayloadFields, ExecutionPayload, ExecutionPayloadSidecar, PraguePayloadFields,
};
use ethrex_common::Fork;
use serde_json::{Value, json};

use crate::{Error, Result, blobs};

/// The Engine API method versions for one fork's blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub forkchoice: u8,
    pub get_payload: u8,
    pub new_payload: u8,
}

impl Versions {
    const fn new(forkchoice: u8, get_payload: u8, new_payload: u8) -> Self {
        Versions {
            forkchoice,
            get_payload,
            new_payload,
        }
    }

    /// Newest first: what a mock that does not know the fork schedule tries, in order.
    pub const PROBE: [Versions; 5] = [
        Versions::new(3, 5, 4),
        Versions::new(3, 4, 4),
        Versions::new(3, 3, 3),
        Versions::new(2, 2, 2),
        Versions::new(1, 1, 1),
    ];

    /// The versions of a block of `fork` (Paris onwards; earlier forks have no Engine API).
    pub fn of(fork: Fork) -> Self {
        match fork {
            f if f >= Fork::Osaka => Versions::new(3, 5, 4),
            Fork::Prague => Versions::new(3, 4, 4),
            Fork::Cancun => Versions::new(3, 3, 3),
            Fork::Shanghai => Versions::new(2, 2, 2),
            _ => Versions::new(1, 1, 1),
        }
    }

    /// The `newPayload` version that imports what `getPayloadV{get}` returned.
    pub fn for_get_payload(get: u8) -> Self {
        Versions::PROBE
            .into_iter()
            .find(|v| v.get_payload == get)
            .unwrap_or(Versions::new(1, 1, 1))
    }

    /// Whether the blobs bundle carries cell proofs (`BlobsBundleV2`, getPayloadV5).
    pub fn cell_proofs(&self) -> bool {
        self.get_payload >= 5
    }
}

/// A block's identity, enough to build on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub hash: B256,
    pub number: u64,
    pub timestamp: u64,
}

impl Head {
    /// The head of an `eth_getBlockBy*` result (`hash`, `number`, `timestamp`).
    pub fn from_block(block: &Value) -> Option<Head> {
        Some(Head {
            hash: serde_json::from_value(block["hash"].clone()).ok()?,
            number: quantity(&block["number"])?,
            timestamp: quantity(&block["timestamp"])?,
        })
    }

    /// The head of an execution payload (`blockHash`, `blockNumber`, `timestamp`).
    pub fn from_payload(payload: &Value) -> Option<Head> {
        Some(Head {
            hash: serde_json::from_value(payload["blockHash"].clone()).ok()?,
            number: quantity(&payload["blockNumber"])?,
            timestamp: quantity(&payload["timestamp"])?,
        })
    }
}

/// A `0x`-hex quantity.
pub fn quantity(value: &Value) -> Option<u64> {
    u64::from_str_radix(value.as_str()?.strip_prefix("0x")?, 16).ok()
}

/// The payload attributes of a `forkchoiceUpdated` that starts a build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attributes {
    pub timestamp: u64,
    pub prev_randao: B256,
    pub fee_recipient: Address,
    /// Shanghai onwards.
    pub withdrawals: Vec<Withdrawal>,
    /// Cancun onwards.
    pub beacon_root: B256,
}

impl Attributes {
    /// Attributes of a child of `parent`, `seconds` later, every field derived from `parent`
    /// and `salt` (two salts give two different blocks on the same parent).
    pub fn after(parent: &Head, seconds: u64, salt: u8) -> Self {
        let mut randao = parent.hash.0;
        randao[0] ^= salt;
        let mut beacon_root = parent.hash.0;
        beacon_root[31] ^= salt ^ 0xbe;
        Attributes {
            timestamp: parent.timestamp.saturating_add(seconds.max(1)),
            prev_randao: B256::from(randao),
            fee_recipient: Address::repeat_byte(salt),
            withdrawals: Vec::new(),
            beacon_root: B256::from(beacon_root),
        }
    }

    /// The attributes `forkchoiceUpdatedV{version}` takes (V1: no withdrawals, V2: no beacon
    /// root).
    pub fn to_json(&self, version: u8) -> Value {
        let mut json = json!({
            "timestamp": format!("{:#x}", self.timestamp),
            "prevRandao": self.prev_randao,
            "suggestedFeeRecipient": self.fee_recipient,
        });
        if version >= 2 {
            json["withdrawals"] = json!(self.withdrawals);
        }
        if version >= 3 {
            json["parentBeaconBlockRoot"] = json!(self.beacon_root);
        }
        json
    }
}

/// What `newPayload` answered (or the `payloadStatus` of a `forkchoiceUpdated`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadStatus {
    /// `VALID`, `INVALID`, `SYNCING`, `ACCEPTED` (or V1's `INVALID_BLOCK_HASH`).
    pub status: String,
    pub latest_valid_hash: Option<B256>,
    pub validation_error: Option<String>,
}

impl PayloadStatus {
    pub fn from_json(json: &Value) -> Option<Self> {
        Some(PayloadStatus {
            status: json["status"].as_str()?.to_string(),
            latest_valid_hash: serde_json::from_value(json["latestValidHash"].clone()).ok(),
            validation_error: json["validationError"].as_str().map(str::to_string),
        })
    }

    pub fn is_valid(&self) -> bool {
        self.status == "VALID"
    }
}

impl std::fmt::Display for PayloadStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.status)?;
        if let Some(hash) = self.latest_valid_hash {
            write!(f, " (latestValidHash {hash})")?;
        }
        match &self.validation_error {
            Some(error) => write!(f, ": {error}"),
            None => Ok(()),
        }
    }
}

/// A payload one node built, with what importing it elsewhere needs.
#[derive(Debug, Clone)]
pub struct Built {
    pub versions: Versions,
    /// The `executionPayload` as the builder returned it.
    pub payload: Value,
    /// The blobs bundle (getPayloadV3 onwards).
    pub blobs_bundle: Option<Value>,
    /// The execution requests (getPayloadV4 onwards), as `0x`-hex strings.
    pub execution_requests: Option<Value>,
    /// The beacon root of the attributes it was built with (Cancun onwards).
    pub beacon_root: B256,
    pub head: Head,
}

impl Built {
    /// A `getPayloadV{versions.get_payload}` result: V1 is the payload itself, later versions
    /// an envelope around it.
    pub fn from_response(versions: Versions, response: Value, beacon_root: B256) -> Option<Self> {
        let (payload, blobs_bundle, execution_requests) = if versions.get_payload == 1 {
            (response, None, None)
        } else {
            let field = |name: &str| Some(response[name].clone()).filter(|v| !v.is_null());
            (
                field("executionPayload")?,
                field("blobsBundle"),
                field("executionRequests"),
            )
        };
        let head = Head::from_payload(&payload)?;
        Some(Built {
            versions,
            payload,
            blobs_bundle,
            execution_requests,
            beacon_root,
            head,
        })
    }

    /// The versioned hashes a consensus client would hand `newPayload`: those of the bundle's
    /// commitments (none without a bundle).
    pub fn versioned_hashes(&self) -> Result<Vec<B256>> {
        match &self.blobs_bundle {
            Some(bundle) => blobs::versioned_hashes(bundle),
            None => Ok(Vec::new()),
        }
    }

    /// The versioned hashes the payload's blob transactions carry, in block order.
    pub fn transaction_blob_hashes(&self) -> Result<Vec<B256>> {
        let mut hashes = Vec::new();
        for raw in self.transactions() {
            let bytes = alloy_primitives::hex::decode(&raw)
                .map_err(|e| Error::Payload(format!("transaction {raw}: {e}")))?;
            let tx = ethrex_common::types::decode_transaction(&bytes)
                .map_err(|e| Error::Payload(format!("transaction {raw}: {e}")))?;
            hashes.extend_from_slice(tx.blob_versioned_hashes().unwrap_or_default());
        }
        Ok(hashes)
    }

    /// Checks the blobs bundle (if any) against the payload's blob transactions and verifies
    /// its proofs with c-kzg ([`blobs::check_bundle`]); returns how many blobs it holds.
    pub fn check_blobs(&self) -> Result<usize> {
        let expected = self.transaction_blob_hashes()?;
        match &self.blobs_bundle {
            Some(bundle) => blobs::check_bundle(bundle, self.versions.cell_proofs(), &expected),
            None if expected.is_empty() => Ok(0),
            None => Err(Error::Blobs(format!(
                "no bundle for {} blob hashes",
                expected.len()
            ))),
        }
    }

    /// The `engine_newPayloadV{n}` parameters importing this payload.
    pub fn new_payload_params(&self) -> Result<Value> {
        let mut params = vec![self.payload.clone()];
        if self.versions.new_payload >= 3 {
            params.push(json!(self.versioned_hashes()?));
            params.push(json!(self.beacon_root));
        }
        if self.versions.new_payload >= 4 {
            params.push(self.execution_requests.clone().unwrap_or(json!([])));
        }
        Ok(Value::Array(params))
    }

    /// The raw transactions of the payload, `0x`-hex.
    pub fn transactions(&self) -> Vec<String> {
        self.payload["transactions"]
            .as_array()
            .map(|txs| {
                txs.iter()
                    .filter_map(|tx| tx.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The payload's `stateRoot`.
    pub fn state_root(&self) -> Option<B256> {
        serde_json::from_value(self.payload["stateRoot"].clone()).ok()
    }

    /// The block hash of the payload's fields, recomputed (the header rebuilt).
    pub fn computed_hash(&self) -> Result<B256> {
        let payload: ExecutionPayload = serde_json::from_value(self.payload.clone())
            .map_err(|e| Error::Payload(format!("not an execution payload: {e}")))?;
        let sidecar = match self.versions.new_payload {
            0..=2 => ExecutionPayloadSidecar::none(),
            3 => ExecutionPayloadSidecar::v3(CancunPayloadFields::new(
                self.beacon_root,
                self.versioned_hashes()?,
            )),
            _ => {
                let requests: Vec<Bytes> =
                    serde_json::from_value(self.execution_requests.clone().unwrap_or(json!([])))
                        .map_err(|e| Error::Payload(format!("execution requests: {e}")))?;
                ExecutionPayloadSidecar::v4(
                    CancunPayloadFields::new(self.beacon_root, self.versioned_hashes()?),
                    PraguePayloadFields::new(requests),
                )
            }
        };
        let block = payload
            .into_block_with_sidecar_raw(&sidecar)
            .map_err(|e| Error::Payload(e.to_string()))?;
        Ok(block.header.hash_slow())
    }

    /// This payload with `state_root` and the block hash that matches it: a block that passes
    /// the hash check and fails execution.
    pub fn with_state_root(&self, state_root: B256) -> Result<Built> {
        let mut changed = self.clone();
        changed.payload["stateRoot"] = json!(state_root);
        let hash = changed.computed_hash()?;
        changed.payload["blockHash"] = json!(hash);
        changed.head.hash = hash;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_the_fork_and_probing_covers_them() {
        assert_eq!(Versions::of(Fork::Paris), Versions::new(1, 1, 1));
        assert_eq!(Versions::of(Fork::Shanghai), Versions::new(2, 2, 2));
        assert_eq!(Versions::of(Fork::Cancun), Versions::new(3, 3, 3));
        assert_eq!(Versions::of(Fork::Prague), Versions::new(3, 4, 4));
        assert_eq!(Versions::of(Fork::Osaka), Versions::new(3, 5, 4));
        assert_eq!(Versions::of(Fork::Bpo2), Versions::new(3, 5, 4));
        for versions in Versions::PROBE {
            assert_eq!(Versions::for_get_payload(versions.get_payload), versions);
        }
    }

    #[test]
    fn attributes_carry_the_fields_of_their_version() {
        let parent = Head {
            hash: B256::repeat_byte(1),
            number: 5,
            timestamp: 100,
        };
        let attrs = Attributes::after(&parent, 12, 2);
        assert_eq!(attrs.timestamp, 112);
        assert_ne!(attrs, Attributes::after(&parent, 12, 3));
        let v1 = attrs.to_json(1);
        assert_eq!(v1["timestamp"], "0x70");
        assert!(v1.get("withdrawals").is_none());
        assert_eq!(attrs.to_json(2)["withdrawals"], json!([]));
        assert!(attrs.to_json(2).get("parentBeaconBlockRoot").is_none());
        assert!(attrs.to_json(3)["parentBeaconBlockRoot"].is_string());
    }

    #[test]
    fn heads_and_statuses_parse_from_json() {
        let block = json!({"hash": format!("{}", B256::repeat_byte(2)), "number": "0x10", "timestamp": "0x20"});
        let head = Head::from_block(&block).unwrap();
        assert_eq!((head.number, head.timestamp), (16, 32));
        let status = PayloadStatus::from_json(&json!({
            "status": "INVALID", "latestValidHash": format!("{}", B256::repeat_byte(3)),
            "validationError": "bad root"
        }))
        .unwrap();
        assert!(!status.is_valid());
        assert_eq!(status.latest_valid_hash, Some(B256::repeat_byte(3)));
        let syncing =
            PayloadStatus::from_json(&json!({"status": "SYNCING", "latestValidHash": null}))
                .unwrap();
        assert_eq!(syncing.latest_valid_hash, None);
    }
}
