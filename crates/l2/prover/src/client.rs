//! The prover client: polls the sequencer's proof coordinators for batches, proves them with
//! its backend and submits the proofs, over the line protocol of
//! [`ethrex_l2_common::protocol`] (one message each way per TCP connection).
//!
//! One poll of a coordinator ([`ProverClient::poll`]): connect, send `Request{prover_type}`,
//! read the `Response`; when it names a batch, prove it and send `Submit` on a new connection,
//! expecting `SubmitAck` for that batch. [`ProverClient::run`] polls every coordinator in turn,
//! then waits `proving_time` (at least [`MIN_POLL_INTERVAL`]: never a busy loop), until its
//! stop flag is set; it never gives up on a coordinator. A coordinator that is down, answers
//! junk, or hands out a batch that does not prove costs one log line and that coordinator's
//! turn, never a panic.
//!
//! Coordinator URLs are `tcp://host:port` or `http://host:port`: both mean a raw TCP connection
//! speaking the line protocol (the scheme is accepted for the sequencer's configuration style;
//! no HTTP is spoken).

use std::{
    io::{BufReader, ErrorKind, Read},
    net::{SocketAddr, TcpStream, ToSocketAddrs},
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use alloy_rlp::Decodable;
use ethrex_common::types::Block;
use ethrex_l2_common::protocol::{
    Message, ProtocolError, ProverInput, ProverType, read_message, write_message,
};
use tracing::{debug, error, info, warn};

use crate::{Error, Result, backend};

/// The shortest wait between two rounds of polls, whatever `proving_time` says.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How long one exchange may take by default (connect, then the answer).
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a wait looks at the stop flag.
const STOP_CHECK: Duration = Duration::from_millis(20);
/// How often waiting for an answer looks at the stop flag.
const READ_SLICE: Duration = Duration::from_millis(100);

/// A proof coordinator's address, from its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coordinator {
    /// The URL as given (for logs).
    pub url: String,
    /// `host:port`.
    pub address: String,
}

impl Coordinator {
    /// `tcp://host:port` or `http://host:port` (a trailing `/` is allowed).
    pub fn parse(url: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = url
            .strip_prefix("tcp://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| invalid("expected tcp://host:port or http://host:port"))?;
        let address = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = address.rsplit_once(':').ok_or_else(|| invalid("no port"))?;
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        if address.contains('/') {
            return Err(invalid("a path is not allowed"));
        }
        port.parse::<u16>()
            .map_err(|_| invalid("the port is not a number from 0 to 65535"))?;
        Ok(Coordinator {
            url: url.to_string(),
            address: address.to_string(),
        })
    }
}

/// How a [`ProverClient`] works.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub prover_type: ProverType,
    pub coordinators: Vec<Coordinator>,
    /// The wait between two rounds of polls (`--proving-time`).
    pub proving_time: Duration,
    /// How long connecting, and then waiting for an answer, may take.
    pub io_timeout: Duration,
}

/// What one poll of a coordinator did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// The coordinator has no batch to prove.
    Idle,
    /// Batch `batch_number` was proved and the coordinator acknowledged the proof.
    Submitted {
        batch_number: u64,
        /// How long proving took.
        proving: Duration,
        /// The gas the batch's blocks used.
        gas_used: u64,
    },
}

/// Polls proof coordinators and proves their batches (see the module docs).
#[derive(Debug)]
pub struct ProverClient {
    config: ClientConfig,
}

impl ProverClient {
    /// A client of `config`: refused when its backend is not in this build or it names no
    /// coordinator.
    pub fn new(config: ClientConfig) -> Result<Self> {
        backend::check_available(config.prover_type)?;
        if config.coordinators.is_empty() {
            return Err(Error::NoCoordinator);
        }
        Ok(ProverClient { config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// One exchange with `coordinator`: sends `message`, returns its answer.
    /// Waiting for the answer ends early when `stop` is set.
    fn exchange(
        &self,
        coordinator: &Coordinator,
        message: &Message,
        stop: &AtomicBool,
    ) -> Result<Message> {
        let down = |source: std::io::Error| Error::Unreachable {
            url: coordinator.url.clone(),
            source,
        };
        let addresses: Vec<SocketAddr> = coordinator
            .address
            .to_socket_addrs()
            .map_err(down)?
            .collect();
        let mut last_error = std::io::Error::other("the host resolves to no address");
        let mut stream = None;
        for address in addresses {
            match TcpStream::connect_timeout(&address, self.config.io_timeout) {
                Ok(connected) => {
                    stream = Some(connected);
                    break;
                }
                Err(e) => last_error = e,
            }
        }
        let stream = stream.ok_or_else(|| down(last_error))?;
        let protocol = |source: ProtocolError| Error::Protocol {
            url: coordinator.url.clone(),
            source,
        };
        stream
            .set_read_timeout(Some(READ_SLICE))
            .and_then(|()| stream.set_write_timeout(Some(self.config.io_timeout)))
            .map_err(|e| protocol(e.into()))?;
        let mut writer = &stream;
        write_message(&mut writer, message).map_err(protocol)?;
        let reader = PatientReader {
            stream: &stream,
            stop,
            deadline: Instant::now() + self.config.io_timeout,
            timeout: self.config.io_timeout,
        };
        read_message(&mut BufReader::new(reader)).map_err(protocol)
    }

    fn unexpected(coordinator: &Coordinator, expected: &'static str, got: &Message) -> Error {
        Error::UnexpectedAnswer {
            url: coordinator.url.clone(),
            expected,
            got: format!("{got:?}").chars().take(200).collect(),
        }
    }

    /// Polls `coordinator` once (see the module docs).
    pub fn poll(&self, coordinator: &Coordinator) -> Result<PollOutcome> {
        self.poll_until(coordinator, &AtomicBool::new(false))
    }

    /// [`Self::poll`], giving up waiting for an answer once `stop` is set.
    fn poll_until(&self, coordinator: &Coordinator, stop: &AtomicBool) -> Result<PollOutcome> {
        let request = Message::Request {
            prover_type: self.config.prover_type,
        };
        let (batch_number, input) = match self.exchange(coordinator, &request, stop)? {
            Message::Response {
                batch_number: None, ..
            } => return Ok(PollOutcome::Idle),
            Message::Response {
                batch_number: Some(batch_number),
                input: Some(input),
            } => (batch_number, input),
            Message::Response {
                batch_number: Some(batch_number),
                input: None,
            } => return Err(Error::NoInput { batch_number }),
            other => return Err(Self::unexpected(coordinator, "Response", &other)),
        };
        info!(batch_number, coordinator = %coordinator.url, "proving batch");
        let started = Instant::now();
        let proof =
            backend::prove(self.config.prover_type, &input).map_err(|e| Error::BatchFailed {
                batch_number,
                source: Box::new(e),
            })?;
        let proving = started.elapsed();
        let submit = Message::Submit {
            batch_number,
            proof,
        };
        match self.exchange(coordinator, &submit, stop)? {
            Message::SubmitAck {
                batch_number: acked,
            } if acked == batch_number => Ok(PollOutcome::Submitted {
                batch_number,
                proving,
                gas_used: gas_used(&input),
            }),
            other => Err(Self::unexpected(coordinator, "SubmitAck", &other)),
        }
    }

    /// Polls every coordinator in turn, then waits `proving_time`, until `stop` is set.
    /// Returns how many proofs the coordinators acknowledged.
    pub fn run(&self, stop: &AtomicBool) -> u64 {
        let interval = self.config.proving_time.max(MIN_POLL_INTERVAL);
        let mut submitted = 0u64;
        while !stop.load(Ordering::Relaxed) {
            for coordinator in &self.config.coordinators {
                if stop.load(Ordering::Relaxed) {
                    return submitted;
                }
                submitted =
                    submitted.saturating_add(u64::from(self.poll_and_log(coordinator, stop)));
            }
            wait(interval, stop);
        }
        submitted
    }

    /// [`Self::poll`], its outcome logged; whether a proof was acknowledged.
    fn poll_and_log(&self, coordinator: &Coordinator, stop: &AtomicBool) -> bool {
        let url = &coordinator.url;
        match self.poll_until(coordinator, stop) {
            Ok(PollOutcome::Idle) => {
                debug!(coordinator = %url, "no batch to prove");
                false
            }
            Ok(PollOutcome::Submitted {
                batch_number,
                proving,
                gas_used,
            }) => {
                let seconds = proving.as_secs_f64();
                info!(
                    batch_number,
                    coordinator = %url,
                    proving_s = seconds,
                    gas_used,
                    mgas_per_s = gas_used as f64 / seconds.max(1e-9) / 1e6,
                    "batch proved and submitted"
                );
                true
            }
            Err(e @ Error::Unreachable { .. }) => {
                warn!(
                    "{e}; retrying in {} ms",
                    self.config.proving_time.max(MIN_POLL_INTERVAL).as_millis()
                );
                false
            }
            Err(e @ Error::BatchFailed { .. }) => {
                error!("{e}");
                false
            }
            Err(e) => {
                warn!("skipped: {e}");
                false
            }
        }
    }
}

/// The gas the blocks of `input` used, from their headers (blocks that do not decode count 0:
/// they did not prove either).
fn gas_used(input: &ProverInput) -> u64 {
    input
        .blocks
        .iter()
        .filter_map(|rlp| Block::decode(&mut rlp.as_ref()).ok())
        .map(|block| block.header.gas_used)
        .fold(0, u64::saturating_add)
}

/// A reader of a stream whose reads time out every [`READ_SLICE`]: it keeps reading until
/// `deadline`, or until `stop` is set.
struct PatientReader<'a> {
    stream: &'a TcpStream,
    stop: &'a AtomicBool,
    deadline: Instant,
    timeout: Duration,
}

impl Read for PatientReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            match (&mut &*self.stream).read(buf) {
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if self.stop.load(Ordering::Relaxed) {
                        return Err(std::io::Error::other("the prover is stopping"));
                    }
                    if Instant::now() >= self.deadline {
                        return Err(std::io::Error::new(
                            ErrorKind::TimedOut,
                            format!("no answer within {} s", self.timeout.as_secs_f64()),
                        ));
                    }
                }
                other => return other,
            }
        }
    }
}

/// Sleeps `duration`, or less once `stop` is set.
fn wait(duration: Duration, stop: &AtomicBool) {
    let deadline = Instant::now() + duration;
    while !stop.load(Ordering::Relaxed) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(STOP_CHECK));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinator_urls_are_tcp_or_http_host_port() {
        for (url, address) in [
            ("tcp://127.0.0.1:3900", "127.0.0.1:3900"),
            ("http://localhost:3900/", "localhost:3900"),
            ("tcp://[::1]:3900", "[::1]:3900"),
        ] {
            assert_eq!(Coordinator::parse(url).unwrap().address, address, "{url}");
        }
        for (url, reason) in [
            ("127.0.0.1:3900", "expected tcp://host:port"),
            ("https://127.0.0.1:3900", "expected tcp://host:port"),
            ("tcp://127.0.0.1", "no port"),
            ("tcp://:3900", "no host"),
            ("tcp://127.0.0.1:99999", "the port is not a number"),
            ("http://127.0.0.1:3900/prove", "a path is not allowed"),
        ] {
            let err = Coordinator::parse(url).unwrap_err().to_string();
            assert!(err.contains(reason), "{url}: {err}");
            assert!(err.contains(url), "{url}: {err}");
        }
    }

    #[test]
    fn a_client_needs_an_available_backend_and_a_coordinator() {
        let config = |prover_type, coordinators| ClientConfig {
            prover_type,
            coordinators,
            proving_time: Duration::from_millis(1),
            io_timeout: Duration::from_secs(1),
        };
        let one = vec![Coordinator::parse("tcp://127.0.0.1:1").unwrap()];
        let err = ProverClient::new(config(ProverType::Risc0, one.clone())).unwrap_err();
        assert_eq!(err.to_string(), "risc0 is not available in this build");
        let err = ProverClient::new(config(ProverType::Exec, vec![])).unwrap_err();
        assert_eq!(err.to_string(), "no proof coordinator to poll");
        assert!(ProverClient::new(config(ProverType::Exec, one)).is_ok());
    }

    #[test]
    fn a_wait_ends_early_once_stopped() {
        let stop = AtomicBool::new(true);
        let started = Instant::now();
        wait(Duration::from_secs(30), &stop);
        assert!(started.elapsed() < Duration::from_secs(1));
        let stop = AtomicBool::new(false);
        let started = Instant::now();
        wait(Duration::from_millis(60), &stop);
        assert!(started.elapsed() >= Duration::from_millis(60));
    }
}
