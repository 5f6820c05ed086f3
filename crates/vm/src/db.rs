//! The state interface the VM reads through, defined in `ethrex_common::state` so that storage
//! implements it without depending on the VM: the [`Database`] trait, the [`StateChanges`] the
//! VM returns, the shared [`InMemoryDb`] and [`Overlay`]. Re-exported at the crate root.

pub use ethrex_common::state::{
    AccountChange, AccountInfo, Database, GenesisAccount, InMemoryDb, Overlay, StateChanges,
    StateDiff, StateError,
};
