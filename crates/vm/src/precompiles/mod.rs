//! Precompiled contracts (placeholder; being written).
