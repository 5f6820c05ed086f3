//! The node's peers: `net_peerCount`, `admin_peers` (geth's shape: id, name, enode, caps,
//! network {localAddress, remoteAddress, inbound, trusted, static}, protocols {eth: {version}})
//! and `admin_addPeer(enode) -> bool`, all through the [`crate::PeerView`] the binary gives.
//! Without one (p2p disabled), the node has no peers and cannot add any.

use serde_json::{Value, json};

use super::params::Params;
use crate::{PeerInfo, RpcContext, RpcError};

/// `net_peerCount`: the connected peers, as a hex quantity.
pub fn peer_count(ctx: &RpcContext) -> Result<Value, RpcError> {
    let count = ctx.peers.as_ref().map_or(0, |view| view.peers().len());
    Ok(json!(format!("{count:#x}")))
}

/// `admin_peers`.
pub fn admin_peers(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(0)?;
    let peers = ctx
        .peers
        .as_ref()
        .map_or_else(Vec::new, |view| view.peers());
    Ok(Value::Array(peers.iter().map(peer_json).collect()))
}

/// `admin_addPeer`: `true` when the enode became a static peer being dialed.
pub fn add_peer(ctx: &RpcContext, p: &Params) -> Result<Value, RpcError> {
    p.at_most(1)?;
    let enode: String = p.required(0)?;
    let view = ctx
        .peers
        .as_ref()
        .ok_or_else(|| RpcError::server("peer-to-peer networking is disabled"))?;
    let added = view.add_peer(&enode).map_err(RpcError::invalid_params)?;
    Ok(Value::Bool(added))
}

fn peer_json(peer: &PeerInfo) -> Value {
    json!({
        "id": peer.id,
        "name": peer.name,
        "enode": peer.enode,
        "caps": peer.caps,
        "network": {
            "localAddress": peer.local_address.to_string(),
            "remoteAddress": peer.remote_address.to_string(),
            "inbound": peer.inbound,
            "trusted": false,
            "static": peer.is_static,
        },
        "protocols": { "eth": { "version": peer.eth_version } },
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::json;

    use crate::{PeerInfo, PeerView, methods::test_chain::test_chain};

    /// A view over a fixed list that records what `add_peer` was given.
    #[derive(Default)]
    struct FakeView {
        peers: Vec<PeerInfo>,
        added: Mutex<Vec<String>>,
    }

    impl PeerView for FakeView {
        fn peers(&self) -> Vec<PeerInfo> {
            self.peers.clone()
        }

        fn add_peer(&self, enode: &str) -> Result<bool, String> {
            if !enode.starts_with("enode://") {
                return Err(format!("invalid enode {enode}"));
            }
            let mut added = self.added.lock().unwrap();
            let new = !added.iter().any(|e| e == enode);
            added.push(enode.to_string());
            Ok(new)
        }
    }

    fn peer(inbound: bool) -> PeerInfo {
        PeerInfo {
            id: "a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7".into(),
            name: "Geth/v1.17.10-stable/linux-amd64/go1.25".into(),
            enode: "enode://ca63@127.0.0.1:30303".into(),
            caps: vec!["eth/68".into(), "eth/69".into(), "snap/1".into()],
            local_address: "127.0.0.1:40000".parse().unwrap(),
            remote_address: "127.0.0.1:30303".parse().unwrap(),
            inbound,
            is_static: !inbound,
            eth_version: 69,
        }
    }

    #[test]
    fn admin_peers_has_geths_shape_and_net_peer_count_counts_them() {
        let view = Arc::new(FakeView {
            peers: vec![peer(false), peer(true)],
            ..FakeView::default()
        });
        let mut chain = test_chain!(0);
        chain.ctx.peers = Some(view);
        assert_eq!(chain.ok("net_peerCount", json!([])), json!("0x2"));
        let peers = chain.ok("admin_peers", json!([]));
        assert_eq!(
            peers[0],
            json!({
                "id": "a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7",
                "name": "Geth/v1.17.10-stable/linux-amd64/go1.25",
                "enode": "enode://ca63@127.0.0.1:30303",
                "caps": ["eth/68", "eth/69", "snap/1"],
                "network": {
                    "localAddress": "127.0.0.1:40000",
                    "remoteAddress": "127.0.0.1:30303",
                    "inbound": false,
                    "trusted": false,
                    "static": true,
                },
                "protocols": { "eth": { "version": 69 } },
            })
        );
        assert_eq!(peers[1]["network"]["inbound"], json!(true));
        assert_eq!(peers[1]["network"]["static"], json!(false));
    }

    #[test]
    fn add_peer_passes_the_enode_and_reports_bad_ones_as_invalid_params() {
        let view = Arc::new(FakeView::default());
        let mut chain = test_chain!(0);
        chain.ctx.peers = Some(view.clone());
        let enode = "enode://ca63@127.0.0.1:30303";
        assert_eq!(chain.ok("admin_addPeer", json!([enode])), json!(true));
        assert_eq!(chain.ok("admin_addPeer", json!([enode])), json!(false));
        assert_eq!(*view.added.lock().unwrap(), vec![enode, enode]);
        let err = chain.call("admin_addPeer", json!(["nope"])).unwrap_err();
        assert_eq!(err.code, -32602);
        assert!(err.message.contains("nope"), "{}", err.message);
        assert_eq!(
            chain.call("admin_addPeer", json!([])).unwrap_err().code,
            -32602
        );
    }

    #[test]
    fn without_p2p_there_are_no_peers_and_none_can_be_added() {
        let chain = test_chain!(0);
        assert_eq!(chain.ok("net_peerCount", json!([])), json!("0x0"));
        assert_eq!(chain.ok("admin_peers", json!([])), json!([]));
        let err = chain.call("admin_addPeer", json!(["enode://ca63@127.0.0.1:30303"]));
        assert_eq!(err.unwrap_err().code, -32000);
    }
}
