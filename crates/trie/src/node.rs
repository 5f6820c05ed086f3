//! In-memory trie nodes: [`Node`] (leaf, extension, branch), [`Child`] pointers, RLP decoding,
//! and encoding with a cached reference so unchanged subtrees are never rehashed.
//!
//! Invariants:
//! - `Node::cache`, when `Some`, is the [`RlpRef`] of the node as it is now; every mutation goes
//!   through [`Node::invalidate`], which clears it (and marks the node dirty).
//! - `Node::dirty` is false only for nodes read from the database or embedded in such a node:
//!   those are already stored; dirty nodes are written by `commit`.
//! - A [`Child::Hash`] is a node not loaded yet; it lives in the database at its path.
//! - Extension paths are non-empty; branch nibbles and path nibbles are `< 16`.

use alloy_primitives::{B256, keccak256};
use alloy_rlp::{EMPTY_STRING_CODE, Header};

use crate::{
    Nibbles, Result, TrieDB, TrieError,
    encode::{encode_branch, encode_extension, encode_leaf},
    node_ref::RlpRef,
};

/// A parent's pointer to a child subtree.
#[derive(Default)]
pub(crate) enum Child {
    /// No subtree (empty branch slot, or the empty trie).
    #[default]
    Empty,
    /// A subtree stored in the database at its path, not loaded yet.
    Hash(B256),
    /// A subtree in memory.
    Node(Box<Node>),
}

/// A trie node in memory.
pub(crate) struct Node {
    pub(crate) kind: NodeKind,
    /// Reference to this node as currently encoded, if computed since the last change.
    pub(crate) cache: Option<RlpRef>,
    /// Whether the node differs from what the database holds at its path.
    pub(crate) dirty: bool,
}

/// The three node kinds of the Merkle-Patricia trie.
pub(crate) enum NodeKind {
    /// The rest of a key and its value.
    Leaf { path: Nibbles, value: Vec<u8> },
    /// A shared run of nibbles leading to a branch.
    Extension { path: Nibbles, child: Child },
    /// One child per next nibble, plus the value of a key ending here.
    Branch {
        children: Box<[Child; 16]>,
        value: Option<Vec<u8>>,
    },
}

impl Child {
    /// A new (dirty) node of this kind.
    pub(crate) fn new(kind: NodeKind) -> Self {
        Self::Node(Box::new(Node {
            kind,
            cache: None,
            dirty: true,
        }))
    }

    /// A new leaf.
    pub(crate) fn leaf(path: &[u8], value: Vec<u8>) -> Self {
        Self::new(NodeKind::Leaf {
            path: Nibbles::from_vec(path.to_vec()),
            value,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }

    /// Loads a [`Child::Hash`] from `db` (it lives at `path`), then returns the node, or `None`
    /// for [`Child::Empty`].
    pub(crate) fn resolve(&mut self, db: &dyn TrieDB, path: &[u8]) -> Result<Option<&mut Node>> {
        if let Self::Hash(hash) = *self {
            *self = Self::Node(Box::new(Node::load(db, path, hash)?));
        }
        Ok(match self {
            Self::Node(node) => Some(node),
            _ => None,
        })
    }

    /// This child's reference in its parent's RLP, `None` when empty.
    pub(crate) fn rlp_ref(&mut self, buf: &mut Vec<u8>) -> Option<RlpRef> {
        match self {
            Self::Empty => None,
            Self::Hash(hash) => Some(RlpRef::hash(*hash)),
            Self::Node(node) => Some(node.rlp_ref(buf)),
        }
    }
}

impl Node {
    /// Reads the node at `path` from `db` and checks it hashes to `hash`.
    pub(crate) fn load(db: &dyn TrieDB, path: &[u8], hash: B256) -> Result<Self> {
        let path = Nibbles::from_vec(path.to_vec());
        let rlp = db.get(&path)?.ok_or_else(|| TrieError::MissingNode {
            path: path.clone(),
            hash,
        })?;
        let got = keccak256(&rlp);
        if got != hash {
            return Err(TrieError::NodeHashMismatch {
                path,
                expected: hash,
                got,
            });
        }
        Self::decode_with_hash(&rlp, hash)
    }

    /// Decodes a node whose hash is known; it is clean and its reference cached.
    pub(crate) fn decode_with_hash(rlp: &[u8], hash: B256) -> Result<Self> {
        let kind = decode_kind(rlp)?;
        Ok(Self {
            kind,
            cache: Some(RlpRef::from_rlp_with_hash(rlp, hash)),
            dirty: false,
        })
    }

    /// Forgets the cached reference and marks the node for writing, after a change.
    pub(crate) fn invalidate(&mut self) {
        self.cache = None;
        self.dirty = true;
    }

    /// This node's reference in its parent, computed (and cached) if needed.
    pub(crate) fn rlp_ref(&mut self, buf: &mut Vec<u8>) -> RlpRef {
        if let Some(cached) = self.cache {
            return cached;
        }
        self.encode(buf);
        let rlp_ref = RlpRef::from_rlp(buf);
        self.cache = Some(rlp_ref);
        rlp_ref
    }

    /// Replaces `buf` with this node's RLP (children references are computed as needed).
    pub(crate) fn encode(&mut self, buf: &mut Vec<u8>) {
        match &mut self.kind {
            NodeKind::Leaf { path, value } => {
                buf.clear();
                encode_leaf(path.as_slice(), value, buf);
            }
            NodeKind::Extension { path, child } => {
                // A valid extension always has a child; an empty one encodes as the empty string.
                let child_ref = child
                    .rlp_ref(buf)
                    .unwrap_or_else(|| RlpRef::from_rlp(&[EMPTY_STRING_CODE]));
                buf.clear();
                encode_extension(path.as_slice(), &child_ref, buf);
            }
            NodeKind::Branch { children, value } => {
                let mut refs = [RlpRef::PLACEHOLDER; 16];
                let mut mask = 0u16;
                for (i, child) in children.iter_mut().enumerate() {
                    if let Some(child_ref) = child.rlp_ref(buf) {
                        refs[i] = child_ref;
                        mask |= 1 << i;
                    }
                }
                buf.clear();
                encode_branch(&refs, mask, value.as_deref(), buf);
            }
        }
    }
}

/// Decodes the kind of node `rlp` describes; inline children are decoded too.
fn decode_kind(rlp: &[u8]) -> Result<NodeKind> {
    let mut buf = rlp;
    let mut payload = Header::decode_bytes(&mut buf, true)?;
    if !buf.is_empty() {
        return Err(TrieError::InvalidNode("trailing bytes after node RLP"));
    }
    let mut items: [&[u8]; 17] = [&[]; 17];
    let mut count = 0;
    while !payload.is_empty() {
        if count == items.len() {
            return Err(TrieError::InvalidNode("node list has more than 17 items"));
        }
        items[count] = next_item(&mut payload)?;
        count += 1;
    }
    match count {
        2 => {
            let (path, is_leaf) = Nibbles::decode_compact(string_payload(items[0])?)?;
            if is_leaf {
                return Ok(NodeKind::Leaf {
                    path,
                    value: string_payload(items[1])?.to_vec(),
                });
            }
            if path.is_empty() {
                return Err(TrieError::InvalidNode("extension with an empty path"));
            }
            Ok(NodeKind::Extension {
                path,
                child: decode_child(items[1])?,
            })
        }
        17 => {
            let mut children: Box<[Child; 16]> = Box::default();
            for (slot, item) in children.iter_mut().zip(&items) {
                *slot = decode_child(item)?;
            }
            let value = string_payload(items[16])?;
            let value = (!value.is_empty()).then(|| value.to_vec());
            Ok(NodeKind::Branch { children, value })
        }
        _ => Err(TrieError::InvalidNode("node list must have 2 or 17 items")),
    }
}

/// Splits the next whole RLP item (header and payload) off `payload`.
fn next_item<'a>(payload: &mut &'a [u8]) -> Result<&'a [u8]> {
    let start = *payload;
    let header = Header::decode(payload)?;
    let consumed = start.len() - payload.len() + header.payload_length;
    *payload = &start[consumed..];
    Ok(&start[..consumed])
}

/// The payload of an item that must be an RLP string.
fn string_payload(item: &[u8]) -> Result<&[u8]> {
    let mut buf = item;
    Ok(Header::decode_bytes(&mut buf, false)?)
}

/// Decodes a child reference: empty string, 32-byte hash, or an inline node (a list < 32 bytes).
fn decode_child(item: &[u8]) -> Result<Child> {
    let mut buf = item;
    let header = Header::decode(&mut buf)?;
    if header.list {
        if item.len() >= 32 {
            return Err(TrieError::InvalidNode("embedded node of 32 bytes or more"));
        }
        let kind = decode_kind(item)?;
        return Ok(Child::Node(Box::new(Node {
            kind,
            cache: Some(RlpRef::from_rlp(item)),
            dirty: false,
        })));
    }
    match header.payload_length {
        0 => Ok(Child::Empty),
        32 => Ok(Child::Hash(B256::from_slice(buf))),
        _ => Err(TrieError::InvalidNode(
            "child reference is neither empty, a hash nor a node",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rlp_list(items: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        alloy_rlp::encode_list::<_, [u8]>(items, &mut out);
        out
    }

    fn encoded(node: &mut Node) -> Vec<u8> {
        let mut buf = Vec::new();
        node.encode(&mut buf);
        buf
    }

    #[test]
    fn leaf_roundtrips_through_rlp() {
        let Child::Node(mut leaf) = Child::leaf(&[1, 2, 3], b"value".to_vec()) else {
            panic!()
        };
        let rlp = encoded(&mut leaf);
        let mut decoded = Node::decode_with_hash(&rlp, keccak256(&rlp)).unwrap();
        assert_eq!(encoded(&mut decoded), rlp);
        assert!(!decoded.dirty);
    }

    #[test]
    fn branch_with_inline_and_hashed_children_roundtrips() {
        let mut children: Box<[Child; 16]> = Box::default();
        children[0] = Child::leaf(&[5], b"a".to_vec());
        children[9] = Child::Hash(B256::repeat_byte(9));
        let mut branch = Node {
            kind: NodeKind::Branch {
                children,
                value: Some(b"v".to_vec()),
            },
            cache: None,
            dirty: true,
        };
        let rlp = encoded(&mut branch);
        let mut decoded = Node::decode_with_hash(&rlp, keccak256(&rlp)).unwrap();
        assert_eq!(encoded(&mut decoded), rlp);
        let NodeKind::Branch { children, value } = &decoded.kind else {
            panic!()
        };
        assert!(matches!(children[0], Child::Node(_)));
        assert!(matches!(children[9], Child::Hash(h) if h == B256::repeat_byte(9)));
        assert_eq!(value.as_deref(), Some(&b"v"[..]));
    }

    #[test]
    fn decode_rejects_malformed_nodes() {
        let three_items = rlp_list(&[&[0x20][..], b"a", b"b"]);
        assert!(decode_kind(&three_items).is_err());
        let bad_child = rlp_list(&[&[0x1a][..], &[1, 2, 3][..]]);
        assert!(decode_kind(&bad_child).is_err());
        let empty_extension = rlp_list(&[&[0x00][..], &[0u8; 32][..]]);
        assert!(decode_kind(&empty_extension).is_err());
        assert!(decode_kind(&[0x80]).is_err());
    }

    #[test]
    fn cached_reference_is_reused_until_invalidated() {
        let Child::Node(mut leaf) = Child::leaf(&[1], vec![7; 40]) else {
            panic!()
        };
        let mut buf = Vec::new();
        let first = leaf.rlp_ref(&mut buf);
        assert!(leaf.cache.is_some());
        if let NodeKind::Leaf { value, .. } = &mut leaf.kind {
            value.push(8);
        }
        assert!(
            leaf.rlp_ref(&mut buf) == first,
            "stale cache is returned until invalidated"
        );
        leaf.invalidate();
        assert!(leaf.rlp_ref(&mut buf) != first);
    }
}
