//! Differential testing of the ethrex EVM against revm (being written).
