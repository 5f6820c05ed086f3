//! RLPx framing: [`FrameCodec`] turns a message (id, payload) into one encrypted, authenticated
//! frame and back.
//!
//! A frame is `header-ciphertext (16) || header-mac (16) || frame-ciphertext || frame-mac (16)`.
//! The header is the 24-bit big-endian frame size, the header data `[0, 0]` and zero padding to
//! 16 bytes; the frame data is `rlp(msg-id) || payload`, zero-padded to a multiple of 16. Both are
//! encrypted with AES-256-CTR keyed by the `aes` secret (IV zero, one keystream per direction).
//! The MACs come from running Keccak-256 states (egress for what we send, ingress for what we
//! receive), updated with seeds made by AES-256 (ECB, keyed by the `mac` secret) of the state's
//! digest, as the RLPx spec defines.
//!
//! Invariants: MACs are checked before anything is decrypted; after an error the codec's states
//! no longer match the peer's, so the connection must be dropped.

use aes::cipher::{BlockEncrypt, KeyInit, KeyIvInit, StreamCipher};
use alloy_primitives::Keccak256;
use alloy_rlp::{Decodable, Encodable};

use super::{
    error::{RlpxError, RlpxResult},
    handshake::Secrets,
};

/// The largest frame size the 24-bit size field can express.
pub const MAX_FRAME_SIZE: usize = (1 << 24) - 1;
/// Bytes of the encrypted header and of each MAC.
const BLOCK: usize = 16;
/// `header-data = [capability-id, context-id]`, both zero.
const HEADER_DATA: [u8; 3] = [0xc2, 0x80, 0x80];

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// One decoded frame: the message id and its (still compressed, after Hello) payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The message id (p2p ids below 0x10, then the capabilities' offsets).
    pub id: u64,
    /// The message data after the id.
    pub payload: Vec<u8>,
}

/// The frame cipher and MAC states of one connection, both directions.
pub struct FrameCodec {
    egress_aes: Aes256Ctr,
    ingress_aes: Aes256Ctr,
    mac_cipher: aes::Aes256,
    egress_mac: Keccak256,
    ingress_mac: Keccak256,
    max_frame_size: usize,
    /// The frame size of an authenticated header whose body has not fully arrived.
    pending_body: Option<usize>,
}

impl std::fmt::Debug for FrameCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameCodec")
            .field("max_frame_size", &self.max_frame_size)
            .field("pending_body", &self.pending_body)
            .finish_non_exhaustive()
    }
}

impl FrameCodec {
    /// The codec of a connection whose handshake produced `secrets`.
    pub fn new(secrets: &Secrets) -> Self {
        let zero_iv = [0u8; BLOCK];
        Self {
            egress_aes: Aes256Ctr::new(&secrets.aes.0.into(), &zero_iv.into()),
            ingress_aes: Aes256Ctr::new(&secrets.aes.0.into(), &zero_iv.into()),
            mac_cipher: aes::Aes256::new(&secrets.mac.0.into()),
            egress_mac: secrets.egress_mac.clone(),
            ingress_mac: secrets.ingress_mac.clone(),
            max_frame_size: MAX_FRAME_SIZE,
            pending_body: None,
        }
    }

    /// Rejects frames larger than `max` bytes of frame data (at most [`MAX_FRAME_SIZE`]).
    pub fn with_max_frame_size(mut self, max: usize) -> Self {
        self.max_frame_size = max.min(MAX_FRAME_SIZE);
        self
    }

    /// Appends to `out` the frame carrying message `id` with `payload`.
    pub fn encode(&mut self, id: u64, payload: &[u8], out: &mut Vec<u8>) -> RlpxResult<()> {
        let mut id_rlp = Vec::with_capacity(9);
        id.encode(&mut id_rlp);
        self.encode_frame_data(&[&id_rlp, payload], out)
    }

    /// Appends to `out` the frame whose frame data is the concatenation of `parts`.
    fn encode_frame_data(&mut self, parts: &[&[u8]], out: &mut Vec<u8>) -> RlpxResult<()> {
        let size: usize = parts.iter().map(|part| part.len()).sum();
        if size > self.max_frame_size {
            return Err(RlpxError::FrameTooLarge {
                size,
                max: self.max_frame_size,
            });
        }
        let mut header = [0u8; BLOCK];
        // `size` is at most MAX_FRAME_SIZE, so it fits the 3 low bytes.
        header[..3].copy_from_slice(&size.to_be_bytes()[size_of::<usize>() - 3..]);
        header[3..6].copy_from_slice(&HEADER_DATA);
        self.egress_aes.apply_keystream(&mut header);
        let header_mac = header_mac(&mut self.egress_mac, &self.mac_cipher, &header);
        out.extend_from_slice(&header);
        out.extend_from_slice(&header_mac);

        let start = out.len();
        for part in parts {
            out.extend_from_slice(part);
        }
        out.resize(start + padded(size), 0);
        self.egress_aes.apply_keystream(&mut out[start..]);
        let frame_mac = frame_mac(&mut self.egress_mac, &self.mac_cipher, &out[start..]);
        out.extend_from_slice(&frame_mac);
        Ok(())
    }

    /// Takes one frame from the front of `buf`: `Ok(None)` when more bytes are needed (what has
    /// arrived is kept, and an authenticated header is consumed), `Ok(Some(frame))` with the
    /// frame's bytes removed from `buf`, or an error for a wrong MAC, an oversized frame or frame
    /// data that does not start with a message id.
    pub fn decode(&mut self, buf: &mut Vec<u8>) -> RlpxResult<Option<Frame>> {
        let size = match self.pending_body {
            Some(size) => size,
            None => {
                let Some(size) = self.decode_header(buf)? else {
                    return Ok(None);
                };
                self.pending_body = Some(size);
                size
            }
        };
        let body_len = padded(size);
        let Some((ciphertext, mac)) = buf
            .get(..body_len + BLOCK)
            .map(|frame| frame.split_at(body_len))
        else {
            return Ok(None);
        };
        let expected = frame_mac(&mut self.ingress_mac, &self.mac_cipher, ciphertext);
        if !constant_time_eq(&expected, mac) {
            return Err(RlpxError::BadFrameMac { which: "frame" });
        }
        let mut data: Vec<u8> = buf.drain(..body_len + BLOCK).take(body_len).collect();
        self.pending_body = None;
        self.ingress_aes.apply_keystream(&mut data);
        data.truncate(size);
        let mut rest = data.as_slice();
        let id = u64::decode(&mut rest).map_err(RlpxError::rlp("frame message id"))?;
        Ok(Some(Frame {
            id,
            payload: rest.to_vec(),
        }))
    }

    /// Authenticates, decrypts and removes the 32-byte header at the front of `buf`, giving the
    /// frame size; `None` while fewer than 32 bytes have arrived.
    fn decode_header(&mut self, buf: &mut Vec<u8>) -> RlpxResult<Option<usize>> {
        let Some((ciphertext, mac)) = buf.get(..2 * BLOCK).map(|h| h.split_at(BLOCK)) else {
            return Ok(None);
        };
        let mut header = [0u8; BLOCK];
        header.copy_from_slice(ciphertext);
        let expected = header_mac(&mut self.ingress_mac, &self.mac_cipher, &header);
        if !constant_time_eq(&expected, mac) {
            return Err(RlpxError::BadFrameMac { which: "header" });
        }
        buf.drain(..2 * BLOCK);
        self.ingress_aes.apply_keystream(&mut header);
        // The header data is ignored: capability and context ids are unused (RLPx v5).
        let size =
            usize::from(header[0]) << 16 | usize::from(header[1]) << 8 | usize::from(header[2]);
        if size > self.max_frame_size {
            return Err(RlpxError::FrameTooLarge {
                size,
                max: self.max_frame_size,
            });
        }
        Ok(Some(size))
    }
}

/// `size` rounded up to a multiple of 16.
fn padded(size: usize) -> usize {
    size.div_ceil(BLOCK) * BLOCK
}

/// The first 16 bytes of the state's current digest.
fn digest_prefix(state: &Keccak256) -> [u8; BLOCK] {
    let digest = state.clone().finalize();
    let mut prefix = [0u8; BLOCK];
    prefix.copy_from_slice(&digest[..BLOCK]);
    prefix
}

/// `aes(mac-secret, digest(state)[:16]) ^ with`, fed to the state; returns the new digest prefix.
fn update_mac(state: &mut Keccak256, cipher: &aes::Aes256, with: &[u8; BLOCK]) -> [u8; BLOCK] {
    let mut seed = digest_prefix(state);
    cipher.encrypt_block((&mut seed).into());
    for (s, w) in seed.iter_mut().zip(with) {
        *s ^= w;
    }
    state.update(seed);
    digest_prefix(state)
}

/// `header-mac`: the state updated with `aes(mac-secret, digest[:16]) ^ header-ciphertext`.
fn header_mac(state: &mut Keccak256, cipher: &aes::Aes256, header: &[u8; BLOCK]) -> [u8; BLOCK] {
    update_mac(state, cipher, header)
}

/// `frame-mac`: the state updated with the frame ciphertext, then with
/// `aes(mac-secret, digest[:16]) ^ digest[:16]`.
fn frame_mac(state: &mut Keccak256, cipher: &aes::Aes256, ciphertext: &[u8]) -> [u8; BLOCK] {
    state.update(ciphertext);
    let prefix = digest_prefix(state);
    update_mac(state, cipher, &prefix)
}

fn constant_time_eq(a: &[u8; BLOCK], b: &[u8]) -> bool {
    b.len() == BLOCK && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{
        NodeKey,
        rlpx::handshake::{Initiator, Recipient},
    };

    /// Codecs of the two ends of one connection, from a real handshake.
    fn pair() -> (FrameCodec, FrameCodec) {
        let (a, b) = (NodeKey::random(), NodeKey::random());
        let initiator = Initiator::new(&a, &b.public_key()).unwrap();
        let recipient = Recipient::receive_auth(&b, initiator.auth_packet()).unwrap();
        let ack = recipient.ack_packet().to_vec();
        let b_secrets = recipient.finish();
        let a_secrets = initiator.finish(&ack).unwrap();
        (FrameCodec::new(&a_secrets), FrameCodec::new(&b_secrets))
    }

    fn frame(codec: &mut FrameCodec, id: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        codec.encode(id, payload, &mut out).unwrap();
        out
    }

    #[test]
    fn frames_round_trip_in_both_directions_with_padding() {
        let (mut a, mut b) = pair();
        for (id, len) in [
            (0u64, 0usize),
            (1, 1),
            (0x10, 14),
            (0x11, 15),
            (2, 16),
            (300, 1000),
        ] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut wire = frame(&mut a, id, &payload);
            // header (16) + header-mac (16) + padded frame data + frame-mac (16)
            assert_eq!(wire.len(), 48 + padded(id.length() + len));
            assert_eq!(
                b.decode(&mut wire).unwrap(),
                Some(Frame {
                    id,
                    payload: payload.clone()
                })
            );
            assert!(wire.is_empty());
            let mut back = frame(&mut b, id, &payload);
            assert_eq!(a.decode(&mut back).unwrap().unwrap().payload, payload);
        }
    }

    #[test]
    fn partial_input_needs_more_and_consecutive_frames_decode_in_order() {
        let (mut a, mut b) = pair();
        let mut wire = frame(&mut a, 3, b"first");
        wire.extend(frame(&mut a, 4, &[7; 40]));
        let mut buf = Vec::new();
        let mut got = Vec::new();
        for byte in wire {
            buf.push(byte);
            while let Some(frame) = b.decode(&mut buf).unwrap() {
                got.push(frame);
            }
        }
        assert_eq!(
            got,
            [
                Frame {
                    id: 3,
                    payload: b"first".to_vec()
                },
                Frame {
                    id: 4,
                    payload: vec![7; 40]
                },
            ]
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn a_flipped_bit_anywhere_fails_the_header_or_frame_mac() {
        let mut template = pair();
        let wire = frame(&mut template.0, 5, b"payload");
        for i in 0..wire.len() {
            // Fresh codecs in the same state for each position.
            let (mut a, mut b) = pair();
            let mut tampered = frame(&mut a, 5, b"payload");
            tampered[i] ^= 0x01;
            let which = if i < 32 { "header" } else { "frame" };
            match b.decode(&mut tampered) {
                Err(RlpxError::BadFrameMac { which: got }) => assert_eq!(got, which, "byte {i}"),
                other => panic!("byte {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn frames_over_the_limit_are_rejected_on_both_ends() {
        let (mut a, b) = pair();
        let mut b = b.with_max_frame_size(64);
        let mut wire = frame(&mut a, 1, &[0; 100]);
        assert!(matches!(
            b.decode(&mut wire),
            Err(RlpxError::FrameTooLarge { size: 101, max: 64 })
        ));
        let mut small = a.with_max_frame_size(64);
        assert!(matches!(
            small.encode(1, &[0; 64], &mut Vec::new()),
            Err(RlpxError::FrameTooLarge { size: 65, max: 64 })
        ));
        assert!(matches!(
            FrameCodec::new(&dummy_secrets()).encode(1, &vec![0; MAX_FRAME_SIZE], &mut Vec::new()),
            Err(RlpxError::FrameTooLarge { .. })
        ));
    }

    fn dummy_secrets() -> Secrets {
        Secrets {
            aes: alloy_primitives::B256::repeat_byte(1),
            mac: alloy_primitives::B256::repeat_byte(2),
            egress_mac: Keccak256::new(),
            ingress_mac: Keccak256::new(),
            remote_public_key: alloy_primitives::B512::ZERO,
        }
    }

    /// Decoder property tests, run by [`crate::rlpx::fuzz::check`].
    mod fuzz {
        use super::*;
        use crate::rlpx::fuzz::check;

        /// Appends a frame whose 16-byte plaintext header is `header` (any size field, any
        /// header data) with a valid header MAC, then `body` behind a valid frame MAC.
        fn frame_with_header(codec: &mut FrameCodec, header: [u8; 16], body: &[u8]) -> Vec<u8> {
            let mut header = header;
            codec.egress_aes.apply_keystream(&mut header);
            let mac = header_mac(&mut codec.egress_mac, &codec.mac_cipher, &header);
            let mut out = header.to_vec();
            out.extend_from_slice(&mac);
            let start = out.len();
            out.extend_from_slice(body);
            codec.egress_aes.apply_keystream(&mut out[start..]);
            let mac = frame_mac(&mut codec.egress_mac, &codec.mac_cipher, &out[start..]);
            out.extend_from_slice(&mac);
            out
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_frame_decoder() {
            let chunks = prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..8);
            check("frame: arbitrary bytes", 256, chunks, |chunks| {
                let mut codec = FrameCodec::new(&dummy_secrets());
                let mut buf = Vec::new();
                for chunk in chunks {
                    buf.extend(chunk);
                    if codec.decode(&mut buf).is_err() {
                        break;
                    }
                }
                Ok(())
            });
        }

        #[test]
        fn arbitrary_headers_behind_a_valid_mac_are_decoded_or_refused() {
            let strategy = (
                prop_oneof![0usize..128, 0..=MAX_FRAME_SIZE],
                any::<[u8; 13]>(),
                prop::collection::vec(any::<u8>(), 0..160),
                any::<bool>(),
                0usize..128,
            );
            let name = "frame: arbitrary header";
            check(
                name,
                256,
                strategy,
                |(size, header_data, body, exact, max)| {
                    // Any size and header data; the body either exactly fills the padded size or not.
                    let mut header = [0u8; BLOCK];
                    header[..3].copy_from_slice(&size.to_be_bytes()[size_of::<usize>() - 3..]);
                    header[3..].copy_from_slice(&header_data);
                    let mut body = body;
                    if exact && size < 1 << 16 {
                        body.resize(padded(size), 0);
                    }
                    // Equal secrets on both ends: the sender's egress states are the receiver's
                    // ingress.
                    let mut sender = FrameCodec::new(&dummy_secrets());
                    let mut receiver = FrameCodec::new(&dummy_secrets()).with_max_frame_size(max);
                    let mut wire = frame_with_header(&mut sender, header, &body);
                    match receiver.decode(&mut wire) {
                        Err(RlpxError::FrameTooLarge { size: got, .. }) => {
                            prop_assert!(size > max);
                            prop_assert_eq!(got, size);
                        }
                        // The frame MAC covers exactly `padded(size)` bytes.
                        Ok(None) => prop_assert!(size <= max && body.len() < padded(size)),
                        Ok(Some(frame)) => {
                            prop_assert!(size <= max && body.len() == padded(size));
                            prop_assert!(frame.payload.len() < size);
                            prop_assert!(wire.is_empty());
                        }
                        Err(RlpxError::BadFrameMac { which }) => {
                            prop_assert_eq!(which, "frame");
                            prop_assert!(size <= max && body.len() > padded(size));
                        }
                        Err(_) => prop_assert!(size <= max && body.len() == padded(size)),
                    }
                    Ok(())
                },
            );
        }

        #[test]
        fn arbitrary_frame_data_behind_valid_macs_never_panics() {
            let data = prop::collection::vec(any::<u8>(), 0..64);
            check("frame: arbitrary frame data", 256, data, |data| {
                let mut sender = FrameCodec::new(&dummy_secrets());
                let mut receiver = FrameCodec::new(&dummy_secrets());
                let mut wire = Vec::new();
                sender.encode_frame_data(&[&data], &mut wire).unwrap();
                let decoded = receiver.decode(&mut wire);
                prop_assert!(decoded.is_err() || wire.is_empty());
                Ok(())
            });
        }

        #[test]
        fn arbitrary_messages_round_trip_through_arbitrary_chunks() {
            let message = (any::<u64>(), prop::collection::vec(any::<u8>(), 0..100));
            let strategy = (
                prop::collection::vec(message, 1..4),
                prop::collection::vec(1usize..64, 1..8),
            );
            check("frame: round trip", 256, strategy, |(messages, cuts)| {
                let mut sender = FrameCodec::new(&dummy_secrets());
                let mut receiver = FrameCodec::new(&dummy_secrets());
                let mut wire = Vec::new();
                for (id, payload) in &messages {
                    sender.encode(*id, payload, &mut wire).unwrap();
                }
                // Deliver the bytes in chunks of the given sizes, cycling through them.
                let mut buf = Vec::new();
                let mut got = Vec::new();
                let mut rest = wire.as_slice();
                for cut in cuts.iter().cycle() {
                    if rest.is_empty() {
                        break;
                    }
                    let (chunk, tail) = rest.split_at((*cut).min(rest.len()));
                    rest = tail;
                    buf.extend_from_slice(chunk);
                    while let Some(frame) = receiver.decode(&mut buf).unwrap() {
                        got.push((frame.id, frame.payload));
                    }
                }
                prop_assert_eq!(got, messages);
                prop_assert!(buf.is_empty());
                Ok(())
            });
        }
    }
}
