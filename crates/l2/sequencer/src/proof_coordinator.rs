//! The proof coordinator: a TCP server where provers take batches to prove and hand their
//! proofs back, in the wire protocol of [`ethrex_l2_common::protocol`] (one JSON line each way,
//! one exchange per connection).
//!
//! - `Request` → the lowest sealed batch that has no stored proof, once it is committed
//!   (`commit_tx` recorded), with its [`ProverInput`](ethrex_l2_common::protocol::ProverInput)
//!   ([`inputs::prover_input`]); `batch_number: null` when no batch waits. Two provers asking at
//!   once get the same batch.
//! - `Submit` → the batch's public inputs are recomputed from the sequencer's records
//!   ([`inputs::expected_public_inputs`]) and compared with the submitted `public_values`:
//!   equal, the proof is stored ([`RollupState::set_proof`]) and acknowledged (`SubmitAck`);
//!   different, an `Error` names the first differing word and nothing is stored.
//! - Anything else — junk, a frame longer than [`MAX_FRAME_BYTES`], an unknown batch, a reserved
//!   `ProverSetup` — gets an `Error` answer (or, when not even that can be written, a closed
//!   connection); the server keeps serving.
//!
//! Each connection runs on its own thread (at most [`MAX_CONNECTIONS`] at once; more are closed
//! at once) and must deliver its frame within the read deadline ([`READ_TIMEOUT`] by default),
//! so a silent or trickling client holds one thread for a bounded time. The server stops when
//! the [`Shared`] stop flag is set (it polls for connections every [`POLL_INTERVAL`]).

pub mod inputs;

use std::{
    io::{BufRead, BufReader, ErrorKind, Read},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use ethrex_blockchain::Blockchain;
use ethrex_l2_common::protocol::{BatchProof, Message, read_message, write_message};

use crate::{ProofCoordinatorConfig, SequencerError, Shared, state::RollupState};

/// The longest frame a prover may send (its messages are a few hundred bytes).
pub const MAX_FRAME_BYTES: u64 = 1024 * 1024;
/// How long a connection may take to deliver its frame, by default.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long writing the answer (a batch's input) may take.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(120);
/// Connections served at once; more are closed without an answer.
pub const MAX_CONNECTIONS: usize = 32;
/// How often the accepting thread looks at the stop flag.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// What every connection's thread reads and writes.
#[derive(Debug)]
struct Coordinator {
    chain: Arc<Blockchain>,
    state: RollupState,
    elasticity_multiplier: u64,
    /// Every batch below this one has a stored proof (proofs are never removed).
    lowest_unproven: AtomicU64,
    read_timeout: Duration,
    connections: AtomicUsize,
}

/// A running proof coordinator.
#[derive(Debug)]
pub struct ProofCoordinator {
    addr: SocketAddr,
    accepting: thread::JoinHandle<()>,
}

/// Settings of [`ProofCoordinator::start`] besides the `--proof-coordinator.*` flags.
#[derive(Debug, Clone)]
pub struct CoordinatorOptions {
    /// `--elasticity-multiplier`, handed to provers in each input.
    pub elasticity_multiplier: u64,
    /// How long a connection may take to deliver its frame.
    pub read_timeout: Duration,
}

impl Default for CoordinatorOptions {
    fn default() -> Self {
        CoordinatorOptions {
            elasticity_multiplier: 2,
            read_timeout: READ_TIMEOUT,
        }
    }
}

impl ProofCoordinator {
    /// Listens on `config.listen_addr:config.listen_port` (port 0: a free one, see
    /// [`ProofCoordinator::local_addr`]) and serves provers until `shared` says stop.
    pub fn start(
        config: &ProofCoordinatorConfig,
        chain: Arc<Blockchain>,
        state: RollupState,
        options: CoordinatorOptions,
        shared: Arc<Shared>,
    ) -> Result<Self, SequencerError> {
        let wanted = SocketAddr::new(config.listen_addr, config.listen_port);
        let io = |what: &str, e: std::io::Error| {
            SequencerError::Other(format!("proof coordinator on {wanted}: {what}: {e}"))
        };
        let listener = TcpListener::bind(wanted).map_err(|e| io("cannot listen", e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| io("cannot poll", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| io("no local address", e))?;
        let coordinator = Arc::new(Coordinator {
            chain,
            state,
            elasticity_multiplier: options.elasticity_multiplier,
            lowest_unproven: AtomicU64::new(1),
            read_timeout: options.read_timeout,
            connections: AtomicUsize::new(0),
        });
        let accepting = thread::Builder::new()
            .name("proof_coordinator".into())
            .spawn(move || accept_loop(&listener, &coordinator, &shared))
            .map_err(|e| io("cannot start its thread", e))?;
        tracing::info!("proof coordinator listening on {addr}");
        Ok(ProofCoordinator { addr, accepting })
    }

    /// Where provers connect.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits for the accepting thread to end (after the stop flag is set; connections still
    /// being served end within their read and write deadlines).
    pub fn join(self) {
        if self.accepting.join().is_err() {
            tracing::error!("proof coordinator: its thread panicked");
        }
    }
}

fn accept_loop(listener: &TcpListener, coordinator: &Arc<Coordinator>, shared: &Shared) {
    while !shared.stopped() {
        match listener.accept() {
            Ok((stream, peer)) => spawn_connection(coordinator, stream, peer),
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(POLL_INTERVAL),
            Err(e) => {
                tracing::warn!("proof coordinator: accept: {e}");
                thread::sleep(POLL_INTERVAL);
            }
        }
    }
    tracing::info!("proof coordinator stopped");
}

/// Serves `stream` on its own thread, unless [`MAX_CONNECTIONS`] are being served already.
fn spawn_connection(coordinator: &Arc<Coordinator>, stream: TcpStream, peer: SocketAddr) {
    let busy = coordinator.connections.fetch_add(1, Ordering::SeqCst);
    if busy >= MAX_CONNECTIONS {
        coordinator.connections.fetch_sub(1, Ordering::SeqCst);
        tracing::warn!("proof coordinator: {peer} refused, {busy} connections being served");
        return;
    }
    let serving = Arc::clone(coordinator);
    let spawned = thread::Builder::new()
        .name("proof_coordinator_conn".into())
        .spawn(move || {
            if let Err(e) = serve(&serving, stream) {
                tracing::debug!("proof coordinator: connection from {peer}: {e}");
            }
            serving.connections.fetch_sub(1, Ordering::SeqCst);
        });
    if let Err(e) = spawned {
        coordinator.connections.fetch_sub(1, Ordering::SeqCst);
        tracing::warn!("proof coordinator: cannot serve {peer}: {e}");
    }
}

/// Reads from a stream until a deadline: each read waits at most the time left.
struct DeadlineReader {
    stream: TcpStream,
    deadline: Instant,
}

impl Read for DeadlineReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::Error::new(
                ErrorKind::TimedOut,
                "the frame did not arrive in time",
            ));
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.read(buf)
    }
}

/// One exchange: a frame in, an answer out.
fn serve(coordinator: &Coordinator, stream: TcpStream) -> Result<(), SequencerError> {
    let io = |e: std::io::Error| SequencerError::Other(e.to_string());
    stream.set_nonblocking(false).map_err(io)?;
    stream.set_write_timeout(Some(WRITE_TIMEOUT)).map_err(io)?;
    let mut writer = stream.try_clone().map_err(io)?;
    let reader = DeadlineReader {
        stream,
        deadline: Instant::now() + coordinator.read_timeout,
    };
    let mut reader = BufReader::new(reader.take(MAX_FRAME_BYTES.saturating_add(1)));
    let answer = match read_frame(&mut reader) {
        Ok(message) => coordinator.answer(message),
        Err(FrameError::Io(e)) => return Err(io(e)),
        Err(FrameError::Bad(message)) => Message::Error { message },
    };
    if let Message::Error { message } = &answer {
        tracing::warn!("proof coordinator: refused a frame: {message}");
    }
    write_message(&mut writer, &answer).map_err(|e| SequencerError::Other(e.to_string()))
}

enum FrameError {
    /// The connection failed or timed out: nothing to answer.
    Io(std::io::Error),
    /// A frame came but is not a message: answered with its reason.
    Bad(String),
}

/// Reads one line of at most [`MAX_FRAME_BYTES`] and parses it as a message.
fn read_frame(reader: &mut impl BufRead) -> Result<Message, FrameError> {
    let mut line = Vec::new();
    let read = reader
        .read_until(b'\n', &mut line)
        .map_err(FrameError::Io)?;
    if read == 0 {
        return Err(FrameError::Io(std::io::Error::new(
            ErrorKind::UnexpectedEof,
            "closed before a frame",
        )));
    }
    if u64::try_from(line.len()).unwrap_or(u64::MAX) > MAX_FRAME_BYTES {
        return Err(FrameError::Bad(format!(
            "frame longer than {MAX_FRAME_BYTES} bytes"
        )));
    }
    read_message(&mut line.as_slice()).map_err(|e| FrameError::Bad(e.to_string()))
}

impl Coordinator {
    /// The answer to `message` (an `Error` when it cannot be served).
    fn answer(&self, message: Message) -> Message {
        let result = match message {
            Message::Request { prover_type } => self.request().inspect(|answer| {
                if let Message::Response {
                    batch_number: Some(n),
                    ..
                } = answer
                {
                    tracing::info!("proof coordinator: batch {n} handed to a {prover_type} prover");
                }
            }),
            Message::Submit {
                batch_number,
                proof,
            } => self.submit(batch_number, &proof),
            Message::ProverSetup { .. } => Ok(Message::Error {
                message: "ProverSetup is reserved (TDX) and not served".into(),
            }),
            other => Ok(Message::Error {
                message: format!("unexpected message from a prover: {}", kind(&other)),
            }),
        };
        result.unwrap_or_else(|e| Message::Error {
            message: e.to_string(),
        })
    }

    /// The lowest sealed, committed batch without a stored proof, with its input.
    fn request(&self) -> Result<Message, SequencerError> {
        let none = Message::Response {
            batch_number: None,
            input: None,
        };
        let Some(batch) = self.next_batch()? else {
            return Ok(none);
        };
        let input =
            inputs::prover_input(&self.chain, &self.state, &batch, self.elasticity_multiplier)?;
        Ok(Message::Response {
            batch_number: Some(batch.number),
            input: Some(Box::new(input)),
        })
    }

    fn next_batch(&self) -> Result<Option<crate::state::Batch>, SequencerError> {
        let last = self.state.last_batch_number()?;
        let mut number = self.lowest_unproven.load(Ordering::SeqCst).max(1);
        while number <= last {
            if self.state.proof(number)?.is_none() {
                self.lowest_unproven.fetch_max(number, Ordering::SeqCst);
                let batch = self.state.batch(number)?.ok_or_else(|| {
                    SequencerError::Corrupt(format!("sealed batch {number} has no record"))
                })?;
                // Batches are committed in order: a later one cannot be committed either.
                return Ok(batch.commit_tx.is_some().then_some(batch));
            }
            number = number.saturating_add(1);
        }
        self.lowest_unproven.fetch_max(number, Ordering::SeqCst);
        Ok(None)
    }

    /// Checks a proof's public values against the batch's and stores it when they agree.
    fn submit(&self, number: u64, proof: &BatchProof) -> Result<Message, SequencerError> {
        let batch = self
            .state
            .batch(number)?
            .ok_or_else(|| SequencerError::Other(format!("batch {number} is not sealed")))?;
        let expected = inputs::expected_public_inputs(&self.chain, &self.state, &batch)?;
        if let Some(difference) = inputs::first_difference(&expected.encode(), &proof.public_values)
        {
            return Ok(Message::Error {
                message: format!("proof of batch {number} refused: {difference}"),
            });
        }
        self.state.set_proof(number, proof)?;
        tracing::info!(
            "proof coordinator: {} proof of batch {number} stored",
            proof.prover_type
        );
        Ok(Message::SubmitAck {
            batch_number: number,
        })
    }
}

/// The `type` of a message, for error texts.
fn kind(message: &Message) -> &'static str {
    match message {
        Message::Request { .. } => "Request",
        Message::Response { .. } => "Response",
        Message::Submit { .. } => "Submit",
        Message::SubmitAck { .. } => "SubmitAck",
        Message::ProverSetup { .. } => "ProverSetup",
        Message::ProverSetupAck => "ProverSetupAck",
        Message::Error { .. } => "Error",
    }
}
