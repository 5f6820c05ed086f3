//! Integration tests of `ethrex-storage` through its public API, in one test binary (RocksDB
//! linked once). Modules are `#[cfg(test)]` so their helpers count as test code.

#[cfg(test)]
mod crash;
