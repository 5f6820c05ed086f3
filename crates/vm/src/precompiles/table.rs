//! [`PrecompileTable`]: which precompile runs at which address for one execution, when that
//! differs from the fork's rules (the RPC's state overrides may move a precompile to another
//! address, or replace it by code).
//!
//! An execution without a table (the default) uses the static fork table of `mod.rs` and pays
//! nothing for this one. Only *what runs* at an address follows the table: the addresses warm
//! from the start of a transaction (EIP-2929) stay the fork's precompiles, as in geth.

use alloy_primitives::{Address, map::HashMap};
use ethrex_common::Fork;

use super::{PRECOMPILES, Precompile, PrecompileResult};

/// The precompiles of one execution, each at the address it runs at.
#[derive(Clone)]
pub struct PrecompileTable {
    fork: Fork,
    at: HashMap<Address, &'static Precompile>,
}

impl std::fmt::Debug for PrecompileTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut at: Vec<(Address, Address)> = self
            .at
            .iter()
            .map(|(address, p)| (*address, p.address))
            .collect();
        at.sort();
        f.debug_struct("PrecompileTable")
            .field("fork", &self.fork)
            .field("at", &at)
            .finish()
    }
}

impl PrecompileTable {
    /// The precompiles of `fork`, each at its own address.
    pub fn new(fork: Fork) -> Self {
        let at = PRECOMPILES
            .iter()
            .filter(|p| p.since <= fork)
            .map(|p| (p.address, p))
            .collect();
        Self { fork, at }
    }

    /// Whether a precompile runs at `address`.
    pub fn contains(&self, address: &Address) -> bool {
        self.at.contains_key(address)
    }

    /// Makes `address` a plain account (its code, if any, runs instead); whether a precompile
    /// ran there.
    pub fn remove(&mut self, address: &Address) -> bool {
        self.at.remove(address).is_some()
    }

    /// Makes the precompile running at `from` run at `to` instead (replacing any precompile
    /// there); `from` becomes a plain account. `false`, and nothing changes, if no precompile
    /// runs at `from`.
    pub fn relocate(&mut self, from: &Address, to: Address) -> bool {
        let Some(precompile) = self.at.remove(from) else {
            return false;
        };
        self.at.insert(to, precompile);
        true
    }

    /// Runs the precompile at `address` (`None` if none runs there).
    pub fn execute(
        &self,
        address: &Address,
        input: &[u8],
        gas_limit: u64,
    ) -> Option<PrecompileResult> {
        let precompile = self.at.get(address)?;
        Some((precompile.run)(input, gas_limit, self.fork))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::precompiles::{active_precompiles, execute_precompile, precompile_address};

    const IDENTITY: Address = precompile_address(4);
    const ELSEWHERE: Address = Address::repeat_byte(0x12);

    #[test]
    fn a_new_table_holds_exactly_the_forks_precompiles() {
        for fork in [Fork::Frontier, Fork::Cancun, Fork::Osaka] {
            let table = PrecompileTable::new(fork);
            assert_eq!(table.at.len(), active_precompiles(fork).len(), "{fork:?}");
            assert!(active_precompiles(fork).iter().all(|a| table.contains(a)));
        }
        assert!(!PrecompileTable::new(Fork::Frontier).contains(&precompile_address(5)));
    }

    #[test]
    fn a_relocated_precompile_runs_at_its_new_address_only() {
        let mut table = PrecompileTable::new(Fork::Prague);
        assert!(table.relocate(&IDENTITY, ELSEWHERE));
        assert!(!table.contains(&IDENTITY));
        assert_eq!(table.execute(&IDENTITY, b"abc", 100), None);
        let moved = table.execute(&ELSEWHERE, b"abc", 100).unwrap().unwrap();
        let original = execute_precompile(&IDENTITY, b"abc", 100, Fork::Prague)
            .unwrap()
            .unwrap();
        assert_eq!(moved, original);
    }

    #[test]
    fn relocating_a_plain_account_changes_nothing() {
        let mut table = PrecompileTable::new(Fork::Prague);
        assert!(!table.relocate(&ELSEWHERE, IDENTITY));
        assert!(table.contains(&IDENTITY));
        assert!(!table.contains(&ELSEWHERE));
    }

    #[test]
    fn a_removed_precompile_no_longer_runs() {
        let mut table = PrecompileTable::new(Fork::Prague);
        assert!(table.remove(&IDENTITY));
        assert!(!table.remove(&IDENTITY));
        assert_eq!(table.execute(&IDENTITY, b"abc", 100), None);
    }
}
