//! [`start`]: installs the Prometheus recorder as the process's global recorder and serves its
//! text format on `GET /metrics` (axum, on the caller's tokio runtime); every other path is 404.
//! Each scrape first reads the process's resources (`process.rs`).
//!
//! The exporter crate's own HTTP listener is not used: it cannot report the port it bound when
//! asked for port 0, and has no hook to run at scrape time.

use std::{net::SocketAddr, time::Duration};

use axum::{
    Router,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use metrics_exporter_prometheus::PrometheusHandle;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusRecorder};
use tokio::net::TcpListener;

use crate::{
    definitions::{SECONDS_BUCKETS, describe},
    process,
};

/// The path metrics are served on.
pub const PATH: &str = "/metrics";

/// How often the recorder drops expired data when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Errors starting the metrics endpoint.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("cannot listen on {addr} for metrics: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("a metrics recorder is already installed in this process")]
    AlreadyInstalled,
    #[error("cannot build the Prometheus recorder: {0}")]
    Build(#[from] BuildError),
}

pub type Result<T, E = MetricsError> = std::result::Result<T, E>;

/// Installs the Prometheus recorder for the whole process and serves it on `addr` (port 0: any
/// free port) until the runtime shuts down. Returns the bound address.
pub async fn start(addr: SocketAddr) -> Result<SocketAddr> {
    let bind_error = |source| MetricsError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bind_error)?;
    let bound = listener.local_addr().map_err(bind_error)?;
    let recorder = recorder()?;
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|_| MetricsError::AlreadyInstalled)?;
    describe();
    let app = Router::new()
        .route(PATH, get(scrape))
        .with_state(handle.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("metrics server stopped: {e}");
        }
    });
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(UPKEEP_INTERVAL);
        loop {
            ticks.tick().await;
            handle.run_upkeep();
        }
    });
    Ok(bound)
}

/// The recorder: histograms (not summaries) for every `*_seconds` metric.
pub(crate) fn recorder() -> Result<PrometheusRecorder> {
    Ok(PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)?
        .build_recorder())
}

async fn scrape(State(handle): State<PrometheusHandle>) -> Response {
    process::update();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use crate::{
        ProcessedBlocks, StageTimes, definitions::*, record_blocks, record_rpc, set_block_height,
        set_discovery_nodes, set_mempool_size,
    };

    /// Every sample of a Prometheus text, `series value`, comments left out.
    fn samples(text: &str) -> Vec<(String, f64)> {
        text.lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(|line| {
                let (series, value) = line.rsplit_once(' ').unwrap();
                (series.to_string(), value.parse().unwrap())
            })
            .collect()
    }

    fn value(samples: &[(String, f64)], series: &str) -> f64 {
        samples
            .iter()
            .find(|(s, _)| s == series)
            .unwrap_or_else(|| panic!("no sample {series} in {samples:?}"))
            .1
    }

    #[test]
    fn a_recorded_block_and_rpc_call_are_rendered_under_their_names() {
        let recorder = recorder().unwrap();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            describe();
            let stages = StageTimes {
                execution: Duration::from_millis(20),
                merkleization: Duration::from_millis(10),
                storage: Duration::from_millis(10),
            };
            record_blocks(&ProcessedBlocks::one(2_000_000, 3, stages));
            set_block_height(7);
            record_rpc("eth_blockNumber", Duration::from_millis(2), false);
            record_rpc("eth_call", Duration::from_millis(3), true);
            set_mempool_size(5);
            set_discovery_nodes(2);
            process::update();
        });
        let text = handle.render();
        let samples = samples(&text);
        let expected = [
            (BLOCK_HEIGHT.to_string(), 7.0),
            (BLOCKS_PROCESSED.to_string(), 1.0),
            (TRANSACTIONS_PROCESSED.to_string(), 3.0),
            (BLOCK_GAS_USED.to_string(), 2_000_000.0),
            (GAS_USED.to_string(), 2_000_000.0),
            // 2 Mgas in 40 ms.
            (BLOCK_MGAS_PER_SECOND.to_string(), 50.0),
            (
                format!("{BLOCK_PROCESSING_SECONDS}_count{{stage=\"execution\"}}"),
                1.0,
            ),
            (
                format!("{BLOCK_PROCESSING_SECONDS}_sum{{stage=\"storage\"}}"),
                0.01,
            ),
            (format!("{RPC_REQUESTS}{{method=\"eth_blockNumber\"}}"), 1.0),
            (
                format!("{RPC_REQUEST_SECONDS}_count{{method=\"eth_call\"}}"),
                1.0,
            ),
            (format!("{RPC_ERRORS}{{method=\"eth_call\"}}"), 1.0),
            (MEMPOOL_TRANSACTIONS.to_string(), 5.0),
            (P2P_DISCOVERY_NODES.to_string(), 2.0),
        ];
        for (series, want) in expected {
            let got = value(&samples, &series);
            assert!(
                (got - want).abs() < 1e-9,
                "{series}: expected {want}, got {got}"
            );
        }
        assert!(
            !text.contains(&format!("{RPC_ERRORS}{{method=\"eth_blockNumber\"}}")),
            "{text}"
        );
        assert!(text.contains(&format!("# HELP {BLOCK_HEIGHT} ")), "{text}");
        assert!(
            text.contains(&format!("# HELP {P2P_DISCOVERY_NODES} ")),
            "{text}"
        );
        if cfg!(target_os = "linux") {
            assert!(value(&samples, PROCESS_RESIDENT_MEMORY) > 0.0);
            assert!(value(&samples, PROCESS_THREADS) >= 1.0);
            assert!(value(&samples, PROCESS_OPEN_FDS) >= 1.0);
        }
    }

    #[test]
    fn a_batch_records_each_block_at_its_mean() {
        let recorder = recorder().unwrap();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            record_blocks(&ProcessedBlocks {
                count: 4,
                transactions: 8,
                gas_used: 4_000_000,
                last_gas_used: 1_500_000,
                stages: StageTimes {
                    execution: Duration::from_millis(400),
                    ..Default::default()
                },
                elapsed: Duration::from_millis(500),
            });
        });
        let samples = samples(&handle.render());
        let bucket = format!("{BLOCK_PROCESSING_SECONDS}_bucket{{stage=\"execution\",le=\"0.1\"}}");
        assert_eq!(value(&samples, &bucket), 4.0);
        assert_eq!(value(&samples, BLOCK_GAS_USED), 1_500_000.0);
        assert_eq!(value(&samples, BLOCK_MGAS_PER_SECOND), 8.0);
        assert_eq!(value(&samples, BLOCKS_PROCESSED), 4.0);
    }

    /// A blocking HTTP GET; returns the status and the body.
    fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = response.split_once("\r\n\r\n").unwrap().1.to_string();
        (status, body)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn start_serves_the_global_recorder_on_the_bound_port_once() {
        let addr = start("127.0.0.1:0".parse().unwrap()).await.unwrap();
        assert_ne!(addr.port(), 0);
        set_block_height(42);
        let (status, body) = tokio::task::spawn_blocking(move || get(addr, PATH))
            .await
            .unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(value(&samples(&body), BLOCK_HEIGHT), 42.0, "{body}");
        let (status, _) = tokio::task::spawn_blocking(move || get(addr, "/"))
            .await
            .unwrap();
        assert_eq!(status, 404);
        let again = start("127.0.0.1:0".parse().unwrap()).await;
        assert!(
            matches!(again, Err(MetricsError::AlreadyInstalled)),
            "{again:?}"
        );
    }
}
