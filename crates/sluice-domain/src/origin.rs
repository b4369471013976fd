//! Browser origins: validating the entries operators configure, and matching a request's
//! `Origin` header against them (spec §6 step 2). Entries are serialised origins
//! (`scheme://host[:port]`); one ending in `:*` allows any port of that scheme and host, and
//! no port at all.

/// Checks an origin entry as an operator would type it; returns a message when it is wrong.
pub fn validate_entry(entry: &str) -> Result<(), String> {
    let rest = entry
        .strip_prefix("http://")
        .or_else(|| entry.strip_prefix("https://"))
        .ok_or_else(|| format!("origin {entry:?} must start with http:// or https://"))?;
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (h, Some(p)),
        _ => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.[]:".contains(&b));
    let port_ok = port.is_none_or(|p| {
        p == "*" || (!p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(format!(
            "origin {entry:?} must be scheme://host[:port] in lower case with no path, e.g. https://shop.example.com or http://localhost:*"
        ))
    }
}

/// Whether `origin` (the request's header, as sent) is allowed by any entry.
pub fn is_allowed(origin: &str, entries: &[String]) -> bool {
    entries.iter().any(|entry| match entry.strip_suffix(":*") {
        Some(base) => {
            origin == base
                || origin
                    .strip_prefix(base)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .is_some_and(|port| {
                        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                    })
        }
        None => origin == entry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_port_matches_any_port_and_none() {
        let entries = vec![
            "http://localhost:*".to_owned(),
            "https://shop.example.com".to_owned(),
        ];
        assert!(is_allowed("http://localhost:3000", &entries));
        assert!(is_allowed("http://localhost", &entries));
        assert!(is_allowed("https://shop.example.com", &entries));
        assert!(!is_allowed("https://localhost:3000", &entries));
        assert!(!is_allowed("http://localhost.evil.com", &entries));
        assert!(!is_allowed("http://localhost:3000x", &entries));
        assert!(!is_allowed("https://shop.example.com:8443", &entries));
        assert!(!is_allowed("null", &entries));
    }

    #[test]
    fn entries_are_serialised_origins() {
        assert!(validate_entry("https://shop.example.com").is_ok());
        assert!(validate_entry("http://localhost:*").is_ok());
        assert!(validate_entry("http://127.0.0.1:8080").is_ok());
        assert!(validate_entry("https://shop.example.com/").is_err());
        assert!(validate_entry("shop.example.com").is_err());
        assert!(validate_entry("https://Shop.example.com").is_err());
        assert!(validate_entry("https://shop.example.com:80a").is_err());
    }
}
