//! One WebSocket connection: JSON-RPC requests as text messages (answered in order), and
//! `eth_subscribe` (`newHeads`, `logs` with an address/topics filter, `newPendingTransactions`)
//! / `eth_unsubscribe`, whose notifications are `eth_subscription` messages. A subscriber too
//! slow for the event channel skips the events it missed.

use std::{collections::HashMap, sync::Arc};

use alloy_rpc_types_eth::Filter;
use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};
use tokio::{
    sync::{broadcast, mpsc},
    task::JoinHandle,
};

use crate::{
    RpcContext, RpcError, dispatch,
    logs::{LogPosition, log_json, matches},
    methods::params::Params,
    types::header_json,
};

/// Serves one connection until it closes.
pub async fn serve(ctx: Arc<RpcContext>, mut socket: WebSocket) {
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let mut subscriptions: HashMap<String, JoinHandle<()>> = HashMap::new();
    let mut next_id = 1u64;
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { break };
                let text = match message {
                    Message::Text(text) => text.to_string(),
                    Message::Binary(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                let reply = handle(&ctx, &text, &out_tx, &mut subscriptions, &mut next_id).await;
                if let Some(reply) = reply
                    && socket.send(Message::Text(reply.into())).await.is_err()
                {
                    break;
                }
            }
            Some(notification) = out_rx.recv() => {
                if socket.send(Message::Text(notification.into())).await.is_err() {
                    break;
                }
            }
        }
    }
    for (_, task) in subscriptions {
        task.abort();
    }
}

/// Answers one message (the reply's JSON text): subscriptions here, everything else through
/// the dispatcher.
async fn handle(
    ctx: &Arc<RpcContext>,
    text: &str,
    out: &mpsc::UnboundedSender<String>,
    subscriptions: &mut HashMap<String, JoinHandle<()>>,
    next_id: &mut u64,
) -> Option<String> {
    let request: Value = match serde_json::from_str(text) {
        Ok(request) => request,
        Err(e) => {
            let error = RpcError::parse(format!("parse error: {e}"));
            return Some(dispatch::error_response(Value::Null, &error).to_string());
        }
    };
    let method = request.get("method").and_then(Value::as_str).unwrap_or("");
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let params = Params::new(request.get("params").cloned().unwrap_or(Value::Null));
    match method {
        "eth_subscribe" => Some(
            match subscribe(ctx, &params, out, next_id) {
                Ok((sub_id, task)) => {
                    subscriptions.insert(sub_id.clone(), task);
                    json!({ "jsonrpc": "2.0", "id": id, "result": sub_id })
                }
                Err(e) => dispatch::error_response(id, &e),
            }
            .to_string(),
        ),
        "eth_unsubscribe" => Some(
            match params.required::<String>(0) {
                Ok(sub_id) => {
                    let removed = subscriptions
                        .remove(&sub_id)
                        .map(|task| task.abort())
                        .is_some();
                    json!({ "jsonrpc": "2.0", "id": id, "result": removed })
                }
                Err(e) => dispatch::error_response(id, &e),
            }
            .to_string(),
        ),
        _ => {
            let ctx = Arc::clone(ctx);
            let text = text.to_string();
            crate::server::run_blocking(move || {
                dispatch::handle_body(&ctx, text.as_bytes()).map(|reply| reply.to_text())
            })
            .await
            .ok()
            .flatten()
        }
    }
}

fn subscribe(
    ctx: &Arc<RpcContext>,
    params: &Params,
    out: &mpsc::UnboundedSender<String>,
    next_id: &mut u64,
) -> Result<(String, JoinHandle<()>), RpcError> {
    let kind: String = params.required(0)?;
    let sub_id = format!("{:#x}", *next_id);
    *next_id += 1;
    let out = out.clone();
    let id = sub_id.clone();
    let notify = move |result: Value| {
        let message = json!({
            "jsonrpc": "2.0",
            "method": "eth_subscription",
            "params": { "subscription": id, "result": result },
        });
        out.send(message.to_string()).is_ok()
    };
    let task = match kind.as_str() {
        "newHeads" => {
            let mut heads = ctx.events.new_heads.subscribe();
            tokio::spawn(async move {
                while let Some(head) = next(&mut heads).await {
                    if !notify(header_json(&head.block.header, None)) {
                        break;
                    }
                }
            })
        }
        "logs" => {
            let filter: Filter = params.optional(1)?.unwrap_or_default();
            let mut heads = ctx.events.new_heads.subscribe();
            tokio::spawn(async move {
                while let Some(head) = next(&mut heads).await {
                    let block = &head.block;
                    let block_hash = block.header.hash_slow();
                    let mut log_index = 0u64;
                    for (tx_index, (tx, receipt)) in block
                        .body
                        .transactions
                        .iter()
                        .zip(head.receipts.iter())
                        .enumerate()
                    {
                        for log in receipt.logs() {
                            let at = LogPosition {
                                block_hash,
                                block_number: block.header.number,
                                block_timestamp: block.header.timestamp,
                                transaction_hash: tx.hash(),
                                transaction_index: tx_index as u64,
                                log_index,
                            };
                            log_index += 1;
                            if matches(&filter, log) && !notify(log_json(log, at, false)) {
                                return;
                            }
                        }
                    }
                }
            })
        }
        "newPendingTransactions" => {
            let mut pending = ctx.events.pending_transactions.subscribe();
            tokio::spawn(async move {
                while let Some(hash) = next(&mut pending).await {
                    if !notify(Value::String(hash.to_string())) {
                        break;
                    }
                }
            })
        }
        other => {
            return Err(RpcError::invalid_params(format!(
                "unsupported subscription {other:?}: newHeads, logs or newPendingTransactions"
            )));
        }
    };
    Ok((sub_id, task))
}

/// The next event, skipping over lag; `None` once the channel is closed.
async fn next<T: Clone>(receiver: &mut broadcast::Receiver<T>) -> Option<T> {
    loop {
        match receiver.recv().await {
            Ok(event) => return Some(event),
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}
