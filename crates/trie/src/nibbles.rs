//! [`Nibbles`]: a path of 4-bit digits through the trie, and hex-prefix (compact) encoding.
//!
//! Invariant: every element of a [`Nibbles`] is `< 16`. Keys are turned into nibbles high half
//! first (`0xab` → `[0xa, 0xb]`), so nibble order is byte order and a key's path is twice its
//! length. Hex-prefix encoding (Yellow Paper, appendix C) packs a path into bytes with a flag
//! nibble saying whether the path is odd and whether it ends in a leaf.

use std::fmt;

use crate::{Result, TrieError};

/// A path of nibbles (4-bit values), e.g. the path of a node from the root.
///
/// [`Nibbles::as_slice`] (one nibble per byte) is what a [`crate::TrieDB`] can use as its key:
/// it is unambiguous and sorts like the paths themselves.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nibbles(Vec<u8>);

impl Nibbles {
    /// The empty path (the root's).
    pub const fn new() -> Self {
        Self(Vec::new())
    }

    /// Unpacks each byte of `bytes` into two nibbles, high half first.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut nibbles = Vec::with_capacity(bytes.len() * 2);
        for byte in bytes {
            nibbles.push(byte >> 4);
            nibbles.push(byte & 0x0f);
        }
        Self(nibbles)
    }

    /// Wraps nibbles given one per byte; `None` if any is `>= 16`.
    pub fn from_nibbles(nibbles: &[u8]) -> Option<Self> {
        nibbles
            .iter()
            .all(|n| *n < 16)
            .then(|| Self(nibbles.to_vec()))
    }

    /// The nibbles, one per byte.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Number of nibbles.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether this is the empty (root) path.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Packs pairs of nibbles back into bytes; an odd last nibble becomes a high half.
    pub fn pack(&self) -> Vec<u8> {
        self.0
            .chunks(2)
            .map(|pair| (pair[0] << 4) | pair.get(1).copied().unwrap_or(0))
            .collect()
    }

    /// Hex-prefix encoding of this path, flagged as a leaf's or an extension's.
    pub fn encode_compact(&self, is_leaf: bool) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() / 2 + 1);
        write_compact(&self.0, is_leaf, &mut out);
        out
    }

    /// Decodes a hex-prefix encoded path into the nibbles and the leaf flag.
    pub fn decode_compact(compact: &[u8]) -> Result<(Self, bool)> {
        let (&first, rest) = compact
            .split_first()
            .ok_or(TrieError::InvalidNode("empty hex-prefix path"))?;
        let flag = first >> 4;
        if flag > 3 {
            return Err(TrieError::InvalidNode("hex-prefix flag nibble above 3"));
        }
        let odd = flag & 1 == 1;
        if !odd && first & 0x0f != 0 {
            return Err(TrieError::InvalidNode(
                "hex-prefix padding nibble is not zero",
            ));
        }
        let mut nibbles = Vec::with_capacity(rest.len() * 2 + 1);
        if odd {
            nibbles.push(first & 0x0f);
        }
        for byte in rest {
            nibbles.push(byte >> 4);
            nibbles.push(byte & 0x0f);
        }
        Ok((Self(nibbles), flag & 2 == 2))
    }

    pub(crate) fn push(&mut self, nibble: u8) {
        debug_assert!(nibble < 16);
        self.0.push(nibble);
    }

    pub(crate) fn extend_from_slice(&mut self, nibbles: &[u8]) {
        self.0.extend_from_slice(nibbles);
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// Unchecked constructor for crate code whose nibbles come from another `Nibbles`.
    pub(crate) fn from_vec(nibbles: Vec<u8>) -> Self {
        debug_assert!(nibbles.iter().all(|n| *n < 16));
        Self(nibbles)
    }
}

impl fmt::Display for Nibbles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for nibble in &self.0 {
            write!(f, "{nibble:x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Nibbles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nibbles({self})")
    }
}

/// Length of nibbles shared by `a` and `b` from their starts.
pub(crate) fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Number of bytes of the hex-prefix encoding of a path of `nibble_count` nibbles.
pub(crate) const fn compact_len(nibble_count: usize) -> usize {
    nibble_count / 2 + 1
}

/// Flag nibble of hex-prefix encoding: bit 1 = leaf, bit 0 = odd length.
pub(crate) const fn compact_flag(is_leaf: bool, odd: bool) -> u8 {
    ((is_leaf as u8) << 1) | odd as u8
}

/// Appends the hex-prefix encoding of `nibbles` to `out`.
pub(crate) fn write_compact(nibbles: &[u8], is_leaf: bool, out: &mut Vec<u8>) {
    let odd = !nibbles.len().is_multiple_of(2);
    let flag = compact_flag(is_leaf, odd) << 4;
    let rest = if let Some((&first, rest)) = nibbles.split_first().filter(|_| odd) {
        out.push(flag | first);
        rest
    } else {
        out.push(flag);
        nibbles
    };
    out.extend(rest.chunks_exact(2).map(|pair| (pair[0] << 4) | pair[1]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_bytes_puts_high_half_first() {
        assert_eq!(
            Nibbles::from_bytes(&[0xab, 0x01]).as_slice(),
            &[0xa, 0xb, 0x0, 0x1]
        );
    }

    #[test]
    fn from_nibbles_rejects_values_above_fifteen() {
        assert!(Nibbles::from_nibbles(&[1, 15]).is_some());
        assert!(Nibbles::from_nibbles(&[1, 16]).is_none());
    }

    #[test]
    fn pack_inverts_from_bytes() {
        assert_eq!(Nibbles::from_bytes(&[0x12, 0xff]).pack(), vec![0x12, 0xff]);
    }

    #[test]
    fn compact_encoding_matches_yellow_paper_examples() {
        // (nibbles, is_leaf, encoding) from the Yellow Paper / Ethereum wiki examples.
        let cases: &[(&[u8], bool, &[u8])] = &[
            (&[1, 2, 3, 4, 5], false, &[0x11, 0x23, 0x45]),
            (&[0, 1, 2, 3, 4, 5], false, &[0x00, 0x01, 0x23, 0x45]),
            (&[0, 15, 1, 12, 11, 8], true, &[0x20, 0x0f, 0x1c, 0xb8]),
            (&[15, 1, 12, 11, 8], true, &[0x3f, 0x1c, 0xb8]),
            (&[], true, &[0x20]),
            (&[], false, &[0x00]),
        ];
        for (nibbles, is_leaf, encoded) in cases {
            let path = Nibbles::from_nibbles(nibbles).unwrap();
            assert_eq!(path.encode_compact(*is_leaf), *encoded, "encode {path}");
            let (decoded, leaf) = Nibbles::decode_compact(encoded).unwrap();
            assert_eq!((decoded, leaf), (path, *is_leaf), "decode {encoded:x?}");
        }
    }

    #[test]
    fn decode_compact_rejects_bad_flags_and_padding() {
        assert!(Nibbles::decode_compact(&[]).is_err());
        assert!(Nibbles::decode_compact(&[0x40]).is_err());
        assert!(Nibbles::decode_compact(&[0x01, 0x23]).is_err());
    }

    #[test]
    fn display_shows_one_hex_digit_per_nibble() {
        assert_eq!(
            Nibbles::from_nibbles(&[1, 0xa, 3]).unwrap().to_string(),
            "0x1a3"
        );
    }

    #[test]
    fn common_prefix_len_stops_at_first_difference() {
        assert_eq!(common_prefix_len(&[1, 2, 3], &[1, 2, 4, 5]), 2);
        assert_eq!(common_prefix_len(&[1, 2], &[1, 2, 3]), 2);
        assert_eq!(common_prefix_len(&[], &[1]), 0);
    }
}
