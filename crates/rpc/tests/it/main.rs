//! Integration tests of `ethrex-rpc` through its method table, in one test binary. Modules are
//! `#[cfg(test)]` so their helpers count as test code.

#[cfg(test)]
mod execution;
