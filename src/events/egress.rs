//! Which addresses webhook deliveries may reach when
//! `webhooks.block_private_networks` is on: checked on every delivery, for
//! an address written in the URL and for every address a name resolves to
//! (the connection goes to the checked addresses only).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Every block of the IANA IPv4 special-purpose address registry, plus
/// multicast (224.0.0.0/4): `(network, prefix length)`.
const V4_BLOCKED: &[(u32, u8)] = &[
    (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
    (0x0a00_0000, 8),  // 10.0.0.0/8 private
    (0x6440_0000, 10), // 100.64.0.0/10 shared (CGNAT)
    (0x7f00_0000, 8),  // 127.0.0.0/8 loopback
    (0xa9fe_0000, 16), // 169.254.0.0/16 link-local (cloud metadata)
    (0xac10_0000, 12), // 172.16.0.0/12 private
    (0xc000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
    (0xc000_0200, 24), // 192.0.2.0/24 documentation
    (0xc01f_c400, 24), // 192.31.196.0/24 AS112
    (0xc034_c100, 24), // 192.52.193.0/24 AMT
    (0xc058_6300, 24), // 192.88.99.0/24 6to4 relay anycast
    (0xc0a8_0000, 16), // 192.168.0.0/16 private
    (0xc0af_3000, 24), // 192.175.48.0/24 AS112 direct delegation
    (0xc612_0000, 15), // 198.18.0.0/15 benchmarking
    (0xc633_6400, 24), // 198.51.100.0/24 documentation
    (0xcb00_7100, 24), // 203.0.113.0/24 documentation
    (0xe000_0000, 4),  // 224.0.0.0/4 multicast
    (0xf000_0000, 4),  // 240.0.0.0/4 reserved, and the broadcast address
];

/// Blocks of the IANA IPv6 special-purpose registry inside 2000::/3 (the
/// only range allocated for global unicast; everything outside it is
/// refused, which covers ::1, ::, ::ffff:0:0/96, 64:ff9b::/96, 100::/64,
/// fc00::/7, fe80::/10, multicast and the rest).
const V6_BLOCKED: &[(u128, u8)] = &[
    (0x2001_0000 << 96, 23), // 2001::/23 IETF assignments (Teredo, ORCHID, benchmarking, AMT, AS112)
    (0x2001_0db8 << 96, 32), // 2001:db8::/32 documentation
    (0x2002 << 112, 16),     // 2002::/16 6to4
    ((0x2620_004f << 96) | (0x8000 << 80), 48), // 2620:4f:8000::/48 AS112
    (0x3fff << 112, 20),     // 3fff::/20 documentation
];

fn in_block(addr: u128, bits: u32, (net, prefix): (u128, u8)) -> bool {
    let shift = bits - u32::from(prefix);
    let mask = u128::MAX.checked_shl(shift).unwrap_or(0) & (u128::MAX >> (128 - bits));
    addr & mask == net & mask
}

fn v4_blocked(ip: Ipv4Addr) -> bool {
    let addr = u128::from(u32::from(ip));
    V4_BLOCKED
        .iter()
        .any(|&(net, prefix)| in_block(addr, 32, (u128::from(net), prefix)))
}

fn v6_blocked(ip: Ipv6Addr) -> bool {
    let addr = u128::from(ip);
    let global_unicast = addr >> 125 == 0b001;
    if !global_unicast || V6_BLOCKED.iter().any(|&b| in_block(addr, 128, b)) {
        return true;
    }
    // ISATAP (RFC 5214) carries an IPv4 address in the interface
    // identifier (`0:5efe:a.b.c.d`, or `200:5efe:` when globally unique).
    let s = ip.segments();
    (s[4] & 0xfdff) == 0 && s[5] == 0x5efe && v4_blocked(Ipv4Addr::from(addr as u32))
}

/// May a webhook delivery connect to `ip`?
pub fn is_blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_blocked(v4),
        IpAddr::V6(v6) => v6_blocked(v6),
    }
}

/// The address written as the URL's host, if it is one (`http://[::1]/`,
/// and the forms URL parsing turns into one, such as `http://2130706433/`).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Why a delivery to `url` is refused before any name is resolved: an
/// address literal that is blocked, or `localhost`.
pub fn refuse_url(url: &Url) -> Option<String> {
    if let Some(ip) = literal_ip(url) {
        return is_blocked(ip).then(|| format!("{ip} is a private or reserved address"));
    }
    let host = url.host_str()?.trim_end_matches('.');
    let local =
        host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost");
    local.then(|| format!("{host} is a local name"))
}

/// Resolves names keeping only addresses deliveries may reach.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_blocked(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(
                    format!("{host} resolves only to private or reserved addresses").into(),
                );
            }
            let iter: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(iter)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(ip: &str) -> bool {
        is_blocked(ip.parse().unwrap())
    }

    #[test]
    fn special_purpose_ipv4_is_blocked() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.0.170",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "192.175.48.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(blocked(ip), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.1",
            "192.0.3.1",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ] {
            assert!(!blocked(ip), "{ip}");
        }
    }

    #[test]
    fn ipv6_embedding_ipv4_and_special_purpose_is_blocked() {
        for ip in [
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::ffff:0:8.8.8.8",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::808:808",
            "64:ff9b:1::a00:1",
            "100::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "2002:808:808::1",
            "2620:4f:8000::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:4860::5efe:7f00:1",
            "2001:4860::200:5efe:a00:1",
        ] {
            assert!(blocked(ip), "{ip}");
        }
        for ip in [
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "2001:200::1",
            "2620:4f:7fff::1",
            "2a00:1450::1",
            "2001:4860::5efe:808:808",
        ] {
            assert!(!blocked(ip), "{ip}");
        }
    }

    #[test]
    fn urls_naming_a_blocked_address_or_localhost_are_refused() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::1]:9/",
            "https://169.254.169.254/latest",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost/",
        ] {
            let parsed = Url::parse(url).unwrap();
            assert!(refuse_url(&parsed).is_some(), "{url}");
        }
        for url in [
            "https://example.com/hook",
            "http://8.8.8.8/",
            "http://[2606:4700::1111]/",
        ] {
            assert!(refuse_url(&Url::parse(url).unwrap()).is_none(), "{url}");
        }
    }
}
