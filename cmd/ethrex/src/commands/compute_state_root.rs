//! `ethrex compute-state-root`: prints the state root of a network's genesis allocation.

use ethrex_common::Network;

use super::CliError;

/// Loads the genesis of `network` (a preset name or a genesis file) and prints its state root.
pub fn run(network: &str) -> Result<(), CliError> {
    let network: Network = network.parse()?;
    let genesis = network.genesis()?;
    println!("{}", genesis.state_root()?);
    Ok(())
}
