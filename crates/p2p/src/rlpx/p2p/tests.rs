//! p2p protocol tests: EIP-8's Hello vector, message round trips, negotiation, snappy limits.

use alloy_primitives::hex;
use proptest::prelude::*;

use super::*;

/// EIP-8's "devp2p hello packet" with additional list elements.
const EIP8_HELLO: &str = concat!(
    "f87137916b6e6574682f76302e39312f706c616e39cdc5836574683dc6846d6f726b1682270fb840",
    "fda1cff674c90c9a197539fe3dfb53086ace64f83ed7c6eabec741f7f381cc803e52ab2cd55d5569",
    "bce4347107a310dfd5f88a010cd2ffd1005ca406f1842877c883666f6f836261720304",
);

fn protocol(name: &str, version: u64, message_count: u64) -> Protocol {
    Protocol {
        capability: Capability::new(name, version),
        message_count,
    }
}

#[test]
fn the_eip8_hello_decodes_ignoring_its_extra_elements() {
    let hello = Hello::decode_payload(&hex::decode(EIP8_HELLO).unwrap()).unwrap();
    assert_eq!(hello.protocol_version, 0x37);
    assert_eq!(hello.client_id, "kneth/v0.91/plan9");
    assert_eq!(
        hello.capabilities,
        [Capability::new("eth", 61), Capability::new("mork", 22)]
    );
    assert_eq!(hello.listen_port, 9999);
    assert_eq!(
        hello.node_id.to_string(),
        "0xfda1cff674c90c9a197539fe3dfb53086ace64f83ed7c6eabec741f7f381cc803e52ab2cd55d5569bce4347107a310dfd5f88a010cd2ffd1005ca406f1842877"
    );
    // Re-encoding drops the extra elements and gives the packet's first five elements.
    let reencoded = hello.encode_payload();
    assert_eq!(Hello::decode_payload(&reencoded).unwrap(), hello);
    let original = hex::decode(EIP8_HELLO).unwrap();
    assert_eq!(reencoded[2..], original[2..reencoded.len()]);
}

#[test]
fn p2p_messages_round_trip_with_their_ids() {
    let hello = Hello {
        protocol_version: PROTOCOL_VERSION,
        client_id: "ethrex/test".into(),
        capabilities: vec![Capability::new("eth", 68), Capability::new("snap", 1)],
        listen_port: 30303,
        node_id: B512::repeat_byte(7),
    };
    for (message, id) in [
        (P2pMessage::Hello(hello), 0),
        (P2pMessage::Disconnect(DisconnectReason::TooManyPeers), 1),
        (P2pMessage::Ping, 2),
        (P2pMessage::Pong, 3),
    ] {
        assert_eq!(message.id(), id);
        let payload = message.encode_payload();
        assert_eq!(P2pMessage::decode(id, &payload).unwrap(), Some(message));
    }
    assert_eq!(P2pMessage::Ping.encode_payload(), [0xc0]);
    assert_eq!(
        P2pMessage::Disconnect(DisconnectReason::UselessPeer).encode_payload(),
        [0xc1, 0x03]
    );
    assert_eq!(P2pMessage::decode(0x10, &[0xc0]).unwrap(), None);
}

#[test]
fn disconnect_reasons_have_the_spec_codes_and_lenient_encodings_decode() {
    let codes: Vec<u8> = DisconnectReason::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0a, 0x0b, 0x10]);
    for reason in DisconnectReason::ALL {
        assert_eq!(DisconnectReason::from_code(reason.code()), reason);
    }
    assert_eq!(
        DisconnectReason::from_code(0x0c),
        DisconnectReason::Other(0x0c)
    );
    assert_eq!(
        DisconnectReason::PingTimeout.to_string(),
        "ping timeout (0x0b)"
    );
    for (payload, reason) in [
        (&[][..], DisconnectReason::DisconnectRequested),
        (&[0xc0], DisconnectReason::DisconnectRequested),
        (&[0xc1, 0x80], DisconnectReason::DisconnectRequested),
        (&[0x04], DisconnectReason::TooManyPeers),
        (&[0xc1, 0x10], DisconnectReason::SubprotocolReason),
    ] {
        assert_eq!(
            decode_disconnect(payload).unwrap(),
            reason,
            "{payload:02x?}"
        );
    }
}

#[test]
fn negotiation_keeps_the_highest_shared_version_per_name_in_name_order() {
    let ours = [
        protocol("snap", 1, 8),
        protocol("eth", 68, 17),
        protocol("eth", 69, 18),
        protocol("les", 4, 23),
    ];
    let theirs = [
        Capability::new("eth", 67),
        Capability::new("eth", 68),
        Capability::new("eth", 69),
        Capability::new("snap", 1),
        Capability::new("Eth", 70),
        Capability::new("les", 3),
    ];
    let shared = negotiate(&ours, &theirs);
    assert_eq!(
        shared,
        [
            SharedCapability {
                capability: Capability::new("eth", 69),
                offset: 0x10,
                message_count: 18,
            },
            SharedCapability {
                capability: Capability::new("snap", 1),
                offset: 0x10 + 18,
                message_count: 8,
            },
        ]
    );
    assert!(shared[0].contains(0x10) && shared[0].contains(0x21));
    assert!(!shared[0].contains(0x22) && shared[1].contains(0x22));
    assert!(negotiate(&ours, &[Capability::new("eth", 66)]).is_empty());
}

#[test]
fn snappy_round_trips_and_a_declared_size_over_16_mib_is_refused_before_decompressing() {
    let payload = vec![0xab; 100_000];
    let compressed = compress(&payload).unwrap();
    assert!(compressed.len() < 10_000);
    assert_eq!(decompress(&compressed).unwrap(), payload);

    // A varint length header of 16 MiB + 1 and no data: the header alone is refused.
    let mut bomb = Vec::new();
    let mut size = MAX_MESSAGE_SIZE + 1;
    while size >= 0x80 {
        bomb.push((size as u8) | 0x80);
        size >>= 7;
    }
    bomb.push(size as u8);
    assert!(matches!(
        decompress(&bomb),
        Err(RlpxError::MessageTooLarge { size, max: MAX_MESSAGE_SIZE }) if size == MAX_MESSAGE_SIZE + 1
    ));
    // Exactly 16 MiB is accepted.
    let limit = vec![0; MAX_MESSAGE_SIZE];
    assert_eq!(
        decompress(&compress(&limit).unwrap()).unwrap().len(),
        MAX_MESSAGE_SIZE
    );
    assert!(matches!(
        compress(&vec![0; MAX_MESSAGE_SIZE + 1]),
        Err(RlpxError::MessageTooLarge { .. })
    ));
    assert!(matches!(
        decompress(&[0x05, 0x00]),
        Err(RlpxError::Snappy(_))
    ));
}

/// Decoder property tests, run by [`crate::rlpx::fuzz::check`].
mod fuzz {
    use super::*;
    use crate::rlpx::fuzz::check;

    #[test]
    fn arbitrary_bytes_never_panic_the_message_decoders() {
        let strategy = (0u64..5, prop::collection::vec(any::<u8>(), 0..200));
        check(
            "p2p: Hello/Disconnect/Ping/Pong",
            256,
            strategy,
            |(id, bytes)| {
                let _ = P2pMessage::decode(id, &bytes);
                let _ = Hello::decode_payload(&bytes);
                let _ = decompress(&bytes);
                Ok(())
            },
        );
    }

    #[test]
    fn arbitrary_hellos_and_disconnects_round_trip() {
        let capability = ("[a-zA-Z0-9]{1,8}", any::<u64>());
        let strategy = (
            any::<u64>(),
            ".{0,40}",
            prop::collection::vec(capability, 0..5),
            any::<u16>(),
            any::<[u8; 64]>(),
            any::<u8>(),
        );
        check(
            "p2p: round trip",
            256,
            strategy,
            |(version, client, caps, port, id, reason)| {
                let hello = Hello {
                    protocol_version: version,
                    client_id: client,
                    capabilities: caps
                        .iter()
                        .map(|(name, version)| Capability::new(name, *version))
                        .collect(),
                    listen_port: port,
                    node_id: B512::from(id),
                };
                prop_assert_eq!(
                    Hello::decode_payload(&hello.encode_payload()).unwrap(),
                    hello.clone()
                );
                let message = P2pMessage::Hello(hello);
                let decoded = P2pMessage::decode(HELLO, &message.encode_payload()).unwrap();
                prop_assert_eq!(decoded, Some(message));
                let message = P2pMessage::Disconnect(DisconnectReason::from_code(reason));
                let payload = message.encode_payload();
                prop_assert_eq!(
                    P2pMessage::decode(DISCONNECT, &payload).unwrap(),
                    Some(message)
                );
                let snappy = compress(&payload).unwrap();
                prop_assert_eq!(decompress(&snappy).unwrap(), payload);
                Ok(())
            },
        );
    }
}
