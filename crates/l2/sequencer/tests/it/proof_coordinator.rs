//! The proof coordinator over real TCP on 127.0.0.1 (a free port) with a rollup chain built in
//! process: batches are handed out lowest unproven first and only once committed, their inputs
//! prove with the real guest, a correct submission is stored, a wrong one is refused naming the
//! word and stores nothing, and junk, oversized and silent connections are survived.

use std::{
    io::{BufReader, Read, Write},
    net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{B256, Bytes};
use ethrex_l2_common::protocol::{BatchProof, Message, ProverType, read_message, write_message};
use ethrex_l2_prover::execute_batch;
use ethrex_l2_sequencer::{
    ProofCoordinatorConfig,
    proof_coordinator::{CoordinatorOptions, MAX_FRAME_BYTES, ProofCoordinator},
};

use crate::l2_chain::sample;

fn start(l2: &crate::l2_chain::L2, read_timeout: Duration) -> ProofCoordinator {
    let config = ProofCoordinatorConfig {
        l1_private_key: B256::repeat_byte(1),
        listen_addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
        listen_port: 0,
        send_interval_ms: 1000,
    };
    let options = CoordinatorOptions {
        elasticity_multiplier: 2,
        read_timeout,
    };
    ProofCoordinator::start(
        &config,
        Arc::clone(&l2.chain),
        l2.state.clone(),
        options,
        Arc::clone(&l2.shared),
    )
    .unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
}

/// One exchange: `message` out, the answer in.
fn exchange(addr: SocketAddr, message: &Message) -> Message {
    let mut stream = connect(addr);
    write_message(&mut stream, message).unwrap();
    read_message(&mut BufReader::new(stream)).unwrap()
}

/// Raw bytes out, the answer (`None`: the connection closed without one).
fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> Option<Message> {
    let mut stream = connect(addr);
    // The server may answer and close before taking all of an oversized frame.
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    read_message(&mut BufReader::new(stream)).ok()
}

fn request(addr: SocketAddr) -> Message {
    exchange(
        addr,
        &Message::Request {
            prover_type: ProverType::Exec,
        },
    )
}

fn submit(addr: SocketAddr, batch_number: u64, public_values: Vec<u8>) -> Message {
    exchange(
        addr,
        &Message::Submit {
            batch_number,
            proof: BatchProof {
                prover_type: ProverType::Exec,
                public_values: Bytes::from(public_values),
                proof: Bytes::new(),
            },
        },
    )
}

/// Asks for a batch and proves it with the guest: its number and public values.
fn take_and_prove(addr: SocketAddr) -> Option<(u64, Vec<u8>)> {
    match request(addr) {
        Message::Response {
            batch_number: None,
            input: None,
        } => None,
        Message::Response {
            batch_number: Some(n),
            input: Some(input),
        } => {
            assert_eq!(input.elasticity_multiplier, 2);
            let public = execute_batch(&input).unwrap();
            Some((n, public.encode().to_vec()))
        }
        other => panic!("unexpected answer {other:?}"),
    }
}

fn error_text(message: Message) -> String {
    match message {
        Message::Error { message } => message,
        other => panic!("expected an Error, got {other:?}"),
    }
}

#[test]
fn batches_are_proven_in_order_and_only_matching_proofs_are_stored() {
    let started = Instant::now();
    let (l2, _) = sample();
    l2.seal(1, 2, true);
    l2.seal(3, 3, false);
    let coordinator = start(&l2, Duration::from_secs(10));
    let addr = coordinator.local_addr();
    assert!(addr.ip().is_loopback());

    let (number, values) = take_and_prove(addr).expect("batch 1 waits");
    assert_eq!(number, 1);
    // Asked again before a proof arrives: the same batch.
    assert_eq!(take_and_prove(addr).map(|(n, _)| n), Some(1));

    // A wrong message root (word 2) is refused, named, and not stored.
    let mut wrong = values.clone();
    wrong[64] ^= 1;
    let refused = error_text(submit(addr, 1, wrong));
    assert!(
        refused.contains("word 2 (L1 messages merkle root)"),
        "{refused}"
    );
    assert!(l2.state.proof(1).unwrap().is_none());
    let short = error_text(submit(addr, 1, values[..200].to_vec()));
    assert!(short.contains("200 bytes"), "{short}");
    assert!(l2.state.proof(1).unwrap().is_none());

    // The guest's values are accepted and stored.
    assert_eq!(
        submit(addr, 1, values.clone()),
        Message::SubmitAck { batch_number: 1 }
    );
    let stored = l2.state.proof(1).unwrap().unwrap();
    assert_eq!(stored.public_values.as_ref(), values.as_slice());

    // Batch 2 is sealed but not committed: nothing to hand out until it is.
    assert_eq!(take_and_prove(addr), None);
    l2.commit(2);
    let (number, values2) = take_and_prove(addr).expect("batch 2 waits");
    assert_eq!(number, 2);
    // Batch 2 starts from batch 1's final root.
    assert_eq!(values2[..32], values[32..64]);
    // Batch 1's values are not batch 2's: word 0 differs first.
    let refused = error_text(submit(addr, 2, values.clone()));
    assert!(refused.contains("word 0 (initial state root)"), "{refused}");
    assert_eq!(
        submit(addr, 2, values2),
        Message::SubmitAck { batch_number: 2 }
    );
    assert_eq!(take_and_prove(addr), None, "everything is proven");

    l2.shared.stop();
    coordinator.join();
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn junk_oversized_silent_and_unknown_are_survived() {
    let (l2, _) = sample();
    l2.seal(1, 3, true);
    let coordinator = start(&l2, Duration::from_millis(500));
    let addr = coordinator.local_addr();

    for junk in [
        b"not json\n".as_slice(),
        b"{\"type\":\"Nope\"}\n",
        b"{\"type\":\"Request\",\"prover_type\":\"quantum\"}\n",
        b"\xff\xfe\n",
    ] {
        let answer = raw_exchange(addr, junk).expect("junk gets an answer");
        assert!(error_text(answer).contains("malformed"), "{junk:?}");
    }
    // An oversized frame: an Error or a closed connection, nothing else.
    let oversized = vec![b'x'; usize::try_from(MAX_FRAME_BYTES).unwrap() + 10];
    if let Some(answer) = raw_exchange(addr, &oversized) {
        assert!(error_text(answer).contains("longer than"));
    }
    // A silent client is dropped after the read deadline; an empty one at once.
    let mut silent = connect(addr);
    assert!(raw_exchange(addr, b"").is_none());
    let waited = Instant::now();
    let mut buf = [0u8; 1];
    assert_eq!(
        silent.read(&mut buf).unwrap_or(0),
        0,
        "closed without an answer"
    );
    assert!(waited.elapsed() < Duration::from_secs(10));
    // An unknown batch, a reserved message, a message only the coordinator sends.
    let unknown = error_text(submit(addr, 9, vec![0; 256]));
    assert!(unknown.contains("batch 9 is not sealed"), "{unknown}");
    let setup = exchange(
        addr,
        &Message::ProverSetup {
            prover_type: ProverType::Tdx,
            payload: Bytes::new(),
        },
    );
    assert!(error_text(setup).contains("reserved"));
    assert!(
        error_text(exchange(addr, &Message::SubmitAck { batch_number: 1 })).contains("unexpected")
    );

    // Still serving: batch 1 is handed out and its proof accepted.
    let (number, values) = take_and_prove(addr).expect("batch 1 waits");
    assert_eq!(number, 1);
    assert_eq!(
        submit(addr, 1, values),
        Message::SubmitAck { batch_number: 1 }
    );

    l2.shared.stop();
    coordinator.join();
}

#[test]
fn the_prover_client_proves_every_committed_batch() {
    use ethrex_l2_prover::{ClientConfig, Coordinator, PollOutcome, ProverClient};

    let (l2, _) = sample();
    l2.seal(1, 1, true);
    l2.seal(2, 3, true);
    let coordinator = start(&l2, Duration::from_secs(10));
    let url = format!("tcp://{}", coordinator.local_addr());
    let client = ProverClient::new(ClientConfig {
        prover_type: ProverType::Exec,
        coordinators: vec![Coordinator::parse(&url).unwrap()],
        proving_time: Duration::from_millis(100),
        io_timeout: Duration::from_secs(30),
    })
    .unwrap();
    let target = &client.config().coordinators[0];
    for expected in [1, 2] {
        match client.poll(target).unwrap() {
            PollOutcome::Submitted { batch_number, .. } => assert_eq!(batch_number, expected),
            PollOutcome::Idle => panic!("batch {expected} was not handed out"),
        }
        assert!(l2.state.proof(expected).unwrap().is_some());
    }
    assert_eq!(client.poll(target).unwrap(), PollOutcome::Idle);

    l2.shared.stop();
    coordinator.join();
}

#[test]
fn connections_beyond_the_cap_are_closed_and_serving_resumes() {
    use ethrex_l2_sequencer::proof_coordinator::MAX_CONNECTIONS;

    let l2 = crate::l2_chain::L2::new();
    let deadline = Duration::from_secs(3);
    let coordinator = start(&l2, deadline);
    let addr = coordinator.local_addr();
    let silent: Vec<TcpStream> = (0..MAX_CONNECTIONS).map(|_| connect(addr)).collect();
    // Accepted after the silent ones, while they hold every slot: closed without an answer.
    let request_line = b"{\"type\":\"Request\",\"prover_type\":\"exec\"}\n";
    assert_eq!(raw_exchange(addr, request_line), None);
    // Once their read deadline passes, their slots are free again.
    std::thread::sleep(deadline + Duration::from_millis(500));
    let idle = Message::Response {
        batch_number: None,
        input: None,
    };
    assert_eq!(request(addr), idle);
    drop(silent);

    l2.shared.stop();
    coordinator.join();
}
