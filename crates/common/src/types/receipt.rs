//! Transaction receipts with their logs bloom, and the receipts root.

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::B256;

pub use alloy_primitives::Log;

/// A typed receipt with its bloom, as stored in the receipts trie (EIP-2718 envelope).
pub type Receipt = alloy_consensus::ReceiptEnvelope;

/// The fields common to every receipt type: status, cumulative gas, logs.
pub type ReceiptData = alloy_consensus::Receipt;

/// The receipts root: the ordered trie of the EIP-2718 encodings.
pub fn receipts_root(receipts: &[Receipt]) -> B256 {
    ethrex_trie::ordered_trie_root(receipts.iter().map(|r| r.encoded_2718()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{ReceiptWithBloom, TxReceipt};
    use alloy_primitives::{Address, Bytes, LogData};

    fn receipt(i: u8) -> Receipt {
        let log = Log {
            address: Address::repeat_byte(i),
            data: LogData::new_unchecked(vec![B256::repeat_byte(i)], Bytes::from(vec![i; 3])),
        };
        let data = ReceiptData {
            status: i.is_multiple_of(2).into(),
            cumulative_gas_used: 21_000 * u64::from(i),
            logs: vec![log],
        };
        Receipt::Eip1559(ReceiptWithBloom::from(data))
    }

    #[test]
    fn bloom_contains_log_address_and_topics() {
        let r = receipt(5);
        let bloom = r.bloom();
        assert!(bloom.contains_input(alloy_primitives::BloomInput::Raw(
            Address::repeat_byte(5).as_slice()
        )));
        assert!(bloom.contains_input(alloy_primitives::BloomInput::Raw(
            B256::repeat_byte(5).as_slice()
        )));
        assert!(!bloom.contains_input(alloy_primitives::BloomInput::Raw(
            Address::repeat_byte(6).as_slice()
        )));
    }

    #[test]
    fn receipts_root_matches_alloy_reference() {
        let receipts: Vec<Receipt> = (1..30).map(receipt).collect();
        let reference = alloy_consensus::proofs::calculate_receipt_root(&receipts);
        assert_eq!(receipts_root(&receipts), reference);
    }
}
