//! Which IP addresses a webhook may reach. A tenant chooses its webhook URL, so without this
//! rule the delivery worker would POST wherever a tenant points it: the metadata service at
//! 169.254.169.254, a database on the private network, the server's own admin ports. Only
//! globally routable unicast addresses pass; every special-purpose block of the IANA IPv4 and
//! IPv6 special-purpose registries (RFC 6890 and its updates) is refused, and the IPv6 forms
//! that carry an IPv4 address (mapped, NAT64, 6to4) are judged by the address they carry.
//! The rule is applied to the addresses a name resolves to at connect time, so a DNS answer
//! that changes after registration (rebinding) is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address a webhook may be sent to.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

/// IPv4 blocks that are not globally reachable unicast, as (network, prefix length).
const REFUSED_V4: &[([u8; 4], u8)] = &[
    ([0, 0, 0, 0], 8),       // "this network", including 0.0.0.0
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // shared address space (carrier-grade NAT)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local, cloud metadata services
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, including the broadcast address 255.255.255.255
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    !REFUSED_V4.iter().any(|&(network, prefix)| {
        let mask = u32::MAX << (32 - u32::from(prefix));
        bits & mask == u32::from(Ipv4Addr::from(network))
    })
}

/// IPv6 blocks inside global unicast (2000::/3) that are still not public.
const REFUSED_V6: &[(u128, u8)] = &[
    (0x2001_0000 << 96, 23), // IETF protocol assignments: Teredo, benchmarking, ORCHID
    (0x2001_0db8 << 96, 32), // documentation
    (0x3fff_0000 << 96, 20), // documentation
    (0x0064_ff9b_0001 << 80, 48), // local-use NAT64
];

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let bits = u128::from(ip);
    // Only 2000::/3 is allocated for global unicast; loopback, unspecified, ::/96, ULA
    // (fc00::/7), link-local (fe80::/10), site-local (fec0::/10), multicast (ff00::/8),
    // discard (100::/64) and SRv6 (5f00::/16) all lie outside it.
    let global_unicast = bits >> 125 == 0b001;
    global_unicast
        && !REFUSED_V6.iter().any(|&(network, prefix)| {
            let mask = u128::MAX << (128 - u32::from(prefix));
            bits & mask == network
        })
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped (::ffff:0:0/96), the NAT64
/// well-known prefix (64:ff9b::/96) and 6to4 (2002::/16) reach that IPv4 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    if bits >> 32 == 0xffff {
        return Some(low32);
    }
    if bits >> 32 == 0x0064_ff9b << 64 {
        return Some(low32);
    }
    if bits >> 112 == 0x2002 {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap())
    }

    #[test]
    fn every_special_purpose_ipv4_block_is_refused_at_both_ends() {
        let refused = [
            ("0.0.0.0", "0.255.255.255"),
            ("10.0.0.0", "10.255.255.255"),
            ("100.64.0.0", "100.127.255.255"),
            ("127.0.0.0", "127.255.255.255"),
            ("169.254.0.0", "169.254.255.255"),
            ("172.16.0.0", "172.31.255.255"),
            ("192.0.0.0", "192.0.0.255"),
            ("192.0.2.0", "192.0.2.255"),
            ("192.88.99.0", "192.88.99.255"),
            ("192.168.0.0", "192.168.255.255"),
            ("198.18.0.0", "198.19.255.255"),
            ("198.51.100.0", "198.51.100.255"),
            ("203.0.113.0", "203.0.113.255"),
            ("224.0.0.0", "239.255.255.255"),
            ("240.0.0.0", "255.255.255.255"),
        ];
        for (first, last) in refused {
            assert!(!public(first), "{first}");
            assert!(!public(last), "{last}");
        }
        // The neighbours of each block are public.
        for ip in [
            "1.0.0.1",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.88.98.255",
            "192.167.255.255",
            "198.17.255.255",
            "198.20.0.0",
            "203.0.112.255",
            "223.255.255.255",
            "8.8.8.8",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_outside_public_unicast_is_refused() {
        for ip in [
            "::",
            "::1",
            "::7f00:1",
            "::8.8.8.8",
            "100::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
            "2001:1ff:ffff::1",
            "2001:db8::1",
            "2001:db8:ffff::1",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
            "64:ff9b:1::1",
            "fc00::1",
            "fdff:ffff::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in [
            "2001:200::1",
            "2001:4860:4860::8888",
            "2606:4700::1111",
            "2a00:1450::1",
            "3ffe::1",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_of_an_ipv4_address_are_judged_by_it() {
        for ip in [
            "::ffff:127.0.0.1",
            "::ffff:7f00:1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2002:c0a8:101::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        for ip in ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            assert!(public(ip), "{ip}");
        }
    }
}
