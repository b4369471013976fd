//! Reading request bodies. The spec separates two kinds of bad input: a body that is not JSON
//! or has a field of the wrong JSON type is `400 invalid_request` (the request cannot even be
//! read), while a readable body that breaks the rules is `422` listing *every* offending field
//! at once. [`Fields`] reads typed values and reports the first kind immediately; the second
//! kind is collected in a [`FieldErrors`].

use serde::Serialize;
use serde_json::{Map, Value};

/// One rule violation: `{field, code, message}` in `payload.errors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// Why a request body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// `400 invalid_request`: unreadable JSON or a wrong JSON type.
    Malformed(String),
    /// `422`: readable, but these fields break the rules.
    Invalid(Vec<FieldError>),
}

#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn push(
        &mut self,
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) {
        self.0.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no rule was broken, else every violation.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, RequestError> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(RequestError::Invalid(self.0))
        }
    }
}

/// Parses a body as a JSON object. An empty body is `{}` only where the route allows it.
pub fn parse_object(
    body: &[u8],
    empty_is_object: bool,
) -> Result<Map<String, Value>, RequestError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return if empty_is_object {
            Ok(Map::new())
        } else {
            Err(RequestError::Malformed(
                "the request body is empty; a JSON object is required".into(),
            ))
        };
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(RequestError::Malformed(
            "the request body must be a JSON object".into(),
        )),
        Err(e) => Err(RequestError::Malformed(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// Typed access to the fields of one JSON object, with field paths for messages
/// (`settlementConfig.settlements[0].chainId`). An explicit `null` reads as absent.
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

fn wrong_type(path: &str, expected: &str) -> RequestError {
    RequestError::Malformed(format!("`{path}` must be {expected}"))
}

impl<'a> Fields<'a> {
    pub fn root(map: &'a Map<String, Value>) -> Self {
        Self {
            map,
            path: String::new(),
        }
    }

    /// The full path of `key` below this object.
    pub fn path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn str(&self, key: &str) -> Result<Option<&'a str>, RequestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(&self.path(key), "a string")),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, RequestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(&self.path(key), "a boolean")),
        }
    }

    pub fn integer(&self, key: &str) -> Result<Option<i64>, RequestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    Ok(Some(i))
                } else if n.as_u64().is_some() {
                    Ok(Some(i64::MAX))
                } else {
                    Err(wrong_type(&self.path(key), "an integer"))
                }
            }
            Some(_) => Err(wrong_type(&self.path(key), "an integer")),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<Fields<'a>>, RequestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields {
                map,
                path: self.path(key),
            })),
            Some(_) => Err(wrong_type(&self.path(key), "an object")),
        }
    }

    pub fn raw_object(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, RequestError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(wrong_type(&self.path(key), "an object")),
        }
    }

    /// An array of objects, each readable with its indexed path.
    pub fn objects(&self, key: &str) -> Result<Option<Vec<Fields<'a>>>, RequestError> {
        let items = match self.get(key) {
            None => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(wrong_type(&self.path(key), "an array")),
        };
        let base = self.path(key);
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Ok(Fields {
                    map,
                    path: format!("{base}[{i}]"),
                }),
                _ => Err(wrong_type(&format!("{base}[{i}]"), "an object")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    pub fn strings(&self, key: &str) -> Result<Option<Vec<&'a str>>, RequestError> {
        let items = match self.get(key) {
            None => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(wrong_type(&self.path(key), "an array")),
        };
        let base = self.path(key);
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str()
                    .ok_or_else(|| wrong_type(&format!("{base}[{i}]"), "a string"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Reads an enum field: absent is `required` (when required), an unknown spelling is
/// `invalid_enum` naming every accepted one.
pub fn enum_field<T: std::str::FromStr>(
    errors: &mut FieldErrors,
    path: String,
    value: Option<&str>,
    required: bool,
    spellings: impl FnOnce() -> String,
) -> Option<T> {
    match value {
        None => {
            if required {
                errors.push(path, "required", "is required");
            }
            None
        }
        Some(s) => match s.parse::<T>() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.push(
                    path,
                    "invalid_enum",
                    format!("must be one of: {}", spellings()),
                );
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_reads_as_absent_and_wrong_types_are_malformed() {
        let map = parse_object(br#"{"a": null, "b": 1, "c": "x"}"#, false).unwrap();
        let f = Fields::root(&map);
        assert_eq!(f.str("a").unwrap(), None);
        assert!(matches!(f.str("b"), Err(RequestError::Malformed(m)) if m.contains("`b`")));
        assert_eq!(f.str("c").unwrap(), Some("x"));
        assert!(f.integer("c").is_err());
    }

    #[test]
    fn bodies() {
        assert!(parse_object(b"", true).unwrap().is_empty());
        assert!(matches!(
            parse_object(b"", false),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            parse_object(b"[1]", true),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            parse_object(b"{", true),
            Err(RequestError::Malformed(_))
        ));
    }
}
