//! [`TrieBuilder`]: the root of a trie from leaves given in strictly increasing key order, in
//! O(n) time and O(key length) memory (genesis, snap sync, receipts and transactions roots).
//!
//! It keeps the last key and the branches open on its path (a stack, by increasing depth).
//! When the next key arrives, it shares `s` nibbles with the last one: no later key can reach a
//! branch deeper than `s`, so those are encoded and hashed, innermost first, and the last key's
//! subtree is hung in the branch at depth `s` (opened if needed). A key that is a prefix of the
//! next one becomes the value of the branch opened at its end. Paths are read straight from the
//! key bytes and nodes encoded into one reused buffer, so adding a leaf does not allocate.
//!
//! Invariants: open branches have strictly increasing depths, all below the last key's length,
//! all on its path; each has at least one child or value recorded and gains a second before it
//! is closed.

use std::mem;

use alloy_primitives::{B256, Bytes};

use crate::{
    EMPTY_TRIE_ROOT, Result, TrieError,
    encode::{PathNibbles, encode_branch, encode_extension, encode_leaf},
    nibbles::compact_flag,
    node_ref::RlpRef,
};

/// Streaming root computation over leaves added in increasing key order.
#[derive(Default)]
pub struct TrieBuilder {
    /// Last key added, not yet hung in the trie (valid when `has_key`).
    key: Vec<u8>,
    value: Vec<u8>,
    has_key: bool,
    /// `frames[..open]` are the open branches; frames past `open` are kept for reuse.
    frames: Vec<Frame>,
    open: usize,
    /// Scratch buffer for node RLP.
    rlp: Vec<u8>,
}

impl std::fmt::Debug for TrieBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrieBuilder")
            .field("open_branches", &self.open)
            .finish_non_exhaustive()
    }
}

/// An open branch at nibble `depth` of the last key.
struct Frame {
    depth: usize,
    /// Bit `i` set = `children[i]` is a finished child.
    mask: u16,
    children: [RlpRef; 16],
    value: Option<Vec<u8>>,
}

/// A finished subtree on the last key's path, waiting to be hung in its parent branch.
#[derive(Clone, Copy)]
enum Pending {
    /// The last key's leaf itself.
    Leaf,
    /// A closed branch at this depth of the last key.
    Branch { rlp_ref: RlpRef, depth: usize },
}

/// Nibbles `from..to` of a byte key, written in hex-prefix form without unpacking the key.
struct KeyPath<'a> {
    key: &'a [u8],
    from: usize,
    to: usize,
}

impl PathNibbles for KeyPath<'_> {
    fn nibble_count(&self) -> usize {
        self.to - self.from
    }

    fn write_compact(&self, is_leaf: bool, out: &mut Vec<u8>) {
        let odd = !(self.to - self.from).is_multiple_of(2);
        let flag = compact_flag(is_leaf, odd) << 4;
        let start = if odd {
            out.push(flag | nibble(self.key, self.from));
            self.from + 1
        } else {
            out.push(flag);
            self.from
        };
        // An even number of nibbles is left: aligned on a byte boundary they are a plain copy.
        if start.is_multiple_of(2) {
            out.extend_from_slice(&self.key[start / 2..self.to / 2]);
        } else {
            out.extend(
                (start..self.to)
                    .step_by(2)
                    .map(|i| (nibble(self.key, i) << 4) | nibble(self.key, i + 1)),
            );
        }
    }
}

/// Nibble `i` of `key` (high half of each byte first).
fn nibble(key: &[u8], i: usize) -> u8 {
    let byte = key[i / 2];
    if i.is_multiple_of(2) {
        byte >> 4
    } else {
        byte & 0x0f
    }
}

/// Number of leading nibbles `a` and `b` share.
fn common_prefix_nibbles(a: &[u8], b: &[u8]) -> usize {
    let bytes = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    match (a.get(bytes), b.get(bytes)) {
        (Some(x), Some(y)) if x >> 4 == y >> 4 => 2 * bytes + 1,
        _ => 2 * bytes,
    }
}

impl TrieBuilder {
    /// A builder with no leaves (its root is [`EMPTY_TRIE_ROOT`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a leaf. `key` must be greater than every key added before, `value` non-empty.
    pub fn add(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        if value.is_empty() {
            return Err(TrieError::EmptyValue {
                key: Bytes::copy_from_slice(key),
            });
        }
        if self.has_key && key <= self.key.as_slice() {
            return Err(TrieError::UnorderedKey {
                previous: Bytes::copy_from_slice(&self.key),
                key: Bytes::copy_from_slice(key),
            });
        }
        self.push(key, value);
        Ok(())
    }

    /// [`TrieBuilder::add`] for callers that guarantee the order (any value is accepted).
    pub(crate) fn push(&mut self, key: &[u8], value: &[u8]) {
        debug_assert!(!self.has_key || key > self.key.as_slice());
        if self.has_key {
            self.hang_last_key(common_prefix_nibbles(&self.key, key));
        }
        self.key.clear();
        self.key.extend_from_slice(key);
        self.value.clear();
        self.value.extend_from_slice(value);
        self.has_key = true;
    }

    /// The root hash of all leaves added.
    pub fn root(mut self) -> B256 {
        if !self.has_key {
            return EMPTY_TRIE_ROOT;
        }
        let mut pending = Pending::Leaf;
        while let Some(depth) = self.top_depth() {
            pending = self.close_top(depth, pending);
        }
        self.finish(pending, 0).root_hash()
    }

    /// Hangs the last key in the trie, knowing the next key shares `shared` nibbles with it.
    fn hang_last_key(&mut self, shared: usize) {
        let mut pending = Pending::Leaf;
        while let Some(depth) = self.top_depth().filter(|depth| *depth > shared) {
            pending = self.close_top(depth, pending);
        }
        if shared == self.key.len() * 2 {
            // The last key is a prefix of the next: no open branch is that deep, and the key's
            // value belongs to a new branch at its end.
            let value = mem::take(&mut self.value);
            self.open_frame(shared, Some(value));
            return;
        }
        if self.top_depth() != Some(shared) {
            self.open_frame(shared, None);
        }
        let child = self.finish(pending, shared + 1);
        self.set_top_child(nibble(&self.key, shared), child);
    }

    fn top_depth(&self) -> Option<usize> {
        self.open.checked_sub(1).map(|top| self.frames[top].depth)
    }

    fn open_frame(&mut self, depth: usize, value: Option<Vec<u8>>) {
        if let Some(frame) = self.frames.get_mut(self.open) {
            frame.depth = depth;
            frame.mask = 0;
            frame.value = value;
        } else {
            self.frames.push(Frame {
                depth,
                mask: 0,
                children: [RlpRef::PLACEHOLDER; 16],
                value,
            });
        }
        self.open += 1;
    }

    fn set_top_child(&mut self, nibble: u8, child: RlpRef) {
        let frame = &mut self.frames[self.open - 1];
        frame.children[usize::from(nibble)] = child;
        frame.mask |= 1 << nibble;
    }

    /// Hangs `pending` in the top branch (at `depth`), closes that branch and returns it.
    fn close_top(&mut self, depth: usize, pending: Pending) -> Pending {
        let child = self.finish(pending, depth + 1);
        self.set_top_child(nibble(&self.key, depth), child);
        self.open -= 1;
        let frame = &self.frames[self.open];
        self.rlp.clear();
        encode_branch(
            &frame.children,
            frame.mask,
            frame.value.as_deref(),
            &mut self.rlp,
        );
        Pending::Branch {
            rlp_ref: RlpRef::from_rlp(&self.rlp),
            depth,
        }
    }

    /// Reference to `pending` as the node starting at nibble `from` of the last key: the leaf
    /// with the rest of the key, or the branch under an extension covering the gap.
    fn finish(&mut self, pending: Pending, from: usize) -> RlpRef {
        self.rlp.clear();
        match pending {
            Pending::Leaf => {
                let path = KeyPath {
                    key: &self.key,
                    from,
                    to: self.key.len() * 2,
                };
                encode_leaf(&path, &self.value, &mut self.rlp);
            }
            Pending::Branch { rlp_ref, depth } if depth == from => return rlp_ref,
            Pending::Branch { rlp_ref, depth } => {
                let path = KeyPath {
                    key: &self.key,
                    from,
                    to: depth,
                };
                encode_extension(&path, &rlp_ref, &mut self.rlp);
            }
        }
        RlpRef::from_rlp(&self.rlp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Nibbles, Trie};

    fn trie_root(pairs: &[(&[u8], &[u8])]) -> B256 {
        let mut trie = Trie::new_in_memory();
        for (key, value) in pairs {
            trie.insert(key, value.to_vec()).unwrap();
        }
        trie.root_hash()
    }

    fn builder_root(pairs: &[(&[u8], &[u8])]) -> B256 {
        let mut builder = TrieBuilder::new();
        for (key, value) in pairs {
            builder.add(key, value).unwrap();
        }
        builder.root()
    }

    #[test]
    fn no_leaves_give_empty_root() {
        assert_eq!(TrieBuilder::new().root(), EMPTY_TRIE_ROOT);
    }

    #[test]
    fn matches_trie_with_prefix_keys_and_short_values() {
        let pairs: &[(&[u8], &[u8])] = &[
            (b"", b"root value"),
            (b"do", b"verb"),
            (b"dog", b"puppy"),
            (b"doge", b"coin"),
            (b"dogglesworth", b"cat"),
            (b"horse", b"stallion"),
        ];
        assert_eq!(builder_root(pairs), trie_root(pairs));
    }

    #[test]
    fn matches_trie_on_keys_splitting_at_odd_and_even_nibbles() {
        let pairs: &[(&[u8], &[u8])] = &[
            (&[0x12, 0x34, 0x56], b"a"),
            (&[0x12, 0x35, 0x00], b"b"),
            (&[0x12, 0x35, 0x01], &[7; 40]),
            (&[0x13, 0x00, 0x00], b"c"),
            (&[0xf0, 0x00, 0x00], &[9; 33]),
        ];
        assert_eq!(builder_root(pairs), trie_root(pairs));
    }

    #[test]
    fn rejects_keys_out_of_order_or_repeated() {
        let mut builder = TrieBuilder::new();
        builder.add(b"b", b"1").unwrap();
        assert!(matches!(
            builder.add(b"a", b"2"),
            Err(TrieError::UnorderedKey { .. })
        ));
        assert!(matches!(
            builder.add(b"b", b"2"),
            Err(TrieError::UnorderedKey { .. })
        ));
        builder.add(b"c", b"3").unwrap();
        assert_eq!(builder.root(), trie_root(&[(b"b", b"1"), (b"c", b"3")]));
    }

    #[test]
    fn rejects_empty_values() {
        assert!(matches!(
            TrieBuilder::new().add(b"a", b""),
            Err(TrieError::EmptyValue { .. })
        ));
    }

    #[test]
    fn key_path_writes_the_same_compact_form_as_nibbles() {
        let key = [0xab, 0xcd, 0xef];
        for from in 0..=6 {
            for to in from..=6 {
                for is_leaf in [false, true] {
                    let mut got = Vec::new();
                    KeyPath {
                        key: &key,
                        from,
                        to,
                    }
                    .write_compact(is_leaf, &mut got);
                    let nibbles = Nibbles::from_bytes(&key).as_slice()[from..to].to_vec();
                    let want = Nibbles::from_nibbles(&nibbles)
                        .unwrap()
                        .encode_compact(is_leaf);
                    assert_eq!(got, want, "{from}..{to} leaf={is_leaf}");
                }
            }
        }
    }

    #[test]
    fn common_prefix_counts_nibbles() {
        assert_eq!(common_prefix_nibbles(&[0x12, 0x34], &[0x12, 0x35]), 3);
        assert_eq!(common_prefix_nibbles(&[0x12, 0x34], &[0x12, 0x44]), 2);
        assert_eq!(common_prefix_nibbles(&[0x12], &[0x12, 0x44]), 2);
        assert_eq!(common_prefix_nibbles(&[0x12], &[0x22]), 0);
    }
}
