//! The system contracts Prague's block processing calls (EIP-4788, EIP-2935, EIP-7002,
//! EIP-7251): defined in `ethrex-common` (which the dev genesis shares), re-exported here.

pub use ethrex_common::system_contracts::SYSTEM_CONTRACTS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_addresses_match_the_block_processing_ones() {
        use ethrex_blockchain::requests::{
            CONSOLIDATION_REQUEST_CONTRACT, WITHDRAWAL_REQUEST_CONTRACT,
        };
        assert_eq!(SYSTEM_CONTRACTS[2].address, WITHDRAWAL_REQUEST_CONTRACT);
        assert_eq!(SYSTEM_CONTRACTS[3].address, CONSOLIDATION_REQUEST_CONTRACT);
        let sizes: Vec<usize> = SYSTEM_CONTRACTS.iter().map(|c| c.code.len()).collect();
        assert_eq!(sizes, [97, 83, 504, 414]);
    }
}
