//! Custom transports for the native driver ([`ClientBuilder::connector`]): the client asks
//! a connector for a byte stream to the hub and runs the WebSocket handshake over it.
//!
//! [`ClientBuilder::connector`]: crate::ClientBuilder::connector

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

/// Where the client is about to connect, handed to a custom connector (see
/// [`ClientBuilder::connector`](crate::ClientBuilder::connector)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectTarget {
    /// The hub URL the client was built with (`ws://host:port/ws` or `wss://…`).
    pub url: String,
    /// The URL's host (a name or an IP address, without brackets).
    pub host: String,
    /// The URL's port, or the scheme's default (80 for `ws`, 443 for `wss`).
    pub port: u16,
    /// `true` for `wss://`: the connector must return a TLS stream, since the client does
    /// not add TLS on top of a custom transport.
    pub secure: bool,
}

impl ConnectTarget {
    /// Splits `url`; `Err` with a message when it is not a `ws://` or `wss://` URL with a host.
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        let uri: tokio_tungstenite::tungstenite::http::Uri = url.parse().map_err(|e| format!("invalid URL: {e}"))?;
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            other => return Err(format!("unsupported URL scheme {other:?} (ws or wss)")),
        };
        let host = uri.host().ok_or("URL without a host")?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        Ok(Self { url: url.to_owned(), host, port, secure })
    }
}

/// A byte stream a connector produced.
pub(crate) trait Transport: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Transport for T {}

/// What a connector returns, type-erased.
pub(crate) type BoxedTransport = Box<dyn Transport>;
/// A stored connector.
pub(crate) type Connector =
    Arc<dyn Fn(ConnectTarget) -> Pin<Box<dyn Future<Output = Result<BoxedTransport, String>> + Send>> + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_default_the_port_by_scheme() {
        let plain = ConnectTarget::parse("ws://hub/ws").unwrap();
        assert_eq!((plain.host.as_str(), plain.port, plain.secure), ("hub", 80, false));
        let tls = ConnectTarget::parse("wss://[::1]:9443/ws").unwrap();
        assert_eq!((tls.host.as_str(), tls.port, tls.secure), ("::1", 9443, true));
        assert!(ConnectTarget::parse("http://hub/ws").is_err());
        assert!(ConnectTarget::parse("not a url").is_err());
    }
}
