//! A TCP forwarder on 127.0.0.1 in front of an L1 node, to make the L1 fail on demand: it
//! forwards everything ([`Mode::Up`]), drops any connection whose request sends a raw
//! transaction ([`Mode::RefuseSends`]: reads work, commits fail), or drops every connection
//! ([`Mode::Down`]). Its threads end with their connections; the listener lives as long as the
//! test process.

use std::{
    io::{Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Up = 0,
    RefuseSends = 1,
    Down = 2,
}

pub struct Proxy {
    pub url: String,
    mode: Arc<AtomicU8>,
}

impl Proxy {
    /// A forwarder to `upstream`, up.
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(AtomicU8::new(Mode::Up as u8));
        let shared = Arc::clone(&mode);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let mode = Arc::clone(&shared);
                std::thread::spawn(move || forward(client, upstream, &mode));
            }
        });
        Proxy { url, mode }
    }

    pub fn set(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }
}

fn forward(client: TcpStream, upstream: SocketAddr, mode: &AtomicU8) {
    if mode.load(Ordering::SeqCst) == Mode::Down as u8 {
        let _ = client.shutdown(Shutdown::Both);
        return;
    }
    let Ok(server) = TcpStream::connect(upstream) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let (Ok(mut client_read), Ok(mut server_write)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let (mut server_read, mut client_write) = (server, client);
    std::thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n) = server_read.read(&mut buf) {
            if n == 0 || client_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = client_write.shutdown(Shutdown::Both);
    });
    let mut buf = [0u8; 64 * 1024];
    while let Ok(n) = client_read.read(&mut buf) {
        let now = mode.load(Ordering::SeqCst);
        let refused = now == Mode::Down as u8
            || (now == Mode::RefuseSends as u8
                && buf[..n].windows(22).any(|w| w == b"eth_sendRawTransaction"));
        if n == 0 || refused || server_write.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client_read.shutdown(Shutdown::Both);
    let _ = server_write.shutdown(Shutdown::Both);
}
