//! The hand-off from the consensus client to the syncer: when `engine_forkchoiceUpdated` names a
//! head this node does not have (or cannot validate yet), the Engine API answers `SYNCING` and
//! passes the head to a [`SyncHandoff`]. The p2p syncer implements it; until one is attached,
//! [`PendingSync`] remembers the latest target so it can be reported (the Engine API logs it)
//! and picked up later.

use std::sync::Mutex;

use alloy_primitives::B256;

/// Where the Engine API sends heads it cannot follow by itself.
pub trait SyncHandoff: Send + Sync + std::fmt::Debug {
    /// The consensus client's head `head` is unknown here (or its ancestors' states are
    /// missing): fetch the chain up to it. Must return at once (the sync runs elsewhere).
    fn sync_to(&self, head: B256);

    /// Whether a sync is in progress: while it is, `newPayload` answers `SYNCING` or
    /// `ACCEPTED` for payloads whose parent state is missing, never `INVALID`.
    fn is_syncing(&self) -> bool;
}

/// The hand-off when no syncer is attached: it records the latest requested head (logged, and
/// reported by [`PendingSync::target`]) and never claims to be syncing.
#[derive(Debug, Default)]
pub struct PendingSync {
    target: Mutex<Option<B256>>,
}

impl PendingSync {
    /// The latest head handed off, if any.
    pub fn target(&self) -> Option<B256> {
        *self
            .target
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SyncHandoff for PendingSync {
    fn sync_to(&self, head: B256) {
        let mut target = self
            .target
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *target = Some(head);
    }

    fn is_syncing(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_sync_keeps_the_latest_target_and_is_never_syncing() {
        let sync = PendingSync::default();
        assert_eq!(sync.target(), None);
        sync.sync_to(B256::repeat_byte(1));
        sync.sync_to(B256::repeat_byte(2));
        assert_eq!(sync.target(), Some(B256::repeat_byte(2)));
        assert!(!sync.is_syncing());
    }
}
