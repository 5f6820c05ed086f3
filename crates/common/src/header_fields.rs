//! Which optional block-header fields exist under a fork: the base fee (EIP-1559, London), the
//! withdrawals root (EIP-4895, Shanghai), blob gas used and excess blob gas (EIP-4844, Cancun),
//! the parent beacon block root (EIP-4788, Cancun) and the requests hash (EIP-7685, Prague).
//! Header validation, the payload builder, genesis and `eth_simulateV1` all read it here.

use crate::{Fork, types::Header};

/// The optional header fields a fork's blocks carry (each `true` exactly from its fork on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderFields {
    pub base_fee: bool,
    pub withdrawals_root: bool,
    pub blob_gas_used: bool,
    pub excess_blob_gas: bool,
    pub parent_beacon_block_root: bool,
    pub requests_hash: bool,
}

impl HeaderFields {
    /// The fields of a block under `fork`.
    pub fn of(fork: Fork) -> Self {
        HeaderFields {
            base_fee: fork >= Fork::London,
            withdrawals_root: fork >= Fork::Shanghai,
            blob_gas_used: fork >= Fork::Cancun,
            excess_blob_gas: fork >= Fork::Cancun,
            parent_beacon_block_root: fork >= Fork::Cancun,
            requests_hash: fork >= Fork::Prague,
        }
    }

    /// The fields `header` holds.
    pub fn present_in(header: &Header) -> Self {
        HeaderFields {
            base_fee: header.base_fee_per_gas.is_some(),
            withdrawals_root: header.withdrawals_root.is_some(),
            blob_gas_used: header.blob_gas_used.is_some(),
            excess_blob_gas: header.excess_blob_gas.is_some(),
            parent_beacon_block_root: header.parent_beacon_block_root.is_some(),
            requests_hash: header.requests_hash.is_some(),
        }
    }

    /// Each field with its name and whether it exists, in header order.
    pub fn named(&self) -> [(&'static str, bool); 6] {
        [
            ("base fee", self.base_fee),
            ("withdrawals root", self.withdrawals_root),
            ("blob gas used", self.blob_gas_used),
            ("excess blob gas", self.excess_blob_gas),
            ("parent beacon block root", self.parent_beacon_block_root),
            ("requests hash", self.requests_hash),
        ]
    }

    /// The first field whose presence differs between `self` (the fork's rule) and `actual`
    /// (what a header or payload holds), with whether it is present in `actual`.
    pub fn first_mismatch(&self, actual: &HeaderFields) -> Option<(&'static str, bool)> {
        self.named()
            .into_iter()
            .zip(actual.named())
            .find(|((_, expected), (_, present))| expected != present)
            .map(|(_, (name, present))| (name, present))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_appears_with_its_eip() {
        let count = |fork| {
            HeaderFields::of(fork)
                .named()
                .iter()
                .filter(|f| f.1)
                .count()
        };
        assert_eq!(count(Fork::Berlin), 0);
        assert_eq!(count(Fork::London), 1);
        assert_eq!(count(Fork::Paris), 1);
        assert_eq!(count(Fork::Shanghai), 2);
        assert_eq!(count(Fork::Cancun), 5);
        assert_eq!(count(Fork::Prague), 6);
        assert_eq!(count(Fork::Osaka), 6);
    }

    #[test]
    fn the_first_mismatch_names_the_field() {
        let cancun = HeaderFields::of(Fork::Cancun);
        assert_eq!(cancun.first_mismatch(&cancun), None);
        assert_eq!(
            cancun.first_mismatch(&HeaderFields::of(Fork::Prague)),
            Some(("requests hash", true))
        );
        assert_eq!(
            cancun.first_mismatch(&HeaderFields::of(Fork::Shanghai)),
            Some(("blob gas used", false))
        );
    }
}
