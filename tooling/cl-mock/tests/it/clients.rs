//! Cross-checks with real clients (geth, ethereumjs); see `make cl-mock-clients`.
