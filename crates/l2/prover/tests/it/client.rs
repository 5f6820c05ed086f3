//! The prover client against small proof coordinators served here on 127.0.0.1 (free ports):
//! one hands out the sample batch and records the submission, one answers junk first, one is
//! down for a while. Every wait is bounded.

use std::{
    io::{BufReader, Write},
    net::{SocketAddr, TcpListener},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use alloy_primitives::{B256, Bytes};
use ethrex_l2_common::protocol::{Message, ProverInput, ProverType, read_message, write_message};
use ethrex_l2_prover::{ClientConfig, Coordinator, PollOutcome, ProverClient};

use crate::batch::{input_of, sample_batch};

/// How long a test waits for a submission.
const DEADLINE: Duration = Duration::from_secs(120);

/// A coordinator serving one batch (number 7): its submissions, and how many connections it
/// answered with junk first.
struct TestCoordinator {
    address: SocketAddr,
    submissions: Arc<Mutex<Vec<(u64, Bytes)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestCoordinator {
    /// Serves on `listener`; the first `junk` connections get the junk lines in turn.
    fn serve(listener: TcpListener, input: ProverInput, junk: Vec<&'static str>) -> Self {
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let submissions = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (recorded, stopped) = (Arc::clone(&submissions), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let connections = AtomicUsize::new(0);
            while !stopped.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let n = connections.fetch_add(1, Ordering::Relaxed);
                let Ok(message) = read_message(&mut BufReader::new(&stream)) else {
                    continue;
                };
                let mut writer = &stream;
                if let Some(line) = junk.get(n) {
                    let _ = writer.write_all(line.as_bytes());
                    continue;
                }
                let answer = match message {
                    Message::Request { .. } if recorded.lock().unwrap().is_empty() => {
                        Message::Response {
                            batch_number: Some(7),
                            input: Some(Box::new(input.clone())),
                        }
                    }
                    Message::Request { .. } => Message::Response {
                        batch_number: None,
                        input: None,
                    },
                    Message::Submit {
                        batch_number,
                        proof,
                    } => {
                        assert_eq!(proof.prover_type, ProverType::Exec);
                        assert!(proof.proof.is_empty(), "exec claims no proof");
                        recorded
                            .lock()
                            .unwrap()
                            .push((batch_number, proof.public_values));
                        Message::SubmitAck { batch_number }
                    }
                    other => Message::Error {
                        message: format!("unexpected {other:?}"),
                    },
                };
                let _ = write_message(&mut writer, &answer);
            }
        });
        TestCoordinator {
            address,
            submissions,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("tcp://{}", self.address)
    }

    /// Waits (bounded) for the first submission.
    fn wait_for_submission(&self) -> (u64, Bytes) {
        let started = Instant::now();
        loop {
            if let Some(first) = self.submissions.lock().unwrap().first() {
                return first.clone();
            }
            assert!(
                started.elapsed() < DEADLINE,
                "no submission within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestCoordinator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn free_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

fn client(urls: &[String]) -> ProverClient {
    client_with_timeout(urls, Duration::from_secs(30))
}

fn client_with_timeout(urls: &[String], io_timeout: Duration) -> ProverClient {
    ProverClient::new(ClientConfig {
        prover_type: ProverType::Exec,
        coordinators: urls
            .iter()
            .map(|u| Coordinator::parse(u).unwrap())
            .collect(),
        proving_time: Duration::from_millis(50),
        io_timeout,
    })
    .unwrap()
}

/// Runs `client` in a thread until the returned flag is set; joins on drop of the handle.
struct Running {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<u64>>,
}

impl Running {
    fn start(client: ProverClient) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || client.run(&flag));
        Running {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the client; how many proofs were acknowledged.
    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let started = Instant::now();
        let submitted = self.thread.take().unwrap().join().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the client took {:?} to stop",
            started.elapsed()
        );
        submitted
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The sample batch's input and the words its public values must hold: initial root, final
/// root and last block hash, from the chain's headers.
fn batch() -> (ProverInput, [B256; 3]) {
    let (chain, blocks) = sample_batch();
    let genesis = chain.store().header_by_number(0).unwrap().unwrap();
    let words = [
        genesis.state_root,
        blocks[2].header.state_root,
        blocks[2].header.hash_slow(),
    ];
    (input_of(&chain, &blocks), words)
}

fn assert_public_values(values: &[u8], [initial, last_root, last_hash]: [B256; 3]) {
    assert_eq!(values.len(), 256);
    assert_eq!(&values[..32], initial.as_slice());
    assert_eq!(&values[32..64], last_root.as_slice());
    assert_eq!(&values[160..192], last_hash.as_slice());
}

#[test]
fn the_client_proves_the_coordinators_batch_and_submits_its_public_values() {
    let (input, words) = batch();
    let coordinator = TestCoordinator::serve(free_listener(), input, vec![]);
    let client = client(&[coordinator.url()]);
    let target = Coordinator::parse(&coordinator.url()).unwrap();
    let PollOutcome::Submitted {
        batch_number,
        gas_used,
        ..
    } = client.poll(&target).unwrap()
    else {
        panic!("the coordinator had a batch");
    };
    assert_eq!(batch_number, 7);
    let (_, blocks) = sample_batch();
    let gas: u64 = blocks.iter().map(|b| b.header.gas_used).sum();
    assert!(gas > 0);
    assert_eq!(gas_used, gas);
    let (number, values) = coordinator.wait_for_submission();
    assert_eq!(number, 7);
    assert_public_values(&values, words);
    // Nothing else to prove.
    assert_eq!(client.poll(&target).unwrap(), PollOutcome::Idle);
}

#[test]
fn junk_answers_are_skipped_and_the_client_keeps_polling() {
    let (input, words) = batch();
    let junk = vec![
        "this is not json\n",
        "{\"type\":\"Nope\"}\n",
        "{\"type\":\"SubmitAck\",\"batch_number\":1}\n",
        "{\"type\":\"Response\",\"batch_number\":3}\n",
        "",
    ];
    let coordinator = TestCoordinator::serve(free_listener(), input, junk);
    let target = Coordinator::parse(&coordinator.url()).unwrap();
    let one = client(&[coordinator.url()]);
    let err = one.poll(&target).unwrap_err().to_string();
    assert!(err.contains("malformed message"), "{err}");
    let err = one.poll(&target).unwrap_err().to_string();
    assert!(err.contains("malformed message"), "{err}");
    let err = one.poll(&target).unwrap_err().to_string();
    assert!(err.contains("where a Response was expected"), "{err}");
    let err = one.poll(&target).unwrap_err().to_string();
    assert_eq!(err, "the coordinator named batch 3 but sent no input");
    let err = one.poll(&target).unwrap_err().to_string();
    assert!(err.contains("closed the connection"), "{err}");

    // The run loop gets past junk too: a fresh coordinator with the same junk.
    let (input, _) = batch();
    let junk = vec!["junk\n", "{\"type\":\"Error\",\"message\":\"busy\"}\n", ""];
    let coordinator = TestCoordinator::serve(free_listener(), input, junk);
    let running = Running::start(client(&[coordinator.url()]));
    let (number, values) = coordinator.wait_for_submission();
    assert_eq!(number, 7);
    assert_public_values(&values, words);
    assert_eq!(running.stop(), 1);
}

#[test]
fn a_coordinator_that_is_down_is_retried_until_it_comes_up() {
    let (input, words) = batch();
    // A free port with nothing listening on it.
    let port = free_listener().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let down = client(std::slice::from_ref(&url));
    let err = down
        .poll(&Coordinator::parse(&url).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("proof coordinator {url} is down")),
        "{err}"
    );

    // Another coordinator that is up is still served while the first is down.
    let up = TestCoordinator::serve(free_listener(), input.clone(), vec![]);
    let running = Running::start(client(&[url.clone(), up.url()]));
    let (number, values) = up.wait_for_submission();
    assert_eq!(number, 7);
    assert_public_values(&values, words);
    assert_eq!(running.stop(), 1);

    // The first comes up later on its port: the client, polling all along, reaches it.
    let running = Running::start(client(&[url]));
    std::thread::sleep(Duration::from_millis(500));
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let late = TestCoordinator::serve(listener, input, vec![]);
    let (number, values) = late.wait_for_submission();
    assert_eq!(number, 7);
    assert_public_values(&values, words);
    assert_eq!(running.stop(), 1);
}

#[test]
fn a_coordinator_that_never_answers_times_out_and_does_not_delay_stopping() {
    // Connections complete in the listener's backlog, but nothing is ever read or answered.
    let listener = free_listener();
    let url = format!("tcp://{}", listener.local_addr().unwrap());
    let quick = client_with_timeout(std::slice::from_ref(&url), Duration::from_millis(300));
    let started = Instant::now();
    let err = quick
        .poll(&Coordinator::parse(&url).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no answer within 0.3 s"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // A client waiting ten minutes for an answer still stops at once (Running::stop bounds it).
    let patient = client_with_timeout(&[url], Duration::from_secs(600));
    let running = Running::start(patient);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(running.stop(), 0);
    drop(listener);
}
