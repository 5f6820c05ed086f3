//! The proving backends, by [`ProverType`]. Only `exec` is in this build: it runs the guest
//! ([`crate::guest::execute_batch`]) natively and returns its 256 bytes of public values with
//! no proof — it proves nothing, it re-executes and checks. `sp1`, `risc0` and `tdx` are real
//! names whose toolchains this build lacks: they fail with "<name> is not available in this
//! build", never with a stub that claims a proof.

use alloy_primitives::Bytes;
use ethrex_l2_common::protocol::{BatchProof, ProverInput, ProverType};

use crate::{Error, Result, guest};

/// Whether this build can prove with `prover_type`.
pub fn is_available(prover_type: ProverType) -> bool {
    matches!(prover_type, ProverType::Exec)
}

/// Fails unless this build has the backend `prover_type`.
pub fn check_available(prover_type: ProverType) -> Result<()> {
    if is_available(prover_type) {
        Ok(())
    } else {
        Err(Error::BackendUnavailable(prover_type))
    }
}

/// The public values `exec` computes for `input`: the guest's public inputs, encoded.
pub fn exec_public_values(input: &ProverInput) -> Result<[u8; 256]> {
    Ok(guest::execute_batch(input)?.encode())
}

/// Proves `input` with `prover_type`.
pub fn prove(prover_type: ProverType, input: &ProverInput) -> Result<BatchProof> {
    check_available(prover_type)?;
    Ok(BatchProof {
        prover_type,
        public_values: Bytes::copy_from_slice(&exec_public_values(input)?),
        proof: Bytes::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exec_is_available_and_the_others_say_so() {
        assert!(check_available(ProverType::Exec).is_ok());
        for (prover_type, name) in [
            (ProverType::Sp1, "sp1"),
            (ProverType::Risc0, "risc0"),
            (ProverType::Tdx, "tdx"),
        ] {
            let err = check_available(prover_type).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{name} is not available in this build")
            );
        }
    }

    #[test]
    fn an_absent_backend_refuses_before_looking_at_the_input() {
        let input = ProverInput {
            blocks: vec![],
            execution_witness: ethrex_l2_common::protocol::BatchWitness {
                chain_config: Default::default(),
                blocks: vec![],
            },
            elasticity_multiplier: 2,
            fee_configs: vec![],
            blob_commitment: Bytes::new(),
            blob_proof: Bytes::new(),
        };
        let err = prove(ProverType::Sp1, &input).unwrap_err();
        assert_eq!(err.to_string(), "sp1 is not available in this build");
        let err = prove(ProverType::Exec, &input).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the batch does not prove: the batch has no blocks"
        );
    }
}
