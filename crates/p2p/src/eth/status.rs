//! The Status handshake's rules: [`LocalChain`] reads what our Status announces from the store
//! (network id, genesis, head, the EIP-2124 fork id and [`ForkFilter`]) and checks a peer's
//! Status against it; [`exchange`] sends ours and reads theirs on a connection, within
//! [`STATUS_TIMEOUT`].
//!
//! A peer is accepted when its Status has the negotiated version, our network id, our genesis,
//! a fork id [`ForkFilter::validate`] accepts at our head, and (eth/69) a non-empty block range.

use std::time::Duration;

use alloy_primitives::{B256, U256};
use ethrex_common::{ForkFilter, ForkId, types::Header};
use ethrex_storage::Store;

use super::{
    EthError, EthResult, EthVersion,
    messages::{EthMessage, Status, StatusEth68, StatusEth69, id},
};
use crate::rlpx::Connection;

/// How long the Status exchange may take.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(5);

/// Our side of the handshake: the chain as the store holds it when the session starts.
#[derive(Debug, Clone)]
pub struct LocalChain {
    pub network_id: u64,
    pub genesis_hash: B256,
    pub head: Header,
    pub head_hash: B256,
    /// The total difficulty eth/68 announces: the chain's terminal total difficulty (peers
    /// ignore it after the merge), or 0 when the config has none.
    pub total_difficulty: U256,
    pub fork_filter: ForkFilter,
    pub fork_id: ForkId,
}

impl LocalChain {
    /// Reads the genesis, head and chain config from `store`; `network_id` is announced as is.
    pub fn load(store: &Store, network_id: u64) -> EthResult<Self> {
        let config = store
            .chain_config()?
            .ok_or(EthError::MissingChainData("chain config"))?;
        let genesis = store
            .header_by_number(0)?
            .ok_or(EthError::MissingChainData("genesis block"))?;
        let head_hash = store
            .head_hash()?
            .ok_or(EthError::MissingChainData("head block"))?;
        let head = store
            .header_by_hash(&head_hash)?
            .ok_or(EthError::MissingChainData("head header"))?;
        let genesis_hash = genesis.hash_slow();
        let fork_filter = ForkFilter::new(&config, genesis_hash, genesis.timestamp);
        let fork_id = ForkId::new(
            &config,
            genesis_hash,
            genesis.timestamp,
            head.number,
            head.timestamp,
        );
        Ok(Self {
            network_id,
            genesis_hash,
            head_hash,
            total_difficulty: config.terminal_total_difficulty.unwrap_or_default(),
            head,
            fork_filter,
            fork_id,
        })
    }

    /// Our Status for `version`. We keep every block, so eth/69's range starts at genesis.
    pub fn status(&self, version: EthVersion) -> Status {
        match version {
            EthVersion::Eth68 => Status::Eth68(StatusEth68 {
                version: version.number(),
                network_id: self.network_id,
                total_difficulty: self.total_difficulty,
                head_hash: self.head_hash,
                genesis_hash: self.genesis_hash,
                fork_id: self.fork_id,
            }),
            EthVersion::Eth69 | EthVersion::Eth70 => Status::Eth69(StatusEth69 {
                version: version.number(),
                network_id: self.network_id,
                genesis_hash: self.genesis_hash,
                fork_id: self.fork_id,
                earliest_block: 0,
                latest_block: self.head.number,
                latest_hash: self.head_hash,
            }),
        }
    }

    /// Checks a peer's Status, received on a session of `version`.
    pub fn validate(&self, theirs: &Status, version: EthVersion) -> EthResult<()> {
        if theirs.version() != version.number() {
            return Err(EthError::VersionMismatch {
                negotiated: version.number(),
                announced: theirs.version(),
            });
        }
        if theirs.network_id() != self.network_id {
            return Err(EthError::NetworkIdMismatch {
                ours: self.network_id,
                theirs: theirs.network_id(),
            });
        }
        if theirs.genesis_hash() != self.genesis_hash {
            return Err(EthError::GenesisMismatch {
                ours: self.genesis_hash,
                theirs: theirs.genesis_hash(),
            });
        }
        self.fork_filter
            .validate(theirs.fork_id(), self.head.number, self.head.timestamp)?;
        if let Status::Eth69(s) = theirs
            && s.earliest_block > s.latest_block
        {
            return Err(EthError::InvalidBlockRange {
                earliest: s.earliest_block,
                latest: s.latest_block,
            });
        }
        Ok(())
    }
}

/// Sends our Status and reads and checks the peer's, within `timeout`. On any error the peer is
/// sent a Disconnect with [`EthError::disconnect_reason`] (best effort).
pub async fn exchange(
    conn: &mut Connection,
    chain: &LocalChain,
    version: EthVersion,
    offset: u64,
    timeout: Duration,
) -> EthResult<Status> {
    let result = tokio::time::timeout(timeout, async {
        let ours = EthMessage::Status(chain.status(version));
        conn.send(offset + id::STATUS, &ours.encode(version))
            .await?;
        let message = conn.recv().await?;
        let relative = message.id.wrapping_sub(offset);
        if relative != id::STATUS {
            return Err(EthError::UnexpectedMessage {
                expected: "Status",
                got: super::messages::name_of(relative).unwrap_or("non-eth"),
            });
        }
        let EthMessage::Status(theirs) = EthMessage::decode(version, id::STATUS, &message.payload)?
        else {
            return Err(EthError::UnknownMessage(relative));
        };
        chain.validate(&theirs, version)?;
        Ok(theirs)
    })
    .await
    .unwrap_or(Err(EthError::StatusTimeout(timeout)));
    if let Err(error) = &result
        && let Some(reason) = error.disconnect_reason()
    {
        let _ = conn.disconnect(reason).await;
    }
    result
}
