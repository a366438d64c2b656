//! The URL conventions shared by every Herald client: a hub URL without a path means its
//! WebSocket endpoint `/ws` (as the publisher SDK and the JavaScript client read it too), and
//! the HTTP API lives next to it.

/// `ws://host:port` → `ws://host:port/ws`; a URL with a path (other than `/`) is kept.
pub(crate) fn normalize(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_owned() };
    let rest = &url[scheme_end + 3..];
    match rest.find(['/', '?', '#']) {
        None => format!("{url}/ws"),
        Some(at) => {
            let (authority, tail) = rest.split_at(at);
            let head = &url[..scheme_end + 3];
            if let Some(path_rest) = tail.strip_prefix('/') {
                if path_rest.is_empty() || path_rest.starts_with(['?', '#']) {
                    return format!("{head}{authority}/ws{path_rest}");
                }
                return url.to_owned();
            }
            format!("{head}{authority}/ws{tail}")
        }
    }
}

/// The HTTP base of a hub from its WebSocket URL: `ws`→`http`, `wss`→`https`, the trailing
/// `/ws` and any query removed (`ws://h:1/ws` → `http://h:1`, `wss://h/herald/ws` →
/// `https://h/herald`).
pub(crate) fn http_base(ws_url: &str) -> String {
    let url = ws_url.split(['?', '#']).next().unwrap_or(ws_url);
    let url = if let Some(rest) = url.strip_prefix("wss://") {
        format!("https://{rest}")
    } else if let Some(rest) = url.strip_prefix("ws://") {
        format!("http://{rest}")
    } else {
        url.to_owned()
    };
    let url = url.strip_suffix("/ws").unwrap_or(&url);
    url.trim_end_matches('/').to_owned()
}

/// Percent-encodes a query or path component (everything but RFC 3986's unreserved bytes).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_path_gets_the_websocket_endpoint() {
        assert_eq!(normalize("ws://127.0.0.1:8080"), "ws://127.0.0.1:8080/ws");
        assert_eq!(normalize("ws://127.0.0.1:8080/"), "ws://127.0.0.1:8080/ws");
        assert_eq!(normalize("wss://hub.example"), "wss://hub.example/ws");
        assert_eq!(normalize("ws://h:1?x=1"), "ws://h:1/ws?x=1");
        assert_eq!(normalize("ws://h:1/ws"), "ws://h:1/ws");
        assert_eq!(normalize("ws://h:1/herald/ws"), "ws://h:1/herald/ws");
        assert_eq!(normalize("not a url"), "not a url");
    }

    #[test]
    fn the_http_api_sits_next_to_the_websocket_endpoint() {
        assert_eq!(http_base("ws://127.0.0.1:8080/ws"), "http://127.0.0.1:8080");
        assert_eq!(http_base("wss://hub.example/herald/ws?x"), "https://hub.example/herald");
        assert_eq!(encode("p-42/e 7"), "p-42%2Fe%207");
    }
}
