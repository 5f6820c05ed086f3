//! `ethrex l2 deploy`: deploys the rollup's L1 contracts with `ethrex_l2_sdk::deploy` (see its
//! docs for the order and the ownership hand-over), printing one line per transaction, then
//! prints the two addresses the sequencer needs and writes them to `--env-file-path`.
//!
//! Guarantees: bad flags (a missing key, a proof required without its verifier, a verifier
//! without its proof) are refused before any transaction; an unreachable L1 is an error naming
//! its URL; the env file keeps its other lines (the two keys are replaced or appended).

use std::path::{Path, PathBuf};

use clap::Args;
use ethrex_common::{Address, Genesis};
use ethrex_l2_sdk::{
    EthClient,
    create2::random_salt,
    deploy::{DEFAULT_SALT, DeployOptions, Deployed, Verifier, deploy},
    tx::Signer,
};

use crate::commands::CliError;

/// How long to wait for each transaction's receipt.
const RECEIPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// `ethrex l2 deploy`'s flags.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// JSON-RPC URL of the L1 to deploy on (http:// or https://).
    #[arg(
        long = "eth-rpc-url",
        value_name = "URL",
        default_value = "http://localhost:8545",
        env = "ETHREX_ETH_RPC_URL"
    )]
    pub eth_rpc_url: String,
    /// Private key (64 hex digits) of the account that sends and pays for every transaction.
    #[arg(
        long = "private-key",
        value_name = "KEY",
        env = "ETHREX_DEPLOYER_PRIVATE_KEY",
        hide_env_values = true
    )]
    pub private_key: String,
    /// The L2 genesis file: its state root becomes batch 0, its chain id the proposer's.
    #[arg(
        long = "genesis-l2-path",
        value_name = "PATH",
        default_value = "fixtures/genesis/l2.json",
        env = "ETHREX_DEPLOYER_GENESIS_L2_PATH"
    )]
    pub genesis_l2_path: PathBuf,
    /// Owner of the CommonBridge (may upgrade it). [default: the deployer]
    #[arg(
        long = "bridge-owner",
        value_name = "ADDRESS",
        env = "ETHREX_DEPLOYER_BRIDGE_OWNER"
    )]
    pub bridge_owner: Option<Address>,
    /// Owner of the OnChainProposer (may upgrade it). The deployer owns it until the bridge is
    /// set; another owner then becomes its pending owner and must call acceptOwnership() on the
    /// proposer. [default: the deployer]
    #[arg(
        long = "on-chain-proposer-owner",
        value_name = "ADDRESS",
        env = "ETHREX_DEPLOYER_ON_CHAIN_PROPOSER_OWNER"
    )]
    pub on_chain_proposer_owner: Option<Address>,
    /// L1 address of the committer (an authorized sequencer: commits batches).
    #[arg(
        long = "committer.l1-address",
        value_name = "ADDRESS",
        env = "ETHREX_COMMITTER_L1_ADDRESS"
    )]
    pub committer: Address,
    /// L1 address of the proof sender (an authorized sequencer: verifies batches).
    #[arg(
        long = "proof-sender.l1-address",
        value_name = "ADDRESS",
        env = "ETHREX_PROOF_SENDER_L1_ADDRESS"
    )]
    pub proof_sender: Address,
    /// File the contract addresses are written to (ETHREX_WATCHER_BRIDGE_ADDRESS and
    /// ETHREX_COMMITTER_ON_CHAIN_PROPOSER_ADDRESS lines; its other lines are kept).
    #[arg(
        long = "env-file-path",
        value_name = "PATH",
        default_value = ".env",
        env = "ETHREX_DEPLOYER_ENV_FILE_PATH"
    )]
    pub env_file_path: PathBuf,
    /// Deploy with a random CREATE2 salt instead of the fixed one (the fixed salt gives the same
    /// addresses on every L1, and refuses a second deployment with the same arguments).
    #[arg(
        long = "randomize-contract-deployment",
        env = "ETHREX_DEPLOYER_RANDOMIZE_CONTRACT_DEPLOYMENT"
    )]
    pub randomize_contract_deployment: bool,
    /// Seconds a deposit may wait before batches must include it (forced inclusion).
    #[arg(
        long = "inclusion-max-wait",
        value_name = "SECONDS",
        default_value_t = 1800,
        env = "ETHREX_DEPLOYER_INCLUSION_MAX_WAIT"
    )]
    pub inclusion_max_wait: u64,
    /// Require an SP1 proof for every batch (needs --sp1.verifier-address).
    #[arg(long = "sp1", value_name = "BOOL", default_value_t = false, action = clap::ArgAction::Set, env = "ETHREX_DEPLOYER_SP1")]
    pub sp1: bool,
    /// The SP1 verifier contract (only with --sp1 true).
    #[arg(
        long = "sp1.verifier-address",
        value_name = "ADDRESS",
        env = "ETHREX_SP1_VERIFIER_ADDRESS"
    )]
    pub sp1_verifier_address: Option<Address>,
    /// Require a RISC0 proof for every batch (needs --risc0.verifier-address).
    #[arg(long = "risc0", value_name = "BOOL", default_value_t = false, action = clap::ArgAction::Set, env = "ETHREX_DEPLOYER_RISC0")]
    pub risc0: bool,
    /// The RISC0 verifier contract (only with --risc0 true).
    #[arg(
        long = "risc0.verifier-address",
        value_name = "ADDRESS",
        env = "ETHREX_RISC0_VERIFIER_ADDRESS"
    )]
    pub risc0_verifier_address: Option<Address>,
    /// Require a TDX attestation for every batch (needs --tdx.verifier-address).
    #[arg(long = "tdx", value_name = "BOOL", default_value_t = false, action = clap::ArgAction::Set, env = "ETHREX_DEPLOYER_TDX")]
    pub tdx: bool,
    /// The TDX verifier contract (only with --tdx true).
    #[arg(
        long = "tdx.verifier-address",
        value_name = "ADDRESS",
        env = "ETHREX_TDX_VERIFIER_ADDRESS"
    )]
    pub tdx_verifier_address: Option<Address>,
}

/// Runs `ethrex l2 deploy`.
pub fn run(args: &DeployArgs) -> Result<(), CliError> {
    let deployer = Signer::from_hex(&args.private_key)
        .map_err(|e| CliError::InvalidArgs(format!("--private-key: {e}")))?;
    let sp1 = verifier("sp1", args.sp1, args.sp1_verifier_address)?;
    let risc0 = verifier("risc0", args.risc0, args.risc0_verifier_address)?;
    let tdx = verifier("tdx", args.tdx, args.tdx_verifier_address)?;
    let options = DeployOptions {
        l2_genesis: Genesis::from_file(&args.genesis_l2_path)?,
        bridge_owner: args.bridge_owner.unwrap_or(deployer.address()),
        on_chain_proposer_owner: args.on_chain_proposer_owner.unwrap_or(deployer.address()),
        committer: args.committer,
        proof_sender: args.proof_sender,
        salt: if args.randomize_contract_deployment {
            random_salt()
        } else {
            DEFAULT_SALT
        },
        inclusion_max_wait: args.inclusion_max_wait,
        sp1,
        risc0,
        tdx,
        receipt_timeout: RECEIPT_TIMEOUT,
        deployer,
    };
    let client = EthClient::new(&args.eth_rpc_url)?;
    let chain_id = client.chain_id()?;
    println!(
        "deploying on L1 chain {chain_id} at {} from {} (salt {})",
        args.eth_rpc_url,
        options.deployer.address(),
        options.salt
    );
    let deployed = deploy(&client, &options, &mut |line| println!("{line}"))?;
    report(&deployed, &options, &args.env_file_path)
}

/// Prints the addresses and writes them to the env file.
fn report(deployed: &Deployed, options: &DeployOptions, env_file: &Path) -> Result<(), CliError> {
    println!(
        "OnChainProposer implementation {}, CommonBridge implementation {}; batch 0 state root {}",
        deployed.on_chain_proposer_implementation,
        deployed.bridge_implementation,
        deployed.genesis_state_root
    );
    if deployed.ownership_pending {
        println!(
            "OnChainProposer ownership pending: {} must call acceptOwnership() on {}",
            options.on_chain_proposer_owner, deployed.on_chain_proposer
        );
    }
    let lines = deployed.env_lines();
    print!("{lines}");
    write_env_file(env_file, &lines)?;
    println!("wrote {}", env_file.display());
    Ok(())
}

/// A proof system's verifier from its two flags: required exactly when `--<name> true`, which
/// needs the address; an address without `--<name> true` is refused too.
fn verifier(name: &str, required: bool, address: Option<Address>) -> Result<Verifier, CliError> {
    match (required, address) {
        (true, Some(address)) if !address.is_zero() => Ok(Verifier { required, address }),
        (true, _) => Err(CliError::InvalidArgs(format!(
            "--{name} true needs a non-zero --{name}.verifier-address"
        ))),
        (false, Some(_)) => Err(CliError::InvalidArgs(format!(
            "--{name}.verifier-address is only used with --{name} true"
        ))),
        (false, None) => Ok(Verifier::default()),
    }
}

/// Sets `lines` (`KEY=value` each) in the env file at `path`: a line with the same key is
/// replaced, a new key appended, every other line kept.
pub(super) fn write_env_file(path: &Path, lines: &str) -> Result<(), CliError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(CliError::Io(format!("{}: {e}", path.display()))),
    };
    let updated = merge_env(&existing, lines);
    std::fs::write(path, updated).map_err(|e| CliError::Io(format!("{}: {e}", path.display())))
}

/// `existing` with the `KEY=value` lines of `lines` set (see [`write_env_file`]).
fn merge_env(existing: &str, lines: &str) -> String {
    let key = |line: &str| line.split_once('=').map(|(k, _)| k.trim().to_string());
    let new: Vec<(String, &str)> = lines
        .lines()
        .filter_map(|line| Some((key(line)?, line)))
        .collect();
    let mut out = Vec::new();
    let mut written = vec![false; new.len()];
    for line in existing.lines() {
        match new.iter().position(|(k, _)| key(line).as_ref() == Some(k)) {
            Some(i) if !written[i] => {
                out.push(new[i].1);
                written[i] = true;
            }
            Some(_) => {}
            None => out.push(line),
        }
    }
    for (i, (_, line)) in new.iter().enumerate() {
        if !written[i] {
            out.push(line);
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Parses `ethrex l2 deploy <args>` as the binary does.
    #[derive(Debug, clap::Parser)]
    struct Deploy {
        #[command(flatten)]
        args: DeployArgs,
    }

    #[test]
    fn every_flag_has_an_ethrex_environment_variable() {
        let command = Deploy::command();
        let mut flags = 0;
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if long == "help" {
                continue;
            }
            flags += 1;
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            assert!(
                env.as_deref().is_some_and(|e| e.starts_with("ETHREX_")),
                "--{long}: {env:?}"
            );
        }
        assert_eq!(flags, 16, "the flags of issue 14's deliverable 8");
    }

    #[test]
    fn defaults_follow_the_issue() {
        let parsed = <Deploy as clap::Parser>::try_parse_from([
            "deploy",
            "--private-key",
            "0x01",
            "--committer.l1-address",
            "0x0000000000000000000000000000000000000001",
            "--proof-sender.l1-address",
            "0x0000000000000000000000000000000000000002",
        ])
        .unwrap()
        .args;
        assert_eq!(parsed.inclusion_max_wait, 1800);
        assert_eq!(parsed.env_file_path, PathBuf::from(".env"));
        assert!(!parsed.randomize_contract_deployment);
        assert!(!parsed.sp1 && !parsed.risc0 && !parsed.tdx);
        assert_eq!(parsed.bridge_owner, None);
    }

    #[test]
    fn env_files_keep_other_lines_and_replace_the_addresses() {
        let lines = "A=1\nB=2\n";
        assert_eq!(merge_env("", lines), "A=1\nB=2\n");
        assert_eq!(merge_env("X=9\nA=0\n# c\n", lines), "X=9\nA=1\n# c\nB=2\n");
        assert_eq!(merge_env("A=0\nA=5", lines), "A=1\nB=2\n");
    }

    #[test]
    fn a_verifier_goes_with_its_proof_requirement() {
        let at = Address::repeat_byte(1);
        assert_eq!(
            verifier("sp1", true, Some(at)).unwrap(),
            Verifier {
                required: true,
                address: at
            }
        );
        assert_eq!(verifier("sp1", false, None).unwrap(), Verifier::default());
        let missing = verifier("sp1", true, None).unwrap_err().to_string();
        assert!(missing.contains("--sp1.verifier-address"), "{missing}");
        let zero = verifier("tdx", true, Some(Address::ZERO))
            .unwrap_err()
            .to_string();
        assert!(zero.contains("--tdx.verifier-address"), "{zero}");
        let unused = verifier("risc0", false, Some(at)).unwrap_err().to_string();
        assert!(unused.contains("only used with --risc0 true"), "{unused}");
    }
}
