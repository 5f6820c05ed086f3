//! [`EthClient`]: a blocking JSON-RPC 2.0 client of an L1 node over HTTP (and HTTPS with the
//! `https` feature), one request per call.
//!
//! Guarantees: every failure is an [`SdkError`] naming what failed: the URL for a transport
//! error (connection refused, DNS, TLS, HTTP status without a JSON-RPC body), the method with the
//! node's code, message and data for a JSON-RPC error, the method and the reason for an answer
//! of the wrong shape. Every request is bounded by [`EthClient::with_timeout`] (30 s by default);
//! [`EthClient::wait_for_receipt`] by the caller's limit.

use std::time::{Duration, Instant};

use alloy_primitives::{Address, B256, Bytes, U64, U256};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::{Result, SdkError};

/// The default bound of one HTTP exchange.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How often [`EthClient::wait_for_receipt`] asks.
const RECEIPT_POLL: Duration = Duration::from_millis(200);
/// The JSON-RPC "method not found" code.
const METHOD_NOT_FOUND: i64 = -32601;

/// A JSON-RPC client of one L1 endpoint.
#[derive(Clone)]
pub struct EthClient {
    url: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for EthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EthClient").field("url", &self.url).finish()
    }
}

/// The arguments of `eth_call` and `eth_estimateGas`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Address>,
    /// `None` for a contract creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    #[serde(skip_serializing_if = "U256::is_zero")]
    pub value: U256,
    #[serde(rename = "input")]
    pub data: Bytes,
}

/// A log, as `eth_getLogs` and receipts return it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Log {
    pub address: Address,
    pub topics: Vec<B256>,
    pub data: Bytes,
    pub block_number: Option<U64>,
    pub transaction_hash: Option<B256>,
    pub log_index: Option<U64>,
}

/// The fields of a transaction receipt the rollup tools use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub transaction_hash: B256,
    pub block_number: U64,
    /// 1 for success, 0 for a revert.
    pub status: U64,
    pub gas_used: U64,
    pub contract_address: Option<Address>,
    pub logs: Vec<Log>,
}

impl Receipt {
    /// Whether the transaction succeeded.
    pub fn succeeded(&self) -> bool {
        self.status == U64::from(1)
    }
}

/// The filter of `eth_getLogs`: a block range, emitters and the first topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub from_block: u64,
    pub to_block: u64,
    pub addresses: Vec<Address>,
    /// Event signatures (topic 0); empty for any.
    pub topic0: Vec<B256>,
}

/// The fees an EIP-1559 transaction should offer now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSuggestion {
    pub base_fee: U256,
    pub max_priority_fee_per_gas: U256,
    /// Twice the base fee plus the tip: room for the base fee to rise for a few blocks.
    pub max_fee_per_gas: U256,
}

impl EthClient {
    /// A client of the node at `url` (`http://…`, or `https://…` with the `https` feature).
    pub fn new(url: &str) -> Result<Self> {
        let https = cfg!(feature = "https");
        let supported = url.starts_with("http://") || (https && url.starts_with("https://"));
        if !supported {
            let schemes = if https {
                "http:// or https://"
            } else {
                "http://"
            };
            return Err(SdkError::InvalidInput(format!(
                "L1 RPC URL {url:?}: expected an {schemes} URL"
            )));
        }
        Ok(Self::build(url, DEFAULT_REQUEST_TIMEOUT))
    }

    /// This client with every HTTP exchange bounded by `timeout`.
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self::build(&self.url, timeout)
    }

    fn build(url: &str, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        EthClient {
            url: url.to_string(),
            agent,
        }
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls `method` with `params` and decodes its result.
    pub fn request<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let transport = |reason: String| SdkError::Transport {
            url: self.url.clone(),
            reason,
        };
        let mut response = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .map_err(|e| transport(describe_transport_error(&e)))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| transport(describe_transport_error(&e)))?;
        let answer: Value = match serde_json::from_str(&text) {
            Ok(answer) => answer,
            Err(_) if !(200..300).contains(&status) => {
                return Err(transport(format!(
                    "HTTP status {status}: {}",
                    excerpt(&text)
                )));
            }
            Err(e) => {
                return Err(malformed(
                    method,
                    format!("not JSON ({e}): {}", excerpt(&text)),
                ));
            }
        };
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            return Err(rpc_error(method, error));
        }
        let Some(result) = answer.get("result") else {
            return Err(malformed(
                method,
                format!("neither result nor error: {}", excerpt(&text)),
            ));
        };
        T::deserialize(result)
            .map_err(|e| malformed(method, format!("{e}: {}", excerpt(&result.to_string()))))
    }

    /// `eth_chainId`.
    pub fn chain_id(&self) -> Result<u64> {
        self.quantity("eth_chainId", json!([]))
    }

    /// `eth_blockNumber`.
    pub fn block_number(&self) -> Result<u64> {
        self.quantity("eth_blockNumber", json!([]))
    }

    /// `eth_getBalance` at the latest block.
    pub fn balance(&self, address: Address) -> Result<U256> {
        self.request("eth_getBalance", json!([address, "latest"]))
    }

    /// `eth_getTransactionCount` counting pending transactions: the next nonce to use.
    pub fn pending_nonce(&self, address: Address) -> Result<u64> {
        self.quantity("eth_getTransactionCount", json!([address, "pending"]))
    }

    /// `eth_getCode` at the latest block.
    pub fn code(&self, address: Address) -> Result<Bytes> {
        self.request("eth_getCode", json!([address, "latest"]))
    }

    /// `eth_getStorageAt` at the latest block.
    pub fn storage_at(&self, address: Address, slot: B256) -> Result<B256> {
        self.request("eth_getStorageAt", json!([address, slot, "latest"]))
    }

    /// `eth_call` at the latest block: the returned bytes (a revert is an [`SdkError::Rpc`]
    /// whose data holds the revert data).
    pub fn call(&self, call: &CallRequest) -> Result<Bytes> {
        self.request("eth_call", json!([call, "latest"]))
    }

    /// `eth_estimateGas` at the latest block.
    pub fn estimate_gas(&self, call: &CallRequest) -> Result<u64> {
        self.quantity("eth_estimateGas", json!([call, "latest"]))
    }

    /// `eth_gasPrice`.
    pub fn gas_price(&self) -> Result<U256> {
        self.request("eth_gasPrice", json!([]))
    }

    /// The latest block's base fee (`eth_getBlockByNumber("latest")`), zero before London.
    pub fn base_fee(&self) -> Result<U256> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Head {
            base_fee_per_gas: Option<U256>,
        }
        let head: Option<Head> = self.request("eth_getBlockByNumber", json!(["latest", false]))?;
        let head =
            head.ok_or_else(|| malformed("eth_getBlockByNumber", "no latest block".into()))?;
        Ok(head.base_fee_per_gas.unwrap_or_default())
    }

    /// The fees to offer: the tip from `eth_maxPriorityFeePerGas` (or, where the node lacks it,
    /// `eth_gasPrice` less the base fee), and a fee cap of twice the base fee plus the tip.
    pub fn fee_suggestion(&self) -> Result<FeeSuggestion> {
        let base_fee = self.base_fee()?;
        let tip = match self.request::<U256>("eth_maxPriorityFeePerGas", json!([])) {
            Ok(tip) => tip,
            Err(SdkError::Rpc { code, .. }) if code == METHOD_NOT_FOUND => {
                self.gas_price()?.saturating_sub(base_fee)
            }
            Err(e) => return Err(e),
        };
        Ok(FeeSuggestion {
            base_fee,
            max_priority_fee_per_gas: tip,
            max_fee_per_gas: base_fee.saturating_mul(U256::from(2)).saturating_add(tip),
        })
    }

    /// `eth_sendRawTransaction`: the transaction's hash.
    pub fn send_raw_transaction(&self, raw: &[u8]) -> Result<B256> {
        self.request(
            "eth_sendRawTransaction",
            json!([Bytes::copy_from_slice(raw)]),
        )
    }

    /// `eth_getTransactionReceipt`: `None` while the transaction is not mined.
    pub fn receipt(&self, hash: B256) -> Result<Option<Receipt>> {
        self.request("eth_getTransactionReceipt", json!([hash]))
    }

    /// Polls for the receipt of `hash` for at most `timeout`.
    pub fn wait_for_receipt(&self, hash: B256, timeout: Duration) -> Result<Receipt> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(receipt) = self.receipt(hash)? {
                return Ok(receipt);
            }
            if Instant::now() >= deadline {
                return Err(SdkError::Timeout {
                    what: format!("the receipt of {hash}"),
                    waited: timeout,
                });
            }
            std::thread::sleep(RECEIPT_POLL);
        }
    }

    /// `eth_getLogs` over a block range.
    pub fn logs(&self, filter: &LogFilter) -> Result<Vec<Log>> {
        let mut params = json!({
            "fromBlock": U64::from(filter.from_block),
            "toBlock": U64::from(filter.to_block),
        });
        if !filter.addresses.is_empty() {
            params["address"] = json!(filter.addresses);
        }
        if !filter.topic0.is_empty() {
            params["topics"] = json!([filter.topic0]);
        }
        self.request("eth_getLogs", json!([params]))
    }

    /// A method whose result is a quantity that fits a `u64`.
    fn quantity(&self, method: &str, params: Value) -> Result<u64> {
        let value: U64 = self.request(method, params)?;
        Ok(value.to::<u64>())
    }
}

/// A malformed-answer error.
fn malformed(method: &str, reason: String) -> SdkError {
    SdkError::Malformed {
        method: method.to_string(),
        reason,
    }
}

/// A JSON-RPC error object as an [`SdkError::Rpc`] (or malformed when it has no code).
fn rpc_error(method: &str, error: &Value) -> SdkError {
    let Some(code) = error.get("code").and_then(Value::as_i64) else {
        return malformed(method, format!("error without a code: {error}"));
    };
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let data = error.get("data").filter(|d| !d.is_null()).map(|d| match d {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    SdkError::Rpc {
        method: method.to_string(),
        code,
        message,
        data,
    }
}

/// What went wrong in an HTTP exchange, in words.
fn describe_transport_error(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".into()
        }
        ureq::Error::ConnectionFailed => "connection refused".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::Timeout(_) => "timed out".into(),
        other => other.to_string(),
    }
}

/// The start of a long text, for error messages.
fn excerpt(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return text.to_string();
    }
    format!("{}…", &text[..text.floor_char_boundary(MAX)])
}
