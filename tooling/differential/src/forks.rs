//! The forks the differential test covers, and each one's revm [`SpecId`].
//!
//! Constantinople is left out: revm has no spec for it (its EIP-1283 never went live and
//! Petersburg removed it). Paris is revm's `MERGE`. The blob-parameter-only forks BPO1 and BPO2
//! run as revm's `OSAKA` with mainnet's blob parameters for them (so ethrex must treat them
//! exactly as Osaka but for the blob fee); BPO3-5 have no mainnet parameters and are left out.

use ethrex_common::{BlobParams, Fork};
use revm::primitives::hardfork::SpecId;

/// The covered forks, with the weight each is drawn with (recent forks more often).
pub const FORKS: [(Fork, u32); 16] = [
    (Fork::Frontier, 1),
    (Fork::Homestead, 1),
    (Fork::Tangerine, 1),
    (Fork::SpuriousDragon, 1),
    (Fork::Byzantium, 2),
    (Fork::Petersburg, 2),
    (Fork::Istanbul, 2),
    (Fork::Berlin, 3),
    (Fork::London, 3),
    (Fork::Paris, 2),
    (Fork::Shanghai, 3),
    (Fork::Cancun, 5),
    (Fork::Prague, 6),
    (Fork::Osaka, 6),
    (Fork::Bpo1, 1),
    (Fork::Bpo2, 1),
];

/// The revm spec with the same execution rules as `fork` (`None` for forks revm does not have;
/// the DAO and difficulty-bomb forks change no execution rule and map to their predecessor).
pub fn revm_spec(fork: Fork) -> Option<SpecId> {
    Some(match fork {
        Fork::Frontier => SpecId::FRONTIER,
        Fork::Homestead => SpecId::HOMESTEAD,
        Fork::DaoFork => SpecId::HOMESTEAD,
        Fork::Tangerine => SpecId::TANGERINE,
        Fork::SpuriousDragon => SpecId::SPURIOUS_DRAGON,
        Fork::Byzantium => SpecId::BYZANTIUM,
        Fork::Petersburg => SpecId::PETERSBURG,
        Fork::Istanbul => SpecId::ISTANBUL,
        Fork::MuirGlacier => SpecId::ISTANBUL,
        Fork::Berlin => SpecId::BERLIN,
        Fork::London => SpecId::LONDON,
        Fork::ArrowGlacier | Fork::GrayGlacier => SpecId::LONDON,
        Fork::Paris => SpecId::MERGE,
        Fork::Shanghai => SpecId::SHANGHAI,
        Fork::Cancun => SpecId::CANCUN,
        Fork::Prague => SpecId::PRAGUE,
        Fork::Osaka | Fork::Bpo1 | Fork::Bpo2 => SpecId::OSAKA,
        Fork::Constantinople | Fork::Bpo3 | Fork::Bpo4 | Fork::Bpo5 => return None,
    })
}

/// The blob parameters in force under a covered fork (`None` before Cancun): mainnet's.
pub fn blob_params(fork: Fork) -> Option<BlobParams> {
    match fork {
        f if f < Fork::Cancun => None,
        Fork::Cancun => Some(BlobParams::CANCUN),
        Fork::Bpo1 => Some(BlobParams {
            target: 10,
            max: 15,
            base_fee_update_fraction: 8_346_193,
        }),
        Fork::Bpo2 => Some(BlobParams {
            target: 14,
            max: 21,
            base_fee_update_fraction: 11_684_671,
        }),
        _ => Some(BlobParams::PRAGUE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_covered_fork_has_a_revm_spec_in_the_same_order() {
        let specs: Vec<SpecId> = FORKS.iter().map(|(f, _)| revm_spec(*f).unwrap()).collect();
        assert!(specs.windows(2).all(|w| w[0] <= w[1]));
        assert!(FORKS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
