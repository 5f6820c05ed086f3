//! The Ethereum hard forks ethrex knows, in activation order.
//!
//! `Fork` is totally ordered: a rule enabled by fork `F` applies when `fork >= F`. Forks that
//! only move the difficulty bomb (Muir Glacier, Arrow Glacier, Gray Glacier) change no execution
//! rule but are kept because they change the EIP-2124 fork identifier and the difficulty formula.

use std::{fmt, str::FromStr};

/// A hard fork of Ethereum mainnet, Frontier through Osaka and the blob-parameter-only forks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fork {
    Frontier,
    Homestead,
    /// The DAO fork block (irregular state change; no rule change).
    DaoFork,
    /// EIP-150 gas repricing ("Tangerine Whistle").
    Tangerine,
    /// EIP-155/158/161 ("Spurious Dragon").
    SpuriousDragon,
    Byzantium,
    Constantinople,
    Petersburg,
    Istanbul,
    MuirGlacier,
    Berlin,
    London,
    ArrowGlacier,
    GrayGlacier,
    /// The merge (proof of stake); "Paris".
    Paris,
    Shanghai,
    Cancun,
    Prague,
    Osaka,
    Bpo1,
    Bpo2,
    Bpo3,
    Bpo4,
    Bpo5,
}

impl Fork {
    /// Every fork, in activation order.
    pub const ALL: [Fork; 24] = [
        Fork::Frontier,
        Fork::Homestead,
        Fork::DaoFork,
        Fork::Tangerine,
        Fork::SpuriousDragon,
        Fork::Byzantium,
        Fork::Constantinople,
        Fork::Petersburg,
        Fork::Istanbul,
        Fork::MuirGlacier,
        Fork::Berlin,
        Fork::London,
        Fork::ArrowGlacier,
        Fork::GrayGlacier,
        Fork::Paris,
        Fork::Shanghai,
        Fork::Cancun,
        Fork::Prague,
        Fork::Osaka,
        Fork::Bpo1,
        Fork::Bpo2,
        Fork::Bpo3,
        Fork::Bpo4,
        Fork::Bpo5,
    ];

    /// The canonical name, as execution-spec-tests and geth spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Fork::Frontier => "Frontier",
            Fork::Homestead => "Homestead",
            Fork::DaoFork => "DAOFork",
            Fork::Tangerine => "Tangerine",
            Fork::SpuriousDragon => "SpuriousDragon",
            Fork::Byzantium => "Byzantium",
            Fork::Constantinople => "Constantinople",
            Fork::Petersburg => "Petersburg",
            Fork::Istanbul => "Istanbul",
            Fork::MuirGlacier => "MuirGlacier",
            Fork::Berlin => "Berlin",
            Fork::London => "London",
            Fork::ArrowGlacier => "ArrowGlacier",
            Fork::GrayGlacier => "GrayGlacier",
            Fork::Paris => "Paris",
            Fork::Shanghai => "Shanghai",
            Fork::Cancun => "Cancun",
            Fork::Prague => "Prague",
            Fork::Osaka => "Osaka",
            Fork::Bpo1 => "BPO1",
            Fork::Bpo2 => "BPO2",
            Fork::Bpo3 => "BPO3",
            Fork::Bpo4 => "BPO4",
            Fork::Bpo5 => "BPO5",
        }
    }

    /// The key of this fork in a genesis file's `blobSchedule`, for forks that may carry one.
    pub const fn blob_schedule_key(self) -> Option<&'static str> {
        match self {
            Fork::Cancun => Some("cancun"),
            Fork::Prague => Some("prague"),
            Fork::Osaka => Some("osaka"),
            Fork::Bpo1 => Some("bpo1"),
            Fork::Bpo2 => Some("bpo2"),
            Fork::Bpo3 => Some("bpo3"),
            Fork::Bpo4 => Some("bpo4"),
            Fork::Bpo5 => Some("bpo5"),
            _ => None,
        }
    }

    /// Whether this fork is activated by timestamp (Shanghai and later) rather than block number.
    pub const fn is_timestamp_based(self) -> bool {
        matches!(
            self,
            Fork::Shanghai
                | Fork::Cancun
                | Fork::Prague
                | Fork::Osaka
                | Fork::Bpo1
                | Fork::Bpo2
                | Fork::Bpo3
                | Fork::Bpo4
                | Fork::Bpo5
        )
    }
}

impl fmt::Display for Fork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error of [`Fork::from_str`]: the name of no known fork.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fork name {0:?}")]
pub struct UnknownFork(pub String);

impl FromStr for Fork {
    type Err = UnknownFork;

    /// Parses the canonical names and the aliases used by the test fixtures and other clients
    /// (`EIP150`, `EIP158`, `ConstantinopleFix`, `Merge`, `Prague`, ...), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        let fork = match lower.as_str() {
            "eip150" | "tangerinewhistle" => Fork::Tangerine,
            "eip158" | "spuriousdragon" => Fork::SpuriousDragon,
            "constantinoplefix" => Fork::Petersburg,
            "merge" | "paris" => Fork::Paris,
            "dao" | "daofork" => Fork::DaoFork,
            other => Fork::ALL
                .into_iter()
                .find(|f| f.name().eq_ignore_ascii_case(other))
                .ok_or_else(|| UnknownFork(s.to_string()))?,
        };
        Ok(fork)
    }
}

impl serde::Serialize for Fork {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Fork {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forks_are_ordered_by_activation() {
        assert!(Fork::ALL.windows(2).all(|w| w[0] < w[1]));
        assert!(Fork::Frontier < Fork::Osaka);
    }

    #[test]
    fn fixture_names_parse_to_forks() {
        for (name, fork) in [
            ("Frontier", Fork::Frontier),
            ("EIP150", Fork::Tangerine),
            ("EIP158", Fork::SpuriousDragon),
            ("ConstantinopleFix", Fork::Petersburg),
            ("Merge", Fork::Paris),
            ("Paris", Fork::Paris),
            ("Osaka", Fork::Osaka),
            ("BPO2", Fork::Bpo2),
        ] {
            assert_eq!(name.parse::<Fork>(), Ok(fork), "{name}");
        }
        assert_eq!(
            "Amsterdam".parse::<Fork>(),
            Err(UnknownFork("Amsterdam".into()))
        );
    }

    #[test]
    fn canonical_names_roundtrip() {
        for fork in Fork::ALL {
            assert_eq!(fork.name().parse::<Fork>(), Ok(fork));
        }
    }
}
