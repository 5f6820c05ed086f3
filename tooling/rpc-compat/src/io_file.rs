//! The `.io` fixture format: `//` lines are comments, a `>> ` line is a request, the `<< ` line
//! after it the expected response; a file holds one or more such pairs. A comment starting with
//! `speconly:` says the response is only checked for schema validity, not for equality.

use serde_json::Value;

/// One request and the response it expects.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The request exactly as written (sent as is).
    pub request: String,
    /// The request's `method`, when it names one.
    pub method: Option<String>,
    pub expected: Value,
    /// 1-based line of the request in the file.
    pub line: usize,
}

/// A parsed `.io` file.
#[derive(Debug, Clone, PartialEq)]
pub struct IoFile {
    pub exchanges: Vec<Exchange>,
    /// The file carries a `// speconly:` comment.
    pub spec_only: bool,
}

/// A malformed `.io` file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: invalid JSON: {message}")]
    Json { line: usize, message: String },
    #[error("line {line}: a response with no request before it")]
    ResponseWithoutRequest { line: usize },
    #[error("line {line}: a request with no response after it")]
    RequestWithoutResponse { line: usize },
    #[error("line {line}: not a comment, request or response: {text}")]
    UnknownLine { line: usize, text: String },
    #[error("no request in the file")]
    Empty,
}

/// Parses the text of an `.io` file.
pub fn parse(text: &str) -> Result<IoFile, ParseError> {
    let mut exchanges = Vec::new();
    let mut spec_only = false;
    // The request waiting for its response: (line, text, method).
    let mut pending: Option<(usize, String, Option<String>)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix("//") {
            spec_only |= comment.trim_start().starts_with("speconly:");
        } else if let Some(request) = trimmed.strip_prefix(">>") {
            if let Some((line, ..)) = pending {
                return Err(ParseError::RequestWithoutResponse { line });
            }
            let request = request.trim();
            let value = json(line, request)?;
            let method = value
                .get("method")
                .and_then(Value::as_str)
                .map(str::to_string);
            pending = Some((line, request.to_string(), method));
        } else if let Some(response) = trimmed.strip_prefix("<<") {
            let (request_line, request, method) = pending
                .take()
                .ok_or(ParseError::ResponseWithoutRequest { line })?;
            exchanges.push(Exchange {
                request,
                method,
                expected: json(line, response.trim())?,
                line: request_line,
            });
        } else {
            return Err(ParseError::UnknownLine {
                line,
                text: trimmed.chars().take(60).collect(),
            });
        }
    }
    if let Some((line, ..)) = pending {
        return Err(ParseError::RequestWithoutResponse { line });
    }
    if exchanges.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(IoFile {
        exchanges,
        spec_only,
    })
}

fn json(line: usize, text: &str) -> Result<Value, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError::Json {
        line,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SAMPLE: &str = r#"// gets two things
// speconly: client response is only checked for schema validity.
>> {"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}
<< {"jsonrpc":"2.0","id":1,"result":"0x36"}

>> {"jsonrpc":"2.0","id":2,"method":"eth_getBlockByNumber","params":["0x1",false]}
<< {"jsonrpc":"2.0","id":2,"error":{"code":-32602,"message":"bad"}}
"#;

    #[test]
    fn pairs_requests_with_responses_and_reads_comments() {
        let file = parse(SAMPLE).unwrap();
        assert!(file.spec_only);
        assert_eq!(file.exchanges.len(), 2);
        let first = &file.exchanges[0];
        assert_eq!(
            first.request,
            r#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}"#
        );
        assert_eq!(first.method.as_deref(), Some("eth_blockNumber"));
        assert_eq!(first.expected["result"], json!("0x36"));
        assert_eq!(first.line, 3);
        let second = &file.exchanges[1];
        assert_eq!(second.method.as_deref(), Some("eth_getBlockByNumber"));
        assert_eq!(second.expected["error"]["code"], json!(-32602));
        assert_eq!(second.line, 6);
    }

    #[test]
    fn a_file_without_speconly_is_checked_exactly() {
        let file = parse(">> {\"id\":1}\n<< {\"id\":1,\"result\":null}\n").unwrap();
        assert!(!file.spec_only);
        assert_eq!(file.exchanges[0].method, None);
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert_eq!(
            parse("<< {}\n"),
            Err(ParseError::ResponseWithoutRequest { line: 1 })
        );
        assert_eq!(
            parse(">> {}\n>> {}\n<< {}\n"),
            Err(ParseError::RequestWithoutResponse { line: 1 })
        );
        assert_eq!(
            parse("// c\n>> {}\n"),
            Err(ParseError::RequestWithoutResponse { line: 2 })
        );
        assert!(matches!(
            parse(">> {not json\n<< {}\n"),
            Err(ParseError::Json { line: 1, .. })
        ));
        assert!(matches!(
            parse("hello\n"),
            Err(ParseError::UnknownLine { line: 1, .. })
        ));
        assert_eq!(parse("// only a comment\n"), Err(ParseError::Empty));
    }
}
