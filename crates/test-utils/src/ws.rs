//! A blocking WebSocket client for a started node ([`crate::node::Node::ws`]): connect, call,
//! read the next notification.

use std::{net::SocketAddr, time::Duration};

use serde_json::Value;
use tungstenite::{Message, stream::MaybeTlsStream};

/// A WebSocket connection to a node (`tungstenite`'s blocking client).
pub type WsClient = tungstenite::WebSocket<MaybeTlsStream<std::net::TcpStream>>;

/// Connects to the WebSocket server at `addr`; reads time out after 30 s.
pub fn ws_connect(addr: SocketAddr) -> WsClient {
    let (socket, _) = tungstenite::connect(format!("ws://{addr}")).expect("WebSocket handshake");
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
    }
    socket
}

/// Sends `request` and returns the next message that is not a subscription notification.
pub fn ws_call(socket: &mut WsClient, request: Value) -> Value {
    socket
        .send(Message::text(request.to_string()))
        .expect("send over WebSocket");
    loop {
        let message = ws_next(socket);
        if message["method"] != "eth_subscription" {
            return message;
        }
    }
}

/// The next JSON message of `socket` (panics after the 30 s read timeout).
pub fn ws_next(socket: &mut WsClient) -> Value {
    loop {
        match socket.read().expect("read from WebSocket") {
            Message::Text(text) => {
                return serde_json::from_str(text.as_str()).expect("JSON message");
            }
            Message::Close(_) => panic!("the WebSocket closed"),
            _ => continue,
        }
    }
}
