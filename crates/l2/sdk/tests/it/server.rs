//! A scripted JSON-RPC server on 127.0.0.1: each request's method is given to a closure that
//! returns the HTTP status and body to answer (or `None` to never answer). One connection per
//! request (`Connection: close`); the thread lives as long as the test process.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpListener},
    time::Duration,
};

/// Starts a server answering each request by `script(method)`: `(status, body)`, or `None` to
/// stay silent. Returns its URL.
pub fn serve(script: impl Fn(&str) -> Option<(u16, String)> + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Some(body) = read_request(&mut stream) else {
                continue;
            };
            let request: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let method = request["method"].as_str().unwrap_or_default().to_string();
            match script(&method) {
                Some((status, body)) => {
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes());
                }
                // Hold the connection open without answering, for a while.
                None => std::thread::sleep(Duration::from_secs(5)),
            }
        }
    });
    format!("http://{addr}")
}

/// A JSON-RPC success answer.
pub fn result(value: serde_json::Value) -> Option<(u16, String)> {
    Some((
        200,
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": value}).to_string(),
    ))
}

/// Reads one HTTP request and returns its body.
fn read_request(stream: &mut std::net::TcpStream) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    String::from_utf8(body).ok()
}
