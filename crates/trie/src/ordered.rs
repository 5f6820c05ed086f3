//! [`ordered_trie_root`]: the root of a list keyed by position, as block headers commit to
//! transactions, receipts and withdrawals.
//!
//! Item `i` is stored under key `rlp(i)`, its value the item's bytes as given (already encoded).
//! RLP keys do not sort like the indices (`rlp(0) = 0x80` sorts after `rlp(1..=127)` and before
//! `rlp(128..) = 0x81..`), so items are fed to [`TrieBuilder`] in key order: 1..=127, 0, 128...

use alloy_primitives::B256;
use alloy_rlp::Encodable;

use crate::TrieBuilder;

/// Root of the trie mapping `rlp(i)` to the `i`-th item's bytes. Like alloy's
/// `ordered_trie_root`, an empty item is stored as an empty leaf (real encodings never are).
pub fn ordered_trie_root<I, T>(items: I) -> B256
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let items: Vec<T> = items.into_iter().collect();
    let mut builder = TrieBuilder::new();
    let mut key = Vec::with_capacity(9);
    for index in rlp_key_order(items.len()) {
        key.clear();
        index.encode(&mut key);
        builder.push(&key, items[index].as_ref());
    }
    builder.root()
}

/// Indices `0..len` ordered by their RLP encoding.
fn rlp_key_order(len: usize) -> impl Iterator<Item = usize> {
    (1..len.min(0x80))
        .chain((len > 0).then_some(0))
        .chain(0x80..len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EMPTY_TRIE_ROOT, Trie};

    #[test]
    fn no_items_give_empty_root() {
        assert_eq!(ordered_trie_root(Vec::<Vec<u8>>::new()), EMPTY_TRIE_ROOT);
    }

    #[test]
    fn key_order_puts_zero_after_single_byte_indices() {
        assert_eq!(rlp_key_order(1).collect::<Vec<_>>(), vec![0]);
        assert_eq!(rlp_key_order(3).collect::<Vec<_>>(), vec![1, 2, 0]);
        let order: Vec<usize> = rlp_key_order(300).collect();
        let keys: Vec<Vec<u8>> = order.iter().map(alloy_rlp::encode).collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(order.len(), 300);
    }

    #[test]
    fn matches_trie_keyed_by_rlp_index() {
        for len in [1usize, 2, 127, 128, 129, 300] {
            let items: Vec<Vec<u8>> = (0..len)
                .map(|i| vec![(i % 251) as u8 + 1; 1 + i % 50])
                .collect();
            let mut trie = Trie::new_in_memory();
            for (i, item) in items.iter().enumerate() {
                trie.insert(&alloy_rlp::encode(i), item.clone()).unwrap();
            }
            assert_eq!(ordered_trie_root(&items), trie.root_hash(), "{len} items");
        }
    }
}
