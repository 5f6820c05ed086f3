//! `ethrex l2 prover`: polls the sequencer's proof coordinators for batches, proves them and
//! submits the proofs ([`ethrex_l2_prover::ProverClient`]) until the process is stopped.
//!
//! Only the `exec` backend is in this build, and it proves nothing: it re-executes each batch
//! and returns the public values it computed. `sp1`, `risc0` and `tdx` are refused with "<name>
//! is not available in this build" and a non-zero exit, before any connection.

use std::{sync::atomic::AtomicBool, time::Duration};

use clap::{Args, ValueEnum};
use ethrex_l2_prover::{
    ClientConfig, Coordinator, ProverClient, ProverType, client::DEFAULT_IO_TIMEOUT,
};

use crate::commands::CliError;

/// The proving backends `--backend` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// Native re-execution: checks everything, proves nothing.
    Exec,
    /// SP1 (not available in this build).
    Sp1,
    /// RISC Zero (not available in this build).
    Risc0,
    /// Intel TDX (not available in this build).
    Tdx,
}

impl From<Backend> for ProverType {
    fn from(backend: Backend) -> Self {
        match backend {
            Backend::Exec => ProverType::Exec,
            Backend::Sp1 => ProverType::Sp1,
            Backend::Risc0 => ProverType::Risc0,
            Backend::Tdx => ProverType::Tdx,
        }
    }
}

/// `ethrex l2 prover`'s flags.
#[derive(Debug, Args)]
pub struct ProverArgs {
    /// The proving backend.
    #[arg(
        long,
        value_enum,
        default_value = "exec",
        env = "PROVER_CLIENT_BACKEND"
    )]
    pub backend: Backend,
    /// The proof coordinators to poll, each tcp://host:port or http://host:port (both mean a
    /// raw TCP connection speaking the prover protocol).
    #[arg(
        long = "proof-coordinators",
        value_name = "URL",
        num_args = 1..,
        value_delimiter = ',',
        default_value = "tcp://127.0.0.1:3900",
        env = "PROVER_CLIENT_PROOF_COORDINATOR_URL"
    )]
    pub proof_coordinators: Vec<String>,
    /// Milliseconds to wait between two rounds of polls.
    #[arg(
        long = "proving-time",
        value_name = "MS",
        default_value_t = 5000,
        env = "PROVER_CLIENT_PROVING_TIME"
    )]
    pub proving_time: u64,
}

impl ProverArgs {
    /// The client configuration these flags describe (also what `ethrex l2 --dev` runs).
    pub fn client_config(&self) -> Result<ClientConfig, CliError> {
        let coordinators = self
            .proof_coordinators
            .iter()
            .map(|url| Coordinator::parse(url))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CliError::InvalidArgs(format!("--proof-coordinators: {e}")))?;
        Ok(ClientConfig {
            prover_type: self.backend.into(),
            coordinators,
            proving_time: Duration::from_millis(self.proving_time),
            io_timeout: DEFAULT_IO_TIMEOUT,
        })
    }
}

/// Runs `ethrex l2 prover` until the process is stopped.
pub fn run(args: &ProverArgs) -> Result<(), CliError> {
    let config = args.client_config()?;
    let client = ProverClient::new(config).map_err(|e| CliError::InvalidArgs(e.to_string()))?;
    let urls: Vec<&str> = client
        .config()
        .coordinators
        .iter()
        .map(|c| c.url.as_str())
        .collect();
    tracing::info!(
        backend = %client.config().prover_type,
        coordinators = ?urls,
        proving_time_ms = args.proving_time,
        "prover started (exec proves nothing: it re-executes and checks)"
    );
    client.run(&AtomicBool::new(false));
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Debug, Parser)]
    struct Prover {
        #[command(flatten)]
        args: ProverArgs,
    }

    fn parse(args: &[&str]) -> Result<ProverArgs, clap::Error> {
        Prover::try_parse_from(std::iter::once("prover").chain(args.iter().copied()))
            .map(|p| p.args)
    }

    #[test]
    fn defaults_are_the_issues() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.backend, Backend::Exec);
        assert_eq!(args.proof_coordinators, vec!["tcp://127.0.0.1:3900"]);
        assert_eq!(args.proving_time, 5000);
        let config = args.client_config().unwrap();
        assert_eq!(config.prover_type, ProverType::Exec);
        assert_eq!(config.coordinators[0].address, "127.0.0.1:3900");
        assert_eq!(config.proving_time, Duration::from_secs(5));
    }

    #[test]
    fn every_flag_has_its_prover_client_variable() {
        let command = Prover::command();
        let envs: Vec<(String, String)> = command
            .get_arguments()
            .filter_map(|arg| {
                Some((
                    arg.get_long()?.to_string(),
                    arg.get_env()?.to_string_lossy().into_owned(),
                ))
            })
            .collect();
        let expected = [
            ("backend", "PROVER_CLIENT_BACKEND"),
            ("proof-coordinators", "PROVER_CLIENT_PROOF_COORDINATOR_URL"),
            ("proving-time", "PROVER_CLIENT_PROVING_TIME"),
        ];
        assert_eq!(envs.len(), expected.len(), "{envs:?}");
        for (flag, env) in expected {
            assert!(
                envs.contains(&(flag.to_string(), env.to_string())),
                "--{flag} ↔ {env}: {envs:?}"
            );
        }
    }

    #[test]
    fn several_coordinators_and_bad_urls() {
        let args = parse(&[
            "--proof-coordinators",
            "tcp://127.0.0.1:1",
            "http://localhost:2",
            "--backend",
            "sp1",
        ])
        .unwrap();
        assert_eq!(args.backend, Backend::Sp1);
        assert_eq!(args.client_config().unwrap().coordinators.len(), 2);
        let args = parse(&["--proof-coordinators", "tcp://a:1,tcp://b:2"]).unwrap();
        assert_eq!(args.proof_coordinators, vec!["tcp://a:1", "tcp://b:2"]);
        let err = parse(&["--proof-coordinators", "127.0.0.1:3900"])
            .unwrap()
            .client_config()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--proof-coordinators: "), "{err}");
        assert!(parse(&["--backend", "zisk"]).is_err());
    }
}
