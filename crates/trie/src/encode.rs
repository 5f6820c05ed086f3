//! RLP writers for the three node kinds, shared by [`crate::Trie`] and [`crate::TrieBuilder`].
//!
//! Each writer appends exactly one node's RLP to `out`, computing lengths before writing so no
//! intermediate buffer is needed. Paths are written in hex-prefix form straight from their
//! source ([`PathNibbles`]); children are given as [`RlpRef`]s (inline RLP or `0xa0 ‖ hash`),
//! an absent child is the empty string `0x80`.

use alloy_rlp::{EMPTY_STRING_CODE, Encodable, Header};

use crate::{
    nibbles::{compact_len, write_compact},
    node_ref::RlpRef,
};

/// A source of path nibbles that can write itself in hex-prefix form.
pub(crate) trait PathNibbles {
    /// Number of nibbles in the path.
    fn nibble_count(&self) -> usize;
    /// Appends the hex-prefix encoding of the path to `out`.
    fn write_compact(&self, is_leaf: bool, out: &mut Vec<u8>);
}

/// A plain nibble slice (one nibble per byte).
impl PathNibbles for [u8] {
    fn nibble_count(&self) -> usize {
        self.len()
    }

    fn write_compact(&self, is_leaf: bool, out: &mut Vec<u8>) {
        write_compact(self, is_leaf, out);
    }
}

/// Header of the RLP string holding a hex-prefix path of `compact` bytes, if it needs one.
///
/// A one-byte hex-prefix path starts with a flag nibble `<= 3`, so that byte is `< 0x80` and RLP
/// encodes it as itself, without a header.
fn path_header(compact: usize) -> Option<Header> {
    (compact > 1).then_some(Header {
        list: false,
        payload_length: compact,
    })
}

/// Encoded length of a hex-prefix path of `nibbles` nibbles as an RLP string.
fn path_rlp_len(nibbles: usize) -> usize {
    let compact = compact_len(nibbles);
    path_header(compact).map_or(compact, |h| h.length_with_payload())
}

fn write_path<P: PathNibbles + ?Sized>(path: &P, is_leaf: bool, out: &mut Vec<u8>) {
    if let Some(header) = path_header(compact_len(path.nibble_count())) {
        header.encode(out);
    }
    path.write_compact(is_leaf, out);
}

/// Appends the RLP of a leaf node `[hex_prefix(path, leaf), value]`.
pub(crate) fn encode_leaf<P: PathNibbles + ?Sized>(path: &P, value: &[u8], out: &mut Vec<u8>) {
    let payload_length = path_rlp_len(path.nibble_count()) + value.length();
    Header {
        list: true,
        payload_length,
    }
    .encode(out);
    write_path(path, true, out);
    value.encode(out);
}

/// Appends the RLP of an extension node `[hex_prefix(path, extension), child]`.
pub(crate) fn encode_extension<P: PathNibbles + ?Sized>(
    path: &P,
    child: &RlpRef,
    out: &mut Vec<u8>,
) {
    let payload_length = path_rlp_len(path.nibble_count()) + child.len();
    Header {
        list: true,
        payload_length,
    }
    .encode(out);
    write_path(path, false, out);
    out.extend_from_slice(child.as_slice());
}

/// Appends the RLP of a branch node: 16 children (bit `i` of `mask` set = child `i` present
/// in `children[i]`), then the value (`None` encodes as the empty string).
pub(crate) fn encode_branch(
    children: &[RlpRef; 16],
    mask: u16,
    value: Option<&[u8]>,
    out: &mut Vec<u8>,
) {
    let children_len: usize = children
        .iter()
        .enumerate()
        .map(|(i, child)| if mask & (1 << i) != 0 { child.len() } else { 1 })
        .sum();
    let payload_length = children_len + value.map_or(1, |v| v.length());
    Header {
        list: true,
        payload_length,
    }
    .encode(out);
    for (i, child) in children.iter().enumerate() {
        if mask & (1 << i) != 0 {
            out.extend_from_slice(child.as_slice());
        } else {
            out.push(EMPTY_STRING_CODE);
        }
    }
    match value {
        Some(value) => value.encode(out),
        None => out.push(EMPTY_STRING_CODE),
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

    #[test]
    fn leaf_with_empty_path_encodes_flag_byte_without_header() {
        let mut out = Vec::new();
        encode_leaf(&[][..], b"v", &mut out);
        // [0x20, "v"]: path byte 0x20 and value byte 0x76 are both single bytes below 0x80.
        assert_eq!(out, vec![0xc2, 0x20, 0x76]);
    }

    #[test]
    fn leaf_encoding_matches_alloy_rlp_list_encoding() {
        let path = [1u8, 2, 3];
        let value = vec![0x42u8; 60];
        let mut out = Vec::new();
        encode_leaf(&path[..], &value, &mut out);
        let compact = [0x31u8, 0x23];
        let expected = rlp_list(&[&compact[..], &value[..]]);
        assert_eq!(out, expected);
    }

    #[test]
    fn branch_writes_empty_strings_for_absent_children_and_value() {
        let mut children = [RlpRef::PLACEHOLDER; 16];
        children[3] = RlpRef::from_rlp(&[0xc2, 0x20, 0x76]);
        let mut out = Vec::new();
        encode_branch(&children, 1 << 3, None, &mut out);
        let mut expected = vec![0xc0 + 15 + 3 + 1];
        expected.extend([0x80; 3]);
        expected.extend([0xc2, 0x20, 0x76]);
        expected.extend([0x80; 13]);
        assert_eq!(out, expected);
    }

    #[test]
    fn extension_embeds_child_reference_bytes() {
        let child = RlpRef::hash(alloy_primitives::B256::repeat_byte(7));
        let mut out = Vec::new();
        encode_extension(&[0xa][..], &child, &mut out);
        assert_eq!(out[..3], [0xe2, 0x1a, 0xa0]);
        assert_eq!(out.len(), 35);
    }
}
