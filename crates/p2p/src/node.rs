//! [`LocalNode`]: this node as peers see it — its key, the address and ports it announces, and
//! what derives from them: the node id, the enode URL
//! (`enode://<128 hex of the public key>@<ip>:<tcp>?discport=<udp>`, the query omitted when
//! both ports are equal) and the signed ENR (sequence number 1, with the `eth` fork-id entry
//! when one is set).
//!
//! The announced IP is the listening address, except that an unspecified one (`0.0.0.0`, `::`)
//! is announced as the loopback address, as geth does without NAT configuration.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use alloy_primitives::B256;

use crate::{NodeKey, Result, enr::NodeRecord};

/// This node's identity and endpoint.
#[derive(Debug, Clone, Copy)]
pub struct LocalNode {
    pub key: NodeKey,
    /// The IP announced to peers.
    pub ip: IpAddr,
    /// RLPx (TCP) port.
    pub tcp_port: u16,
    /// Discovery (UDP) port.
    pub udp_port: u16,
    /// The fork id the record's `eth` entry announces, if any.
    pub fork_id: Option<ethrex_common::ForkId>,
}

impl LocalNode {
    /// The node of `key` listening on `listen` (see the module docs for the announced IP).
    pub fn new(key: NodeKey, listen: IpAddr, tcp_port: u16, udp_port: u16) -> Self {
        let ip = match listen {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Self {
            key,
            ip,
            tcp_port,
            udp_port,
            fork_id: None,
        }
    }

    /// The same node announcing `fork_id` in its record's `eth` entry.
    pub fn with_fork_id(self, fork_id: Option<ethrex_common::ForkId>) -> Self {
        Self { fork_id, ..self }
    }

    /// The node id.
    pub fn id(&self) -> B256 {
        self.key.node_id()
    }

    /// The enode URL.
    pub fn enode_url(&self) -> String {
        let host = match self.ip {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        let public_key = alloy_primitives::hex::encode(self.key.public_key());
        let mut url = format!("enode://{public_key}@{host}:{}", self.tcp_port);
        if self.udp_port != self.tcp_port {
            url.push_str(&format!("?discport={}", self.udp_port));
        }
        url
    }

    /// The node's record, signed, in text form.
    pub fn enr(&self) -> Result<String> {
        NodeRecord {
            seq: 1,
            ip: Some(self.ip),
            tcp: Some(self.tcp_port),
            udp: Some(self.udp_port),
            eth: self.fork_id,
        }
        .to_text(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::b256;

    use super::*;

    fn node(listen: &str, tcp: u16, udp: u16) -> LocalNode {
        let key = NodeKey::from_secret(b256!(
            "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"
        ))
        .unwrap();
        LocalNode::new(key, listen.parse().unwrap(), tcp, udp)
    }

    const PUBLIC: &str = "ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f";

    #[test]
    fn the_enode_url_names_the_discovery_port_only_when_it_differs() {
        assert_eq!(
            node("10.0.0.1", 30303, 30303).enode_url(),
            format!("enode://{PUBLIC}@10.0.0.1:30303")
        );
        assert_eq!(
            node("10.0.0.1", 30303, 30301).enode_url(),
            format!("enode://{PUBLIC}@10.0.0.1:30303?discport=30301")
        );
        assert_eq!(
            node("::1", 1, 1).enode_url(),
            format!("enode://{PUBLIC}@[::1]:1")
        );
    }

    #[test]
    fn an_unspecified_listen_address_is_announced_as_loopback() {
        assert_eq!(node("0.0.0.0", 1, 1).ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(node("::", 1, 1).ip, IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert!(
            node("0.0.0.0", 30303, 30303)
                .enr()
                .unwrap()
                .starts_with("enr:-")
        );
    }
}
