//! Checking a response against the expected one: results must be equal as parsed JSON; for an
//! expected error only `error.code` must match; `speconly` files only need a result of the same
//! shape (the same JSON types along the expected keys — the fixtures carry no schema, so the
//! keys the execution-apis schemas mark optional are listed in [`SCHEMA_OPTIONAL_KEYS`] and may
//! be absent). A failure is a compact diff: the first few differing paths, each value truncated.

use serde_json::Value;

/// Most differences listed in one failure.
const MAX_DIFFS: usize = 3;
/// Longest value shown in a difference.
const MAX_VALUE: usize = 100;

/// Keys an example response shows but the execution-apis schemas do not require, so a
/// `speconly` answer may leave them out: `EthCapabilitiesEffectiveResource` requires only
/// `disabled`, and a `deleteStrategy` describes data the node deletes (ethrex keeps logs,
/// receipts, transactions and blocks from genesis, so it reports none for them).
const SCHEMA_OPTIONAL_KEYS: &[&str] = &["deleteStrategy"];

/// How strictly a result is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Equal as parsed JSON.
    Exact,
    /// Same JSON types along the expected keys.
    Shape,
}

/// `Ok` when `got` answers like `expected`; otherwise what differs.
pub fn check(expected: &Value, got: &Value, how: Check) -> Result<(), String> {
    if let Some(error) = expected.get("error") {
        return match got.get("error") {
            Some(got_error) if got_error.get("code") == error.get("code") => Ok(()),
            Some(got_error) => Err(format!(
                "error code: expected {}, got {} ({})",
                show(&error["code"]),
                show(&got_error["code"]),
                show(&got_error["message"])
            )),
            None => Err(format!(
                "expected error {}, got result {}",
                show(error),
                show(got.get("result").unwrap_or(&Value::Null))
            )),
        };
    }
    let Some(result) = got.get("result") else {
        return Err(match got.get("error") {
            Some(error) => format!("expected a result, got error {}", show(error)),
            None => format!("neither result nor error in {}", show(got)),
        });
    };
    let expected = expected.get("result").unwrap_or(&Value::Null);
    let mut diffs = Vec::new();
    match how {
        Check::Exact => diff("result", expected, result, &mut diffs),
        Check::Shape => shape_diff("result", expected, result, &mut diffs),
    }
    if diffs.is_empty() {
        return Ok(());
    }
    let more = diffs.len().saturating_sub(MAX_DIFFS);
    diffs.truncate(MAX_DIFFS);
    let mut text = diffs.join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    Err(text)
}

/// Appends to `out` the paths where `got` differs from `expected` (stops collecting past the
/// limit).
fn diff(path: &str, expected: &Value, got: &Value, out: &mut Vec<String>) {
    if expected == got || out.len() > MAX_DIFFS {
        return;
    }
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => {
            for (key, e_value) in e {
                let sub = format!("{path}.{key}");
                match g.get(key) {
                    Some(g_value) => diff(&sub, e_value, g_value, out),
                    None => out.push(format!("{sub}: missing (expected {})", show(e_value))),
                }
            }
            for (key, g_value) in g {
                if !e.contains_key(key) {
                    out.push(format!("{path}.{key}: unexpected {}", show(g_value)));
                }
            }
        }
        (Value::Array(e), Value::Array(g)) => {
            if e.len() != g.len() {
                out.push(format!(
                    "{path}: expected {} items, got {}",
                    e.len(),
                    g.len()
                ));
            }
            for (i, (e_item, g_item)) in e.iter().zip(g).enumerate() {
                diff(&format!("{path}[{i}]"), e_item, g_item, out);
            }
        }
        _ => out.push(format!(
            "{path}: expected {}, got {}",
            show(expected),
            show(got)
        )),
    }
}

/// Like [`diff`], but only JSON types are compared (a `null` expected value accepts anything,
/// an expected array's first item gives the shape of every item).
fn shape_diff(path: &str, expected: &Value, got: &Value, out: &mut Vec<String>) {
    match (expected, got) {
        (Value::Null, _) => {}
        (Value::Object(e), Value::Object(g)) => {
            for (key, e_value) in e {
                let sub = format!("{path}.{key}");
                match g.get(key) {
                    Some(g_value) => shape_diff(&sub, e_value, g_value, out),
                    None if SCHEMA_OPTIONAL_KEYS.contains(&key.as_str()) => {}
                    None => out.push(format!("{sub}: missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(g)) => {
            if let Some(first) = e.first() {
                for (i, item) in g.iter().enumerate() {
                    shape_diff(&format!("{path}[{i}]"), first, item, out);
                }
            }
        }
        (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_)) => {}
        _ => out.push(format!(
            "{path}: expected a value like {}, got {}",
            show(expected),
            show(got)
        )),
    }
}

/// `value`'s JSON, cut to [`MAX_VALUE`] characters.
fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= MAX_VALUE {
        return text;
    }
    let cut: String = text.chars().take(MAX_VALUE).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn equal_results_pass_and_differences_name_their_path() {
        let expected = json!({"result": {"a": "0x1", "b": ["x", "y"]}});
        assert_eq!(check(&expected, &expected, Check::Exact), Ok(()));
        let got = json!({"result": {"a": "0x2", "b": ["x"], "c": 1}});
        let message = check(&expected, &got, Check::Exact).unwrap_err();
        assert_eq!(
            message,
            "result.a: expected \"0x1\", got \"0x2\"; result.b: expected 2 items, got 1; \
             result.c: unexpected 1"
        );
    }

    #[test]
    fn errors_match_on_their_code_only() {
        let expected = json!({"error": {"code": -32602, "message": "one wording"}});
        let same_code = json!({"error": {"code": -32602, "message": "another"}});
        assert_eq!(check(&expected, &same_code, Check::Exact), Ok(()));
        let other = json!({"error": {"code": -32000, "message": "nope"}});
        assert!(check(&expected, &other, Check::Exact).is_err());
        assert!(check(&expected, &json!({"result": null}), Check::Exact).is_err());
        let wants_result = json!({"result": "0x1"});
        assert!(check(&wants_result, &same_code, Check::Exact).is_err());
    }

    #[test]
    fn shape_check_compares_types_only() {
        let expected = json!({"result": {"pending": {}, "n": "0x1", "list": [{"k": "v"}]}});
        let got = json!({"result": {"pending": {"x": 1}, "n": "0x9", "list": [{"k": "w"}]}});
        assert_eq!(check(&expected, &got, Check::Shape), Ok(()));
        let wrong = json!({"result": {"pending": {}, "n": 9, "list": []}});
        assert!(check(&expected, &wrong, Check::Shape).is_err());
    }

    #[test]
    fn shape_check_lets_only_schema_optional_keys_be_absent() {
        let expected =
            json!({"result": {"logs": {"disabled": false, "deleteStrategy": {"type": "window"}}}});
        let without_optional = json!({"result": {"logs": {"disabled": false}}});
        assert_eq!(check(&expected, &without_optional, Check::Shape), Ok(()));
        let without_required = json!({"result": {"logs": {"deleteStrategy": {"type": "window"}}}});
        let message = check(&expected, &without_required, Check::Shape).unwrap_err();
        assert!(
            message.contains("result.logs.disabled: missing"),
            "{message}"
        );
    }

    #[test]
    fn long_values_are_truncated() {
        let long = "f".repeat(500);
        let message = check(
            &json!({"result": long}),
            &json!({"result": "0x"}),
            Check::Exact,
        )
        .unwrap_err();
        assert!(message.len() < 200, "{message}");
        assert!(message.contains('…'));
    }
}
