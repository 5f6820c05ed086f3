//! Integration tests of `ethrex-vm` through its public API, in one test binary: transactions
//! over an in-memory state, malformed programs, call depth, tracers. (The precompile fixtures
//! under `tests/precompiles/` are read by the crate's unit tests.) Modules are `#[cfg(test)]`
//! so their helpers count as test code.

#[cfg(test)]
mod l2_hook;
#[cfg(test)]
mod transact;
