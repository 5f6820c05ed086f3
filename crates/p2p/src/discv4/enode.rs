//! [`Enode`]: a peer as discovery knows it — its public key (the discv4 "node id" on the wire)
//! and its endpoint — and the enode URL form
//! `enode://<128 hex of the public key>@<ip>:<tcp>[?discport=<udp>]` (IPv6 in brackets; the
//! UDP port equals the TCP port when `discport` is absent).

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    str::FromStr,
};

use alloy_primitives::{B256, B512, keccak256};

use super::{Discv4Error, packet::Endpoint};

/// A node's public key and endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Enode {
    /// The uncompressed secp256k1 public key without its `0x04` prefix.
    pub public_key: B512,
    pub ip: IpAddr,
    /// Discovery (UDP) port.
    pub udp_port: u16,
    /// RLPx (TCP) port.
    pub tcp_port: u16,
}

impl Enode {
    /// The node id: `keccak256` of the public key, the Kademlia key of the table.
    pub fn id(&self) -> B256 {
        keccak256(self.public_key)
    }

    /// The UDP address discovery talks to.
    pub fn udp_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.udp_port)
    }

    /// The TCP address RLPx dials.
    pub fn tcp_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.tcp_port)
    }

    /// The node's endpoint as packets carry it.
    pub fn endpoint(&self) -> Endpoint {
        Endpoint {
            ip: self.ip,
            udp_port: self.udp_port,
            tcp_port: self.tcp_port,
        }
    }
}

impl fmt::Display for Enode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = alloy_primitives::hex::encode(self.public_key);
        match self.ip {
            IpAddr::V4(ip) => write!(f, "enode://{key}@{ip}:{}", self.tcp_port)?,
            IpAddr::V6(ip) => write!(f, "enode://{key}@[{ip}]:{}", self.tcp_port)?,
        }
        if self.udp_port != self.tcp_port {
            write!(f, "?discport={}", self.udp_port)?;
        }
        Ok(())
    }
}

impl FromStr for Enode {
    type Err = Discv4Error;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let invalid = |reason| Discv4Error::InvalidEnode {
            url: url.to_owned(),
            reason,
        };
        let rest = url
            .strip_prefix("enode://")
            .ok_or_else(|| invalid("missing the enode:// scheme"))?;
        let (key, rest) = rest
            .split_once('@')
            .ok_or_else(|| invalid("missing '@' between public key and address"))?;
        if key.len() != 128 {
            return Err(invalid("the public key is not 128 hex digits"));
        }
        let public_key: B512 = key
            .parse()
            .map_err(|_| invalid("the public key is not 128 hex digits"))?;
        let (addr, query) = match rest.split_once('?') {
            Some((addr, query)) => (addr, Some(query)),
            None => (rest, None),
        };
        let addr: SocketAddr = addr
            .parse()
            .map_err(|_| invalid("the address is not <ip>:<port>"))?;
        let mut udp_port = addr.port();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if let Some(port) = pair.strip_prefix("discport=") {
                udp_port = port
                    .parse()
                    .map_err(|_| invalid("discport is not a port number"))?;
            }
        }
        Ok(Self {
            public_key,
            ip: addr.ip(),
            udp_port,
            tcp_port: addr.port(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f";

    #[test]
    fn enode_urls_parse_with_and_without_discport_and_print_back() {
        let plain: Enode = format!("enode://{KEY}@10.0.0.1:30303").parse().unwrap();
        assert_eq!(plain.ip, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!((plain.tcp_port, plain.udp_port), (30303, 30303));
        assert_eq!(plain.public_key.to_string(), format!("0x{KEY}"));
        assert_eq!(plain.to_string(), format!("enode://{KEY}@10.0.0.1:30303"));

        let url = format!("enode://{KEY}@[::1]:30303?discport=30301");
        let split: Enode = url.parse().unwrap();
        assert_eq!((split.tcp_port, split.udp_port), (30303, 30301));
        assert_eq!(split.ip, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(split.to_string(), url);
        // The node id of EIP-778's example key.
        assert_eq!(
            split.id().to_string(),
            "0xa448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7"
        );
    }

    #[test]
    fn malformed_enode_urls_are_refused_with_a_reason() {
        for url in [
            format!("enr://{KEY}@10.0.0.1:30303"),
            format!("enode://{KEY}10.0.0.1:30303"),
            format!("enode://{}@10.0.0.1:30303", &KEY[2..]),
            format!("enode://{}zz@10.0.0.1:30303", &KEY[2..]),
            format!("enode://{KEY}@10.0.0.1"),
            format!("enode://{KEY}@host.example:30303"),
            format!("enode://{KEY}@10.0.0.1:30303?discport=x"),
            format!("enode://{KEY}@10.0.0.1:70000"),
        ] {
            let error = url.parse::<Enode>().unwrap_err();
            assert!(
                matches!(error, Discv4Error::InvalidEnode { .. }),
                "{url}: {error}"
            );
        }
    }
}
