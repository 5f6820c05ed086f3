//! Integration tests of `ethrex-l2-prover`: a rollup chain built in process on
//! `fixtures/genesis/l2.json` with deposits, transfers and a withdrawal ([`batch`]); the guest's
//! public inputs against values computed here ([`guest`]); tampered inputs ([`tamper`]); the
//! client against small coordinators served on loopback ([`client`]); exec proving speed
//! ([`speed`]). Modules are `#[cfg(test)]` so their helpers count as test code.

#[cfg(test)]
mod batch;
#[cfg(test)]
mod client;
#[cfg(test)]
mod guest;
#[cfg(test)]
mod speed;
#[cfg(test)]
mod tamper;
