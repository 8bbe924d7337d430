//! The address of the person making a request. It is the connection's peer, unless the peer is
//! one of `server.trusted_proxies`: then it is the nearest address in `X-Forwarded-For` that is
//! not itself a trusted proxy. Headers from anyone else are ignored, so a client cannot choose
//! the address that rate limits and logs see.
use actix_web::dev::ServiceRequest;
use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::IpAddr;

fn trusted(addr: &IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(addr))
}

/// The client address, from the peer and (only behind a trusted proxy) `X-Forwarded-For`.
pub fn resolve(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    proxies: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted(&peer, proxies) {
        return Some(peer);
    }
    let Some(chain) = forwarded_for else {
        return Some(peer);
    };
    // Walk from the proxy nearest to us outwards; the first untrusted hop is the client. An
    // entry that is not an address stops the walk: what lies beyond it cannot be trusted.
    let mut client = peer;
    for hop in chain.split(',').rev() {
        let Some(hop) = parse_hop(hop) else { break };
        client = hop;
        if !trusted(&hop, proxies) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_hop(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    raw.parse()
        .ok()
        .or_else(|| raw.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            raw.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
}

fn forwarded_for(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    let all: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!all.is_empty()).then(|| all.join(","))
}

pub fn of_request(req: &HttpRequest, proxies: &[IpNet]) -> Option<IpAddr> {
    resolve(
        req.peer_addr().map(|a| a.ip()),
        forwarded_for(req.headers()).as_deref(),
        proxies,
    )
}

pub fn of_service_request(req: &ServiceRequest, proxies: &[IpNet]) -> Option<IpAddr> {
    resolve(
        req.peer_addr().map(|a| a.ip()),
        forwarded_for(req.headers()).as_deref(),
        proxies,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn headers_count_only_behind_a_trusted_proxy() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let direct = resolve(Some(ip("203.0.113.9")), Some("198.51.100.1"), &proxies);
        assert_eq!(direct, Some(ip("203.0.113.9")), "a client cannot choose");
        let proxied = resolve(Some(ip("10.0.0.2")), Some("198.51.100.1"), &proxies);
        assert_eq!(proxied, Some(ip("198.51.100.1")));
        // A client that sends its own X-Forwarded-For through the proxy: the proxy appends the
        // real address, and that is the one taken.
        let spoofed = resolve(
            Some(ip("10.0.0.2")),
            Some("1.2.3.4, 198.51.100.1, 10.0.0.3"),
            &proxies,
        );
        assert_eq!(spoofed, Some(ip("198.51.100.1")));
        let garbage = resolve(Some(ip("10.0.0.2")), Some("not an address"), &proxies);
        assert_eq!(garbage, Some(ip("10.0.0.2")));
        // Junk the client sent before the address the proxy appended does not hide it.
        let junk_first = resolve(Some(ip("10.0.0.2")), Some("junk, 198.51.100.1"), &proxies);
        assert_eq!(junk_first, Some(ip("198.51.100.1")));
        let with_port = resolve(Some(ip("10.0.0.2")), Some("198.51.100.1:5678"), &proxies);
        assert_eq!(with_port, Some(ip("198.51.100.1")));
        let v6 = resolve(Some(ip("10.0.0.2")), Some("[2001:db8::1]:443"), &proxies);
        assert_eq!(v6, Some(ip("2001:db8::1")));
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), None, &proxies),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(
            resolve(Some(ip("::1")), Some("198.51.100.1"), &[]),
            Some(ip("::1"))
        );
    }
}
