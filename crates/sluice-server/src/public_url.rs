//! Where payers reach this server: the base of the hosted payment page's links
//! (`{public_url}/pay?flow=…`). Set with `serve --public-url` (`SLUICE_PUBLIC_URL`) when Sluice
//! sits behind a proxy or a domain; by default the address it listens on. The page's own
//! origin is allowed on the payer routes of every environment.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// Without a trailing slash; may carry a path prefix (`https://pay.example.com/sluice`).
    base: String,
    /// `scheme://host[:port]`, as a browser sends it in `Origin`.
    origin: String,
}

impl PublicUrl {
    /// Checks an operator's `--public-url`: an absolute http(s) URL with no query or fragment.
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = reqwest::Url::parse(text)
            .map_err(|e| format!("--public-url {text:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(format!(
                "--public-url {text:?} must be an http:// or https:// URL"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "--public-url {text:?} must not have a query or fragment"
            ));
        }
        Ok(Self {
            base: url.as_str().trim_end_matches('/').to_owned(),
            origin: url.origin().ascii_serialization(),
        })
    }

    /// `0.0.0.0` or `[::]`: a listen address, not one a browser can open.
    pub fn host_is_unspecified(&self) -> bool {
        reqwest::Url::parse(&self.base).is_ok_and(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_unspecified(),
            Some(url::Host::Ipv6(ip)) => ip.is_unspecified(),
            _ => false,
        })
    }

    /// The hosted payment page.
    pub fn pay_page(&self) -> String {
        format!("{}/pay", self.base)
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_a_path_prefix_and_knows_its_origin() {
        let url = PublicUrl::parse("https://Pay.Example.com:8443/sluice/").unwrap();
        assert_eq!(url.pay_page(), "https://pay.example.com:8443/sluice/pay");
        assert_eq!(url.origin(), "https://pay.example.com:8443");
        assert_eq!(
            PublicUrl::parse("http://127.0.0.1:8080").unwrap().origin(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "ftp://x",
            "pay.example.com",
            "https://x/?a=1",
            "https://x/#f",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
