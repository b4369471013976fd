//! The rules a webhook URL must meet, applied when an endpoint is registered (for a clear
//! `422`) and again before every delivery (rows written under other rules, a changed
//! `allow_private_urls`). URLs are parsed by the WHATWG `url` crate, the same parser the HTTP
//! client uses, so every spelling of an address (`0x7f000001`, `127.1`, `%31%32%37.0.0.1`,
//! full-width digits, `[::ffff:7f00:1]`, a trailing dot, `\` read as `/`) is judged as the
//! address the client would connect to. Host names are judged by what they resolve to, at
//! registration and again at connect time (`host_lookup`).

use reqwest::Url;
use url::Host;

use crate::host_lookup::HostLookup;
use crate::ip_policy::is_public;

/// Why a webhook URL is refused: a stable per-field code and a sentence for the client.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlProblem {
    pub code: &'static str,
    pub message: &'static str,
}

const MALFORMED: UrlProblem = UrlProblem {
    code: "pattern",
    message: "must be an http:// or https:// URL with a host, at most 2048 characters without spaces",
};
const USERINFO: UrlProblem = UrlProblem {
    code: "pattern",
    message: "must not carry a user name or password (put credentials in the path or query)",
};
pub const NOT_PUBLIC: UrlProblem = UrlProblem {
    code: "not_allowed",
    message: "loopback, private and other non-public addresses are refused (webhooks.allow_private_urls)",
};

/// Checks everything that needs no DNS: syntax, scheme, userinfo, and — unless private URLs
/// are allowed — a host that is an IP address or `localhost` must be public.
pub fn check(url: &str, allow_private: bool) -> Result<Url, UrlProblem> {
    if url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(MALFORMED);
    }
    let parsed = Url::parse(url).map_err(|_| MALFORMED)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(MALFORMED);
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(USERINFO);
    }
    let public = match parsed.host() {
        None => return Err(MALFORMED),
        Some(Host::Ipv4(ip)) => is_public(ip.into()),
        Some(Host::Ipv6(ip)) => is_public(ip.into()),
        Some(Host::Domain(name)) => !is_localhost(name),
    };
    if !public && !allow_private {
        return Err(NOT_PUBLIC);
    }
    Ok(parsed)
}

/// `localhost` and its subdomains always mean this machine (RFC 6761).
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// [`check`], then, for a host name, a lookup: a name whose every address is non-public is
/// refused. A name that does not resolve (yet) is accepted; deliveries to it fail and are
/// retried, and the connect-time check still applies to whatever it resolves to later.
pub async fn check_for_registration(
    url: &str,
    allow_private: bool,
    lookup: &dyn HostLookup,
) -> Result<Url, UrlProblem> {
    let parsed = check(url, allow_private)?;
    if allow_private {
        return Ok(parsed);
    }
    let Some(Host::Domain(name)) = parsed.host() else {
        return Ok(parsed);
    };
    match lookup.lookup(name).await {
        Ok(addrs) if !addrs.is_empty() && !addrs.iter().copied().any(is_public) => Err(NOT_PUBLIC),
        _ => Ok(parsed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_loopback_is_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://127.1/",
            "http://0177.0.0.1/",
            "http://127.0.0.1./",
            "http://0/",
            "http://%31%32%37.0.0.1/",
            "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://localhost:8080/",
            "http://api.LOCALHOST./",
            "http://2852039166/",
            "http://[fe80::1]/",
            "http://100.64.0.1/",
            "http://198.18.0.1/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
        ] {
            assert_eq!(check(url, false).unwrap_err(), NOT_PUBLIC, "{url}");
        }
    }

    #[test]
    fn the_host_is_the_one_the_client_connects_to() {
        // The client reads `\` as `/`, so the host is 127.0.0.1 and `P` a bad port.
        assert_eq!(
            check("http://127.0.0.1:P\\@a.example/", false).unwrap_err(),
            MALFORMED
        );
        assert_eq!(
            check("http://u:p@hooks.example/", false).unwrap_err(),
            USERINFO
        );
        assert_eq!(
            check("http://@hooks.example/", false)
                .map(|u| u.to_string())
                .unwrap(),
            "http://hooks.example/"
        );
        for bad in [
            "ftp://hooks.example/",
            "http:///",
            "hooks.example",
            "http://a b/",
            "http://x/\n",
        ] {
            assert_eq!(check(bad, true).unwrap_err(), MALFORMED, "{bad}");
        }
        assert!(check("https://hooks.example:8443/in?x=1", false).is_ok());
        assert!(check("http://127.0.0.1:9/", true).is_ok());
    }
}
