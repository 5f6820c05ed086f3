//! The state interface between the EVM and whatever holds the state: the [`Database`] trait the
//! VM reads through, the [`StateChanges`] it returns, and the implementations every layer shares.
//!
//! - [`AccountInfo`], [`GenesisAccount`]: an account as the VM sees it, and with its code and
//!   storage;
//! - [`Database`] and its error, [`StateError`];
//! - [`StateChanges`], [`AccountChange`]: what executing transactions changed;
//! - [`InMemoryDb`]: a whole state in memory (tests, fixtures, tools);
//! - [`Overlay`]: changes held above another [`Database`] without writing them ([`StateDiff`]
//!   layers of blocks executed but not stored, changes applied in place, block-hash overrides).
//!
//! `ethrex-storage` implements [`Database`] for its state readers; `ethrex-vm` re-exports these
//! types, so neither depends on the other.

mod account;
mod changes;
mod database;
mod error;
mod in_memory;
mod overlay;

pub use account::{AccountInfo, GenesisAccount};
pub use changes::{AccountChange, StateChanges};
pub use database::Database;
pub use error::StateError;
pub use in_memory::InMemoryDb;
pub use overlay::{Overlay, StateDiff};
