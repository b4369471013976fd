//! Name resolution for outgoing webhook requests, and the resolver the delivery client uses.
//! The client resolves a webhook's host itself, at connect time, through [`GuardedResolver`],
//! which drops every address [`crate::ip_policy`] refuses: a name that resolves to a private
//! address, or one whose answer changes after registration (DNS rebinding), reaches nothing.
//! The lookup behind it is a trait so that tests can pin names to loopback and never send a
//! DNS query anywhere.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use crate::ip_policy::is_public;

/// Resolves a host name to its addresses.
pub trait HostLookup: Send + Sync + 'static {
    fn lookup(&self, host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>>;
}

/// The operating system's resolver (`getaddrinfo`, via tokio).
pub struct SystemLookup;

impl HostLookup for SystemLookup {
    fn lookup(&self, host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        let host = host.to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// A fixed table of names, changeable at run time; any other name does not resolve. For
/// tests (a name pinned to loopback, an answer that changes between registration and
/// delivery) without DNS traffic.
#[derive(Default)]
pub struct FixedHosts(Mutex<HashMap<String, Vec<IpAddr>>>);

impl FixedHosts {
    pub fn set(&self, host: &str, addrs: &[IpAddr]) {
        let mut table = self.0.lock().expect("the host table is never poisoned");
        table.insert(host.to_ascii_lowercase(), addrs.to_vec());
    }
}

impl HostLookup for FixedHosts {
    fn lookup(&self, host: &str) -> BoxFuture<'static, io::Result<Vec<IpAddr>>> {
        let table = self.0.lock().expect("the host table is never poisoned");
        let found = table.get(&host.to_ascii_lowercase()).cloned();
        Box::pin(async move {
            found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "unknown host"))
        })
    }
}

/// Why a webhook request was not sent: its host has no address a webhook may reach. Recorded
/// on the attempt as "refused" only, so that attempts cannot be used to probe which internal
/// addresses and ports exist.
#[derive(Debug, thiserror::Error)]
#[error("refused: the webhook host has no public address")]
pub struct Refused;

/// The delivery client's resolver: looks a name up and keeps only the addresses a webhook may
/// reach (all of them when the operator allows private URLs).
pub struct GuardedResolver {
    pub lookup: Arc<dyn HostLookup>,
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let lookup = self.lookup.lookup(name.as_str());
        let allow_private = self.allow_private;
        Box::pin(async move {
            let kept: Vec<SocketAddr> = lookup
                .await?
                .into_iter()
                .filter(|ip| allow_private || is_public(*ip))
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if kept.is_empty() {
                return Err(Box::new(Refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use reqwest::dns::Resolve;

    use super::*;

    async fn resolve(allow_private: bool, addrs: &[&str]) -> Result<Vec<IpAddr>, String> {
        let hosts = FixedHosts::default();
        let ips: Vec<IpAddr> = addrs.iter().map(|a| a.parse().unwrap()).collect();
        hosts.set("hooks.example", &ips);
        let resolver = GuardedResolver {
            lookup: Arc::new(hosts),
            allow_private,
        };
        let name = reqwest::dns::Name::from_str("hooks.example").unwrap();
        match resolver.resolve(name).await {
            Ok(addrs) => Ok(addrs.map(|a| a.ip()).collect()),
            Err(e) => Err(if crate::error::caused_by::<Refused>(&*e) {
                "refused".into()
            } else {
                e.to_string()
            }),
        }
    }

    #[tokio::test]
    async fn private_answers_are_dropped_and_only_private_is_refused() {
        let mixed = resolve(false, &["127.0.0.1", "93.184.215.14", "::1", "fe80::1"]).await;
        assert_eq!(mixed.unwrap(), ["93.184.215.14".parse::<IpAddr>().unwrap()]);
        let private = resolve(false, &["10.0.0.1", "::ffff:127.0.0.1"]).await;
        assert_eq!(private.unwrap_err(), "refused");
        let allowed = resolve(true, &["127.0.0.1"]).await.unwrap();
        assert_eq!(allowed, ["127.0.0.1".parse::<IpAddr>().unwrap()]);
    }
}
