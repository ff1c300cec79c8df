//! Where a webhook may be sent. Without the allow setting, an endpoint whose host is, or
//! resolves to, a loopback, private, link-local or otherwise non-public address is refused
//! when it is registered, and a delivery never connects to such an address: the worker's
//! resolver drops them, so a host that resolves elsewhere later is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::error::AppError;

/// Whether an address is one the public internet routes to.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // Protocol assignments, benchmarking, and the reserved 240.0.0.0/4.
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

/// Only global unicast (2000::/3) is public, less the ranges in it that lead to IPv4
/// or are reserved. Everything else (loopback, unique and link local, IPv4-compatible,
/// NAT64's 64:ff9b::/96, site local, discard) is refused, a public IPv4 address behind
/// NAT64 included.
fn public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    match (s[0], s[1]) {
        // 6to4 carries the IPv4 address it leads to in bits 16 to 48.
        (0x2002, _) => public_v4(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8)),
        // IETF protocol assignments 2001::/23 (Teredo, benchmarking, ORCHID) and
        // documentation 2001:db8::/32.
        (0x2001, b) => b >= 0x0200 && b != 0x0db8,
        _ => true,
    }
}

/// An endpoint URL that passed its checks.
#[derive(Debug, Clone)]
pub struct Target(pub Url);

/// Checks an endpoint URL: http or https, a host, no credentials, and, unless
/// `allow_private`, every address its host resolves to public. Nothing is sent.
pub async fn check(raw: &str, allow_private: bool) -> Result<Target, AppError> {
    let url = Url::parse(raw.trim()).map_err(|e| invalid(format!("`url` is not a URL: {e}.")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(invalid("`url` must be an http or https URL.".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("`url` must not carry credentials; the signature authenticates each message.".into()));
    }
    let Some(host) = url.host_str().map(str::to_string) else {
        return Err(invalid("`url` must name a host.".into()));
    };
    if allow_private {
        return Ok(Target(url));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match literal(&url) {
        Some(ip) => vec![ip],
        None => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| invalid(format!("The host `{host}` does not resolve: {e}.")))?
            .map(|a| a.ip())
            .collect(),
    };
    match addresses.iter().find(|ip| !is_public(**ip)) {
        Some(ip) => Err(AppError::unprocessable(
            "private_target",
            format!(
                "The host `{host}` resolves to {ip}, which is not a public address; webhooks are not sent there \
                 unless the service allows private targets (ROUNDTABLE_WEBHOOKS_ALLOW_PRIVATE_TARGETS)."
            ),
        )),
        None if addresses.is_empty() => Err(invalid(format!("The host `{host}` resolves to no address."))),
        None => Ok(Target(url)),
    }
}

fn invalid(detail: String) -> AppError {
    AppError::unprocessable("invalid_url", detail)
}

/// The address a URL names directly, if it names one.
pub fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Why the worker's resolver gave no address.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves to no public address")]
pub struct NotPublic(pub String);

/// The worker's resolver: the system's, without the addresses a delivery must not reach.
#[derive(Debug, Default)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(NotPublic(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_ranges_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "2001::1",
            "2001:db8::1",
            "::7f00:1",
            "fec0::1",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip} counts as public");
        }
        for ip in
            ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:1.1.1.1", "2002:808:808::1", "2001:4860::8888"]
        {
            assert!(is_public(ip.parse().unwrap()), "{ip} counts as private");
        }
    }
}
