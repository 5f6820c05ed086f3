//! Tests of the packet codec: EIP-8's discv4 test packets, round trips, tampering, the size
//! limit, and arbitrary input to the decoder.

use alloy_primitives::{b256, hex};
use proptest::prelude::*;

use super::*;

/// The key EIP-8's discv4 test packets are signed with.
const EIP8_SECRET: B256 = b256!("b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291");
/// The expiration all of EIP-8's test packets carry (2006-01-02).
const EIP8_EXPIRATION: u64 = 0x43b9_a355;

fn eip8_signer() -> B512 {
    NodeKey::from_secret(EIP8_SECRET).unwrap().public_key()
}

/// Decodes a vector of EIP-8 (hex, possibly over several lines).
fn eip8_packet(text: &str) -> Packet {
    let bytes = hex::decode(text.split_whitespace().collect::<String>()).unwrap();
    let packet = Packet::decode(&bytes).unwrap();
    assert_eq!(packet.sender, eip8_signer(), "the documented signer");
    assert_eq!(packet.hash.as_slice(), &bytes[..32]);
    packet
}

fn endpoint(ip: &str, udp_port: u16, tcp_port: u16) -> Endpoint {
    Endpoint {
        ip: ip.parse().unwrap(),
        udp_port,
        tcp_port,
    }
}

#[test]
fn eip8_ping_with_version_4_and_additional_list_elements() {
    let packet = eip8_packet(
        "e9614ccfd9fc3e74360018522d30e1419a143407ffcce748de3e22116b7e8dc92ff74788c0b6663a
         aa3d67d641936511c8f8d6ad8698b820a7cf9e1be7155e9a241f556658c55428ec0563514365799a
         4be2be5a685a80971ddcfa80cb422cdd0101ec04cb847f000001820cfa8215a8d790000000000000
         000000000000000000018208ae820d058443b9a3550102",
    );
    assert_eq!(
        packet.message,
        Message::Ping(Ping {
            version: 4,
            from: endpoint("127.0.0.1", 3322, 5544),
            to: endpoint("::1", 2222, 3333),
            expiration: EIP8_EXPIRATION,
            // The first additional element is read as EIP-868's enr-seq; the second is ignored.
            enr_seq: Some(1),
        })
    );
}

#[test]
fn eip8_ping_with_version_555_additional_elements_and_trailing_data() {
    let packet = eip8_packet(
        "577be4349c4dd26768081f58de4c6f375a7a22f3f7adda654d1428637412c3d7fe917cadc56d4e5e
         7ffae1dbe3efffb9849feb71b262de37977e7c7a44e677295680e9e38ab26bee2fcbae207fba3ff3
         d74069a50b902a82c9903ed37cc993c50001f83e82022bd79020010db83c4d001500000000abcdef
         12820cfa8215a8d79020010db885a308d313198a2e037073488208ae82823a8443b9a355c5010203
         040531b9019afde696e582a78fa8d95ea13ce3297d4afb8ba6433e4154caa5ac6431af1b80ba7602
         3fa4090c408f6b4bc3701562c031041d4702971d102c9ab7fa5eed4cd6bab8f7af956f7d565ee191
         7084a95398b6a21eac920fe3dd1345ec0a7ef39367ee69ddf092cbfe5b93e5e568ebc491983c09c7
         6d922dc3",
    );
    assert_eq!(
        packet.message,
        Message::Ping(Ping {
            version: 555,
            from: endpoint("2001:db8:3c4d:15::abcd:ef12", 3322, 5544),
            to: endpoint("2001:db8:85a3:8d3:1319:8a2e:370:7348", 2222, 33338),
            expiration: EIP8_EXPIRATION,
            // A list where enr-seq would be: not an integer, so absent.
            enr_seq: None,
        })
    );
}

#[test]
fn eip8_pong_with_additional_elements_and_trailing_data() {
    let packet = eip8_packet(
        "09b2428d83348d27cdf7064ad9024f526cebc19e4958f0fdad87c15eb598dd61d08423e0bf66b206
         9869e1724125f820d851c136684082774f870e614d95a2855d000f05d1648b2d5945470bc187c2d2
         216fbe870f43ed0909009882e176a46b0102f846d79020010db885a308d313198a2e037073488208
         ae82823aa0fbc914b16819237dcd8801d7e53f69e9719adecb3cc0e790c57e91ca4461c9548443b9
         a355c6010203c2040506a0c969a58f6f9095004c0177a6b47f451530cab38966a25cca5cb58f0555
         42124e",
    );
    assert_eq!(
        packet.message,
        Message::Pong(Pong {
            to: endpoint("2001:db8:85a3:8d3:1319:8a2e:370:7348", 2222, 33338),
            ping_hash: b256!("fbc914b16819237dcd8801d7e53f69e9719adecb3cc0e790c57e91ca4461c954"),
            expiration: EIP8_EXPIRATION,
            enr_seq: None,
        })
    );
}

#[test]
fn eip8_findnode_with_additional_elements_and_trailing_data() {
    let packet = eip8_packet(
        "c7c44041b9f7c7e41934417ebac9a8e1a4c6298f74553f2fcfdcae6ed6fe53163eb3d2b52e39fe91
         831b8a927bf4fc222c3902202027e5e9eb812195f95d20061ef5cd31d502e47ecb61183f74a504fe
         04c51e73df81f25c4d506b26db4517490103f84eb840ca634cae0d49acb401d8a4c6b6fe8c55b70d
         115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be0081290476
         7bf5ccd1fc7f8443b9a35582999983999999280dc62cc8255c73471e0a61da0c89acdc0e035e260a
         dd7fc0c04ad9ebf3919644c91cb247affc82b69bd2ca235c71eab8e49737c937a2c396",
    );
    assert_eq!(
        packet.message,
        Message::FindNode(FindNode {
            // The signer's own public key.
            target: eip8_signer(),
            expiration: EIP8_EXPIRATION,
        })
    );
}

#[test]
fn eip8_neighbours_with_additional_elements_and_trailing_data() {
    let packet = eip8_packet(
        "c679fc8fe0b8b12f06577f2e802d34f6fa257e6137a995f6f4cbfc9ee50ed3710faf6e66f932c4c8
         d81d64343f429651328758b47d3dbc02c4042f0fff6946a50f4a49037a72bb550f3a7872363a83e1
         b9ee6469856c24eb4ef80b7535bcf99c0004f9015bf90150f84d846321163782115c82115db84031
         55e1427f85f10a5c9a7755877748041af1bcd8d474ec065eb33df57a97babf54bfd2103575fa8291
         15d224c523596b401065a97f74010610fce76382c0bf32f84984010203040101b840312c55512422
         cf9b8a4097e9a6ad79402e87a15ae909a4bfefa22398f03d20951933beea1e4dfa6f968212385e82
         9f04c2d314fc2d4e255e0d3bc08792b069dbf8599020010db83c4d001500000000abcdef12820d05
         820d05b84038643200b172dcfef857492156971f0e6aa2c538d8b74010f8e140811d53b98c765dd2
         d96126051913f44582e8c199ad7c6d6819e9a56483f637feaac9448aacf8599020010db885a308d3
         13198a2e037073488203e78203e8b8408dcab8618c3253b558d459da53bd8fa68935a719aff8b811
         197101a4b2b47dd2d47295286fc00cc081bb542d760717d1bdd6bec2c37cd72eca367d6dd3b9df73
         8443b9a355010203b525a138aa34383fec3d2719a0",
    );
    let Message::Neighbors(neighbors) = packet.message else {
        panic!("not neighbors: {:?}", packet.message);
    };
    assert_eq!(neighbors.expiration, EIP8_EXPIRATION);
    let summary: Vec<(String, u16, u16, String)> = neighbors
        .nodes
        .iter()
        .map(|n| {
            let key = hex::encode(n.public_key);
            (
                n.ip.to_string(),
                n.udp_port,
                n.tcp_port,
                key[..8].to_owned(),
            )
        })
        .collect();
    let expected = [
        ("99.33.22.55", 4444, 4445, "3155e142"),
        ("1.2.3.4", 1, 1, "312c5551"),
        ("2001:db8:3c4d:15::abcd:ef12", 3333, 3333, "38643200"),
        (
            "2001:db8:85a3:8d3:1319:8a2e:370:7348",
            999,
            1000,
            "8dcab861",
        ),
    ]
    .map(|(ip, udp, tcp, key)| (ip.to_owned(), udp, tcp, key.to_owned()));
    assert_eq!(summary, expected);
}

#[test]
fn eip8_packets_have_expired_and_are_refused_by_the_expiration_check() {
    let packet = eip8_packet(
        "e9614ccfd9fc3e74360018522d30e1419a143407ffcce748de3e22116b7e8dc92ff74788c0b6663a
         aa3d67d641936511c8f8d6ad8698b820a7cf9e1be7155e9a241f556658c55428ec0563514365799a
         4be2be5a685a80971ddcfa80cb422cdd0101ec04cb847f000001820cfa8215a8d790000000000000
         000000000000000000018208ae820d058443b9a3550102",
    );
    assert!(matches!(
        packet.check_expiration(super::super::unix_now()),
        Err(Discv4Error::Expired {
            expiration: EIP8_EXPIRATION,
            ..
        })
    ));
    packet.check_expiration(EIP8_EXPIRATION).unwrap();
}

fn every_message() -> Vec<Message> {
    let node = |ip: &str, port| Enode {
        public_key: NodeKey::random().public_key(),
        ip: ip.parse().unwrap(),
        udp_port: port,
        tcp_port: port + 1,
    };
    vec![
        Message::Ping(Ping {
            version: PROTOCOL_VERSION,
            from: endpoint("10.0.0.1", 30303, 30303),
            to: endpoint("::1", 1, 0),
            expiration: 1_700_000_000,
            enr_seq: Some(7),
        }),
        Message::Ping(Ping {
            version: PROTOCOL_VERSION,
            from: endpoint("10.0.0.1", 30303, 30303),
            to: endpoint("10.0.0.2", 1, 0),
            expiration: 1,
            enr_seq: None,
        }),
        Message::Pong(Pong {
            to: endpoint("192.168.1.1", 65535, 0),
            ping_hash: B256::repeat_byte(0xab),
            expiration: u64::MAX,
            enr_seq: Some(0),
        }),
        Message::FindNode(FindNode {
            target: NodeKey::random().public_key(),
            expiration: 5,
        }),
        Message::Neighbors(Neighbors {
            nodes: vec![node("1.2.3.4", 30303), node("2001:db8::1", 1)],
            expiration: 6,
        }),
        Message::Neighbors(Neighbors {
            nodes: vec![],
            expiration: 6,
        }),
        Message::EnrRequest(EnrRequest { expiration: 9 }),
        Message::EnrResponse(EnrResponse {
            request_hash: B256::repeat_byte(1),
            record: crate::enr::NodeRecord {
                seq: 3,
                ip: Some("10.0.0.1".parse().unwrap()),
                tcp: Some(30303),
                udp: Some(30303),
                eth: None,
            }
            .sign(&NodeKey::random())
            .unwrap(),
        }),
    ]
}

#[test]
fn every_message_round_trips_with_its_signer_and_hash() {
    let key = NodeKey::random();
    for message in every_message() {
        let (bytes, hash) = message.encode(&key).unwrap();
        assert_eq!(bytes[97], message.kind());
        let packet = Packet::decode(&bytes).unwrap();
        assert_eq!(packet.message, message);
        assert_eq!(packet.sender, key.public_key());
        assert_eq!(packet.hash, hash);
        assert_eq!(hash, keccak256(&bytes[32..]));
    }
}

#[test]
fn tampering_is_detected_by_the_hash_or_changes_the_signer() {
    let key = NodeKey::random();
    let (mut bytes, _) = Message::EnrRequest(EnrRequest { expiration: 9 })
        .encode(&key)
        .unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert!(matches!(
        Packet::decode(&bytes),
        Err(Discv4Error::HashMismatch(_))
    ));
    // A forger who also fixes the hash is not taken for the signer.
    let hash = keccak256(&bytes[32..]);
    bytes[..32].copy_from_slice(hash.as_slice());
    if let Ok(packet) = Packet::decode(&bytes) {
        assert_ne!(packet.sender, key.public_key());
    }
}

#[test]
fn size_limits_and_unknown_types_are_typed_errors() {
    assert!(matches!(
        Packet::decode(&[0; 97]),
        Err(Discv4Error::PacketTooSmall(97))
    ));
    assert!(matches!(
        Packet::decode(&[0; 1281]),
        Err(Discv4Error::PacketTooLarge(1281))
    ));
    assert!(matches!(
        Message::decode(7, &[0xc0]),
        Err(Discv4Error::UnknownPacketType(7))
    ));
    assert!(matches!(
        Message::decode(3, &[0xc0]),
        Err(Discv4Error::Rlp {
            packet: "findnode",
            ..
        })
    ));
    // A Ping whose `from` IP has 3 bytes.
    let bad_ip = [0xc8, 0x04, 0xc6, 0x83, 1, 2, 3, 0x01, 0x01];
    assert!(matches!(
        Message::decode(1, &bad_ip),
        Err(Discv4Error::InvalidIp(3))
    ));
}

#[test]
fn a_full_neighbors_packet_of_ipv6_nodes_fits_in_1280_bytes() {
    let node = Enode {
        public_key: B512::repeat_byte(0xff),
        ip: "ffff::ffff".parse().unwrap(),
        udp_port: u16::MAX,
        tcp_port: u16::MAX,
    };
    let message = |n| {
        Message::Neighbors(Neighbors {
            nodes: vec![node; n],
            expiration: u64::MAX,
        })
    };
    let key = NodeKey::random();
    let (bytes, _) = message(Neighbors::MAX_NODES).encode(&key).unwrap();
    assert!(bytes.len() <= MAX_PACKET_SIZE, "{} bytes", bytes.len());
    assert!(matches!(
        message(Neighbors::MAX_NODES + 2).encode(&key),
        Err(Discv4Error::Oversized(_))
    ));
}

/// Decoder property tests, run by [`crate::rlpx::fuzz::check`].
mod fuzz {
    use super::*;
    use crate::rlpx::fuzz::check;

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder() {
        let bytes = prop::collection::vec(any::<u8>(), 0..1400);
        check("discv4: arbitrary packets", 256, bytes, |bytes| {
            let _ = Packet::decode(&bytes);
            Ok(())
        });
    }

    #[test]
    fn arbitrary_data_behind_a_valid_signature_never_panics() {
        let strategy = (0u8..8, prop::collection::vec(any::<u8>(), 0..300));
        check(
            "discv4: signed arbitrary data",
            256,
            strategy,
            |(kind, data)| {
                // Sign arbitrary data so decoding reaches the RLP of every packet type.
                let key = NodeKey::from_secret(EIP8_SECRET).unwrap();
                let mut signed = vec![kind];
                signed.extend_from_slice(&data);
                let digest = Digest::from_digest(keccak256(&signed).0);
                let (recovery_id, signature) = SECP256K1
                    .sign_ecdsa_recoverable(digest, key.secret())
                    .serialize_compact();
                let mut bytes = vec![0; 32];
                bytes.extend_from_slice(&signature);
                bytes.push(u8::try_from(i32::from(recovery_id)).unwrap());
                bytes.extend_from_slice(&signed);
                let hash = keccak256(&bytes[32..]);
                bytes[..32].copy_from_slice(hash.as_slice());
                if let Ok(packet) = Packet::decode(&bytes) {
                    prop_assert_eq!(packet.sender, key.public_key());
                }
                Ok(())
            },
        );
    }
}

#[test]
fn an_expiration_above_i64_max_is_in_the_past() {
    // geth's suite sends `-t` as a uint64 for an expiration in the past.
    let now = super::super::unix_now();
    let past = now.wrapping_neg();
    let key = NodeKey::random();
    let ping = Message::Ping(Ping {
        version: 4,
        from: endpoint("127.0.0.1", 1, 1),
        to: endpoint("127.0.0.1", 2, 2),
        expiration: past,
        enr_seq: None,
    });
    let (bytes, _) = ping.encode(&key).unwrap();
    let packet = Packet::decode(&bytes).unwrap();
    assert!(matches!(
        packet.check_expiration(now),
        Err(Discv4Error::Expired { expiration, .. }) if expiration == past
    ));
}
