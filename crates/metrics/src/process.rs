//! The process's own resources, read at each scrape from Linux's `/proc/self`: resident memory
//! and threads (`status`), open file descriptors (the entries of `fd`). Where `/proc` cannot be
//! read (other systems) nothing is reported.

use metrics::gauge;

use crate::definitions::{PROCESS_OPEN_FDS, PROCESS_RESIDENT_MEMORY, PROCESS_THREADS};

/// What `/proc/self/status` tells.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Status {
    pub(crate) resident_bytes: Option<u64>,
    pub(crate) threads: Option<u64>,
}

/// Sets the process gauges from `/proc/self`.
pub(crate) fn update() {
    if let Ok(text) = std::fs::read_to_string("/proc/self/status") {
        let status = parse_status(&text);
        if let Some(bytes) = status.resident_bytes {
            gauge!(PROCESS_RESIDENT_MEMORY).set(bytes as f64);
        }
        if let Some(threads) = status.threads {
            gauge!(PROCESS_THREADS).set(threads as f64);
        }
    }
    // The count includes the descriptor that reads the directory, as other exporters do.
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        gauge!(PROCESS_OPEN_FDS).set(entries.count() as f64);
    }
}

/// Parses the `VmRSS:` (in kB) and `Threads:` lines of `/proc/self/status`.
pub(crate) fn parse_status(text: &str) -> Status {
    let mut status = Status::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let number = value.split_whitespace().next().and_then(|n| n.parse().ok());
        match key {
            "VmRSS" => status.resident_bytes = number.map(|kb: u64| kb.saturating_mul(1024)),
            "Threads" => status.threads = number,
            _ => {}
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_gives_resident_bytes_and_threads() {
        let cases = [
            (
                "Name:\tethrex\nVmRSS:\t   12345 kB\nThreads:\t7\n",
                Status {
                    resident_bytes: Some(12345 * 1024),
                    threads: Some(7),
                },
            ),
            ("Name:\tethrex\n", Status::default()),
            (
                "VmRSS:\tlots kB\nThreads:\t3\n",
                Status {
                    resident_bytes: None,
                    threads: Some(3),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_status(text), expected, "{text:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_memory_and_threads() {
        let text = std::fs::read_to_string("/proc/self/status").unwrap();
        let status = parse_status(&text);
        assert!(status.resident_bytes.unwrap() > 0);
        assert!(status.threads.unwrap() >= 1);
    }
}
