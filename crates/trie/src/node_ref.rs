//! [`RlpRef`]: how a parent node refers to a child, `c(J)` in the Yellow Paper.
//!
//! A child whose RLP is shorter than 32 bytes is embedded as that RLP ("inline node"); a longer
//! one is referenced by the RLP string of its keccak256 hash (`0xa0 ‖ hash`, 33 bytes). The
//! reference is kept in a fixed 33-byte buffer so computing and storing it never allocates.
//! Invariant: `len < 32` (inline RLP of a node) or `len == 33` (`0xa0 ‖ hash`).

use alloy_primitives::{B256, keccak256};

/// RLP string header of a 32-byte payload (`0x80 + 32`).
const HASH_HEADER: u8 = 0xa0;
/// Size of a hash reference: header byte + 32-byte hash.
const HASH_REF_LEN: usize = 33;

/// A child reference as it appears inside its parent's RLP.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RlpRef {
    len: u8,
    bytes: [u8; HASH_REF_LEN],
}

impl RlpRef {
    /// Placeholder used to fill fixed arrays; never encoded (its length is zero).
    pub(crate) const PLACEHOLDER: Self = Self {
        len: 0,
        bytes: [0; HASH_REF_LEN],
    };

    /// Reference to a node of this RLP: the RLP itself when short, else its hash.
    pub(crate) fn from_rlp(rlp: &[u8]) -> Self {
        if rlp.len() < 32 {
            Self::inline(rlp)
        } else {
            Self::hash(keccak256(rlp))
        }
    }

    /// Same as [`RlpRef::from_rlp`] when the caller already knows `keccak256(rlp)`.
    pub(crate) fn from_rlp_with_hash(rlp: &[u8], hash: B256) -> Self {
        if rlp.len() < 32 {
            Self::inline(rlp)
        } else {
            Self::hash(hash)
        }
    }

    /// Reference by hash.
    pub(crate) fn hash(hash: B256) -> Self {
        let mut bytes = [0; HASH_REF_LEN];
        bytes[0] = HASH_HEADER;
        bytes[1..].copy_from_slice(hash.as_slice());
        Self {
            len: HASH_REF_LEN as u8,
            bytes,
        }
    }

    fn inline(rlp: &[u8]) -> Self {
        debug_assert!(rlp.len() < 32);
        let mut bytes = [0; HASH_REF_LEN];
        bytes[..rlp.len()].copy_from_slice(rlp);
        Self {
            len: rlp.len() as u8,
            bytes,
        }
    }

    /// The bytes to place in the parent's RLP.
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Number of bytes this reference takes in the parent's RLP.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The hash if this is a reference by hash, `None` for an inline node.
    pub(crate) fn as_hash(&self) -> Option<B256> {
        (usize::from(self.len) == HASH_REF_LEN).then(|| B256::from_slice(&self.bytes[1..]))
    }

    /// The node's hash as a root: roots are always hashed, even when shorter than 32 bytes.
    pub(crate) fn root_hash(&self) -> B256 {
        self.as_hash().unwrap_or_else(|| keccak256(self.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_rlp_is_embedded_as_is() {
        let rlp = [0xc2, 0x20, 0x01];
        let r = RlpRef::from_rlp(&rlp);
        assert_eq!(r.as_slice(), &rlp);
        assert_eq!(r.as_hash(), None);
        assert_eq!(r.root_hash(), keccak256(rlp));
    }

    #[test]
    fn rlp_of_32_bytes_or_more_is_referenced_by_hash() {
        let rlp = [0x11; 32];
        let r = RlpRef::from_rlp(&rlp);
        assert_eq!(r.as_slice()[0], 0xa0);
        assert_eq!(r.len(), 33);
        assert_eq!(r.as_hash(), Some(keccak256(rlp)));
        assert_eq!(r.root_hash(), keccak256(rlp));
    }
}
