//! The client's IP: the peer address, or — only when the peer is a trusted
//! proxy — the right-most untrusted address of `X-Forwarded-For`.

use std::net::IpAddr;

use rocket::Request;

use crate::net::{canonical, Cidr};

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn new(list: &[Cidr]) -> Self {
        TrustedProxies(list.to_vec())
    }

    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusts(ip)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|c| c.contains(ip))
    }

    /// The client address for `req`, or `None` when there is no peer (local
    /// test clients).
    pub fn client_ip(&self, req: &Request<'_>) -> Option<IpAddr> {
        let peer = canonical(req.remote()?.ip());
        if !self.trusts(peer) {
            return Some(peer);
        }
        let mut client = peer;
        let hops: Vec<&str> = req
            .headers()
            .get("X-Forwarded-For")
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        Some(client)
    }
}
