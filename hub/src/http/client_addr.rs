//! The client address of a request (docs/operations.md §7, "Behind a reverse proxy"): the
//! TCP peer, unless that peer is one of `trusted_proxies`. Then it is the right-most hop of
//! the configured forwarding header that is not itself a trusted proxy: every hop to its
//! right was added by a proxy we trust, and everything to its left is what the client sent,
//! which nobody vouches for.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;

use crate::config::ForwardedHeader;

/// The client address of a request, set on every request by the router's front door
/// (`http::front_door`) for handlers to extract with `Extension<ClientIp>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientIp(pub(crate) IpAddr);

/// The client address of a request from `peer`. Forwarding headers are read only when
/// `peer` is inside one of `trusted`. Walking the hops from the right: a trusted hop is
/// skipped, the first untrusted one is the client. A hop that is not an address (`unknown`,
/// an obfuscated `_id`, garbage) stops the walk at the nearest trusted proxy, since nobody
/// vouches for anything beyond it. When every hop is trusted, the left-most one is the client.
/// IPv4-mapped IPv6 addresses count as their IPv4 address.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet], header: ForwardedHeader) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let name = match header {
        ForwardedHeader::XForwardedFor => HeaderName::from_static("x-forwarded-for"),
        ForwardedHeader::Forwarded => HeaderName::from_static("forwarded"),
    };
    // Repeated header lines form one list, in order (RFC 9110 §5.3).
    let mut hops: Vec<Option<IpAddr>> = Vec::new();
    for value in headers.get_all(name) {
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in value.split(',') {
            hops.push(match header {
                ForwardedHeader::XForwardedFor => parse_hop(element),
                ForwardedHeader::Forwarded => forwarded_for(element).and_then(parse_hop),
            });
        }
    }
    let mut nearest = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(&ip) => nearest = ip,
            Some(ip) => return ip,
            None => return nearest,
        }
    }
    nearest
}

/// The `for=` value of one `Forwarded` element (`for=192.0.2.60;proto=http;by=…`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value)
    })
}

/// One hop: `192.0.2.1`, `2001:db8::1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711`, optionally in double quotes.
fn parse_hop(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    let ip = text
        .parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| text.strip_prefix('[')?.strip_suffix(']')?.parse::<Ipv6Addr>().ok().map(IpAddr::V6))?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &str, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const FWD: ForwardedHeader = ForwardedHeader::Forwarded;

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let spoof = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(client_ip(ip("198.51.100.1"), &spoof, &[], XFF), ip("198.51.100.1"));
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(client_ip(ip("198.51.100.1"), &spoof, &trusted, XFF), ip("198.51.100.1"));
        assert_eq!(client_ip(ip("::ffff:198.51.100.1"), &spoof, &trusted, XFF), ip("198.51.100.1"));
    }

    #[test]
    fn a_trusted_peer_gives_the_right_most_untrusted_hop() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "2001:db8:ffff::/48".parse().unwrap()];
        let peer = ip("10.0.0.1");
        // The client prepended a lie; the proxies appended the truth.
        let chain = headers("x-forwarded-for", &["1.1.1.1, 203.0.113.7", "10.0.0.2"]);
        assert_eq!(client_ip(peer, &chain, &trusted, XFF), ip("203.0.113.7"));
        assert_eq!(
            client_ip(peer, &headers("x-forwarded-for", &[" 203.0.113.7:4711 "]), &trusted, XFF),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(peer, &headers("x-forwarded-for", &["[2001:db8::5]:80"]), &trusted, XFF),
            ip("2001:db8::5")
        );
        // Every hop trusted: the left-most. No header: the peer. Garbage: the nearest proxy.
        assert_eq!(
            client_ip(peer, &headers("x-forwarded-for", &["10.9.9.9, 10.0.0.3"]), &trusted, XFF),
            ip("10.9.9.9")
        );
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted, XFF), peer);
        assert_eq!(
            client_ip(peer, &headers("x-forwarded-for", &["203.0.113.7, nonsense, 10.0.0.3"]), &trusted, XFF),
            ip("10.0.0.3")
        );
        // Only the configured header counts.
        assert_eq!(client_ip(peer, &headers("forwarded", &["for=203.0.113.7"]), &trusted, XFF), peer);
        assert_eq!(client_ip(peer, &chain, &trusted, FWD), peer);
    }

    #[test]
    fn forwarded_elements_are_parsed_per_rfc_7239() {
        let trusted: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let peer = ip("127.0.0.1");
        let value = r#"for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https, For=10.0.0.2;by=10.0.0.1"#;
        assert_eq!(client_ip(peer, &headers("forwarded", &[value]), &trusted, FWD), ip("2001:db8:cafe::17"));
        assert_eq!(
            client_ip(peer, &headers("forwarded", &["for=\"203.0.113.4:80\""]), &trusted, FWD),
            ip("203.0.113.4")
        );
        assert_eq!(
            client_ip(peer, &headers("forwarded", &["for=unknown, for=10.0.0.2"]), &trusted, FWD),
            ip("10.0.0.2")
        );
        assert_eq!(client_ip(peer, &headers("forwarded", &["proto=https"]), &trusted, FWD), peer);
        assert_eq!(client_ip(peer, &headers("forwarded", &["for=_hidden"]), &trusted, FWD), peer);
    }
}
