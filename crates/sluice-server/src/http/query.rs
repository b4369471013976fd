//! Query strings read strictly: each parameter at most once. A repeated parameter
//! (`?limit=5&limit=500`) is ambiguous — proxies, frameworks and caches disagree on which one
//! wins — so it is refused with `400 invalid_request` in the JSON envelope rather than
//! silently resolved, and the route never sees it.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::ApiError;

/// The query string's parameters, decoded, each present once.
#[derive(Debug, Default)]
pub struct SingleQuery(pub HashMap<String, String>);

impl SingleQuery {
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let mut params = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(ApiError::invalid_request(format!(
                    "query parameter {name:?} is given more than once"
                )));
            }
        }
        Ok(Self(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SingleQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Self::parse(parts.uri.query().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_parameter_once() {
        let q = SingleQuery::parse("limit=5&mode=payment&note=a%20b+c").unwrap();
        assert_eq!((q.get("limit"), q.get("note")), (Some("5"), Some("a b c")));
        assert!(SingleQuery::parse("limit=5&limit=500").is_err());
        assert!(SingleQuery::parse("").unwrap().0.is_empty());
    }
}
