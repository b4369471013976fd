//! A flow's `memo`: the merchant's JSON object, returned exactly as it was sent. A parsed JSON
//! value cannot promise that (`1e2` reads back as `100.0`, `1.10` as `1.1`, integers past
//! 64 bits turn into floats), so the memo keeps the text of the request and is written out
//! verbatim wherever a flow is serialised with serde_json. Where a parsed value is all there
//! is (a flow read through `#[serde(flatten)]`, which buffers numbers), [`exact_memo`] takes
//! the text from the JSON document instead.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

#[derive(Clone)]
pub struct Memo(Box<RawValue>);

impl Memo {
    /// The memo of a parsed object (numbers as the parser read them).
    pub fn from_value(value: &Value) -> Self {
        let text = serde_json::to_string(value).expect("a JSON value serialises");
        Self(RawValue::from_string(text).expect("serde_json writes valid JSON"))
    }

    /// The JSON text, as sent.
    pub fn text(&self) -> &str {
        self.0.get()
    }
}

/// The top-level `memo` of a JSON object document, as its exact text; `None` when there is
/// none (or the document has `memo` twice, which no serialiser writes).
pub fn exact_memo(document: &[u8]) -> Option<Memo> {
    #[derive(Deserialize)]
    struct MemoOnly<'a> {
        #[serde(borrow, default)]
        memo: Option<&'a RawValue>,
    }
    let found: MemoOnly<'_> = serde_json::from_slice(document).ok()?;
    let raw = found.memo?;
    raw.get()
        .trim_start()
        .starts_with('{')
        .then(|| Memo(raw.to_owned()))
}

/// `flow` with its memo's exact text taken from `document` (the request body it was parsed
/// from, or the stored doc it was read from), where the parsed value may have changed numbers.
pub fn with_exact_memo(mut flow: crate::Flow, document: &[u8]) -> crate::Flow {
    if flow.memo.is_some() {
        flow.memo = exact_memo(document).or(flow.memo);
    }
    flow
}

impl PartialEq for Memo {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text()
    }
}

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Memo({})", self.text())
    }
}

impl Serialize for Memo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Memo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|v| Self::from_value(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_back_as_sent() {
        let body = br#"{"amount":"1","memo": {"a": 1e2, "b": 1.10, "c": 123456789012345678901234567890, "d": [-0.0]}}"#;
        let memo = exact_memo(body).unwrap();
        let expected = r#"{"a": 1e2, "b": 1.10, "c": 123456789012345678901234567890, "d": [-0.0]}"#;
        assert_eq!(memo.text(), expected);
        #[derive(Serialize)]
        struct Wrapper {
            memo: Memo,
        }
        let out = serde_json::to_string(&Wrapper { memo }).unwrap();
        assert_eq!(out, format!(r#"{{"memo":{expected}}}"#));
        assert!(exact_memo(br#"{"memo": 7}"#).is_none());
        assert!(exact_memo(br#"{"other": {}}"#).is_none());
    }
}
