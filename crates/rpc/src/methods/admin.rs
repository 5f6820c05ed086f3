//! `admin_nodeInfo`: the node as geth describes it — its p2p identity (id, enode URL, ENR, IP,
//! ports, listening address: [`NodeIdentity`], given by the binary) and, under
//! `protocols.eth`, the chain it follows: network id, the head's total difficulty, the genesis
//! hash, the chain config (geth's genesis `config` object) and the head hash.
//!
//! The store keeps no total difficulty: it is summed over the headers back to the genesis once,
//! then kept with the head it belongs to ([`TdCache`]), so later calls only add the blocks
//! since (or walk back to the genesis after a reorg below the cached head). It is a JSON number
//! when it fits in 64 bits, else a decimal string.

use std::sync::{Mutex, PoisonError};

use alloy_primitives::{B256, U256};
use ethrex_common::{ChainConfig, Fork, types::Header};
use serde_json::{Map, Value, json};

use super::params::Params;
use crate::{RpcContext, RpcError};

/// The total difficulty of the last head asked for: `(number, hash, total difficulty)`.
#[derive(Debug, Default)]
pub struct TdCache(Mutex<Option<(u64, B256, U256)>>);

/// `admin_nodeInfo`.
pub fn node_info(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let node = ctx
        .node
        .as_ref()
        .ok_or_else(|| RpcError::server("this node has no p2p identity"))?;
    let head = ctx
        .store
        .head_header()?
        .ok_or_else(|| RpcError::internal("the store has no head block"))?;
    let genesis = ctx
        .store
        .canonical_hash(0)?
        .ok_or_else(|| RpcError::internal("the store has no genesis block"))?;
    let config = ctx.chain.config();
    let difficulty = total_difficulty(ctx, &head)?;
    let difficulty =
        u64::try_from(difficulty).map_or_else(|_| json!(difficulty.to_string()), |d| json!(d));
    Ok(json!({
        "id": node.id,
        "name": ctx.client_version,
        "enode": node.enode,
        "enr": node.enr,
        "ip": node.ip.to_string(),
        "ports": { "discovery": node.discovery_port, "listener": node.listener_port },
        "listenAddr": node.listen_addr.to_string(),
        "protocols": {
            "eth": {
                "network": config.chain_id,
                "difficulty": difficulty,
                "genesis": genesis,
                "config": config_json(config)?,
                "head": head.hash_slow(),
            }
        },
    }))
}

/// The chain config as geth's genesis `config` object: unset fields left out, the blob
/// schedule keyed by geth's fork names.
fn config_json(config: &ChainConfig) -> Result<Value, RpcError> {
    let Value::Object(fields) = serde_json::to_value(config)
        .map_err(|e| RpcError::internal(format!("cannot serialize the chain config: {e}")))?
    else {
        return Err(RpcError::internal("the chain config is not a JSON object"));
    };
    let mut out: Map<String, Value> = fields.into_iter().filter(|(_, v)| !v.is_null()).collect();
    let schedule: Map<String, Value> = config
        .blob_schedule
        .iter()
        .filter_map(|(fork, params): (&Fork, _)| {
            Some((fork.blob_schedule_key()?.to_string(), json!(params)))
        })
        .collect();
    out.insert("blobSchedule".into(), Value::Object(schedule));
    Ok(Value::Object(out))
}

/// The total difficulty of `head`: the sum of the difficulties from the genesis to it.
fn total_difficulty(ctx: &RpcContext, head: &Header) -> Result<U256, RpcError> {
    let cached = *ctx
        .td_cache
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let mut sum = U256::ZERO;
    let mut header = head.clone();
    let mut hash = header.hash_slow();
    loop {
        if let Some((number, cached_hash, td)) = cached
            && number == header.number
            && cached_hash == hash
        {
            sum += td;
            break;
        }
        sum += header.difficulty;
        if header.number == 0 {
            break;
        }
        hash = header.parent_hash;
        header = ctx
            .store
            .header_by_hash(&hash)?
            .ok_or_else(|| RpcError::internal(format!("ancestor block {hash} is missing")))?;
    }
    *ctx.td_cache
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some((head.number, head.hash_slow(), sum));
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use std::{net::IpAddr, sync::Arc};

    use serde_json::json;

    use crate::{
        NodeIdentity,
        methods::test_chain::{TestChain, test_chain},
    };

    fn identity() -> NodeIdentity {
        NodeIdentity {
            id: "a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7".into(),
            enode: "enode://ca63@127.0.0.1:30303?discport=30301".into(),
            enr: "enr:-IS4Q".into(),
            ip: IpAddr::from([127, 0, 0, 1]),
            discovery_port: 30301,
            listener_port: 30303,
            listen_addr: "0.0.0.0:30303".parse().unwrap(),
        }
    }

    #[test]
    fn node_info_has_geths_shape() {
        let mut chain = test_chain!(u64::MAX);
        chain.ctx.node = Some(Arc::new(identity()));
        let info = chain.ok("admin_nodeInfo", json!([]));
        let head = chain.ok("eth_getBlockByNumber", json!(["latest", false]));
        let genesis = chain.ok("eth_getBlockByNumber", json!(["0x0", false]));
        assert_eq!(info["id"], identity().id);
        assert_eq!(info["name"], chain.ok("web3_clientVersion", json!([])));
        assert_eq!(info["enode"], identity().enode);
        assert_eq!(info["enr"], identity().enr);
        assert_eq!(info["ip"], "127.0.0.1");
        assert_eq!(
            info["ports"],
            json!({ "discovery": 30301, "listener": 30303 })
        );
        assert_eq!(info["listenAddr"], "0.0.0.0:30303");
        let eth = &info["protocols"]["eth"];
        assert_eq!(eth["network"], json!(3503995874084926u64));
        assert_eq!(eth["genesis"], genesis["hash"]);
        assert_eq!(eth["head"], head["hash"]);
        assert_eq!(eth["config"]["chainId"], json!(3503995874084926u64));
        assert_eq!(eth["config"]["cancunTime"], json!(420));
        assert_eq!(eth["config"]["blobSchedule"]["cancun"]["max"], json!(6));
        assert!(
            eth["config"].get("daoForkBlock").is_none(),
            "unset forks left out"
        );
        // The chain merged at total difficulty 4732352 (its terminal total difficulty is met).
        let td = eth["difficulty"].as_u64().unwrap();
        assert!(td >= 4_732_352, "{td}");
    }

    #[test]
    fn total_difficulty_sums_the_chain_and_follows_the_head() {
        let mut chain = test_chain!(3);
        chain.ctx.node = Some(Arc::new(identity()));
        let difficulty = |chain: &TestChain| {
            chain.ok("admin_nodeInfo", json!([]))["protocols"]["eth"]["difficulty"]
                .as_u64()
                .unwrap()
        };
        let sum_up_to = |chain: &TestChain, n: u64| -> u64 {
            (0..=n)
                .map(|i| {
                    let block = chain.ok("eth_getBlockByNumber", json!([format!("{i:#x}"), false]));
                    u64::from_str_radix(
                        block["difficulty"]
                            .as_str()
                            .unwrap()
                            .trim_start_matches("0x"),
                        16,
                    )
                    .unwrap()
                })
                .sum()
        };
        assert_eq!(difficulty(&chain), sum_up_to(&chain, 3));
        chain.import_rest();
        let head = chain.ctx.store.head_header().unwrap().unwrap().number;
        assert_eq!(
            difficulty(&chain),
            sum_up_to(&chain, head),
            "from the cached head on"
        );
    }

    #[test]
    fn without_a_p2p_identity_node_info_is_an_error() {
        let chain = test_chain!(0);
        assert_eq!(
            chain.call("admin_nodeInfo", json!([])).unwrap_err().code,
            -32000
        );
    }
}
