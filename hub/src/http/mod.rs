//! HTTP routes: the WebSocket endpoint, the publish and history API, health and metrics,
//! behind one front door ([`front_door`]): the client address and the in-flight limit.

mod api;
mod client_addr;
mod error;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use herald_event_types::ErrorCode;
use tower_http::services::{ServeDir, ServeFile};

use crate::connection;
use crate::state::HubState;
pub(crate) use client_addr::ClientIp;
pub(crate) use error::ApiError;

/// The subprotocol of protocol v1.
const SUBPROTOCOL: &str = "herald.v1";
/// Prefix of the subprotocol entry that carries a token (browsers cannot set headers).
const BEARER_PROTOCOL: &str = "herald.bearer.";

pub(crate) fn router(state: Arc<HubState>) -> Router {
    let static_dir = state.config.static_dir.clone();
    let router = Router::new()
        .route("/ws", get(websocket))
        .route("/api/v1/publish", post(api::publish))
        .route("/api/v1/channels/{channel}/history", get(api::history))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    // Test-only: opening a WebSocket here (browsers cannot POST across origins freely)
    // closes every connection with 4000; a plain POST does the same for other tools.
    #[cfg(feature = "__echo")]
    let router = router.route(
        "/__echo/drop",
        get(|State(state): State<Arc<HubState>>, upgrade: WebSocketUpgrade| async move {
            state.drop_all.send_modify(|generation| *generation += 1);
            upgrade.on_upgrade(|socket| async move { drop(socket) })
        })
        .post(|State(state): State<Arc<HubState>>| async move {
            state.drop_all.send_modify(|generation| *generation += 1);
            "dropped\n"
        }),
    );
    #[cfg(feature = "__echo")]
    let router = router.route(
        "/__echo",
        get(|State(state): State<Arc<HubState>>, upgrade: WebSocketUpgrade| async move {
            let tracker = state.tracker.clone();
            configure(upgrade, &state.config)
                .on_upgrade(move |socket| tracker.track_future(connection::echo::serve(socket, state)))
        }),
    );
    let router = if state.config.dev_token_secret.is_some() {
        router.route("/api/v1/dev/token", get(api::dev_token))
    } else {
        router
    };
    let router = router.with_state(state.clone());
    let router = match static_dir {
        Some(dir) => {
            // The app's files, and `index.html` for its client-side routes; never for an API
            // path or a WebSocket upgrade, which get the 404 of a hub without a static dir (a
            // mistyped `/api/…` or WebSocket path must not look like success).
            let app = ServeDir::new(dir.clone()).fallback(ServeFile::new(dir.join("index.html")));
            router.fallback(move |request: axum::extract::Request| {
                let app = app.clone();
                async move {
                    let api = request.uri().path().starts_with("/api/");
                    if api || request.headers().contains_key(axum::http::header::UPGRADE) {
                        return axum::http::StatusCode::NOT_FOUND.into_response();
                    }
                    tower::ServiceExt::oneshot(app, request).await.into_response()
                }
            })
        }
        None => router,
    };
    // Last, so it wraps every route and the fallback.
    router.layer(axum::middleware::from_fn_with_state(state, front_door))
}

/// Every request passes here first. It resolves the client address ([`ClientIp`]: the TCP
/// peer, or the forwarded address when the peer is a trusted proxy) and holds one place of
/// `max_http_in_flight` until the response is ready (for an upgrade: the 101), so HTTP/1
/// connections and HTTP/2 streams share one bound. With every place taken the request gets
/// 503 `unavailable` with `Retry-After: 1`, except `/healthz`: liveness must not fail
/// because the hub is busy. The peer comes from `ConnectInfo`, which the accept loop sets
/// on every request; without one (never in the hub itself) the client counts as `0.0.0.0`.
async fn front_door(State(state): State<Arc<HubState>>, mut request: Request, next: Next) -> Response {
    let client = match request.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(peer)) => client_addr::client_ip(
            peer.ip(),
            request.headers(),
            &state.config.trusted_proxies,
            state.config.forwarded_header,
        ),
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    request.extensions_mut().insert(ClientIp(client));
    if request.uri().path() == "/healthz" {
        return next.run(request).await;
    }
    let Ok(_place) = state.http_in_flight.clone().try_acquire_owned() else {
        state.metrics.http_in_flight_refused.fetch_add(1, Relaxed);
        tracing::debug!(%client, "http request refused: max_http_in_flight reached");
        return ApiError::new(ErrorCode::Unavailable, "too many requests in flight; retry later")
            .retry_after(Duration::from_secs(1))
            .into_response();
    };
    next.run(request).await
}

/// The token a client offered on the upgrade request: `Authorization: Bearer` first, then a
/// `herald.bearer.<JWT>` subprotocol entry.
fn offered_token(headers: &HeaderMap) -> Option<String> {
    if let Some(token) = api::bearer(headers) {
        return Some(token.to_owned());
    }
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|entry| entry.trim().strip_prefix(BEARER_PROTOCOL).map(str::to_owned))
}

/// The WebSocket endpoint. Checks, in order, before any upgrade: Origin (403), shutdown
/// (503), an address blocked for failed authentications (429), the per-address connection
/// limit (429). The address is the client's ([`ClientIp`], set by [`front_door`]).
async fn websocket(
    State(state): State<Arc<HubState>>,
    Extension(ClientIp(client)): Extension<ClientIp>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let (Some(allowed), Some(origin)) = (&state.config.allowed_origins, headers.get(header::ORIGIN)) {
        if !allowed.iter().any(|a| a.as_bytes() == origin.as_bytes()) {
            return ApiError::new(ErrorCode::Forbidden, "origin not allowed").into_response();
        }
    }
    if state.shutdown.is_cancelled() {
        return ApiError::new(ErrorCode::Unavailable, "hub shutting down").into_response();
    }
    if let Some(wait) = state.auth_failures.blocked(client) {
        state.metrics.auth_blocked.fetch_add(1, Relaxed);
        tracing::debug!(%client, "upgrade refused: too many failed authentications");
        return ApiError::new(ErrorCode::RateLimited, "too many failed authentications from this address")
            .retry_after(wait)
            .into_response();
    }
    // Held from here to the end of the session (or dropped with a failed upgrade).
    let Some(ip_slot) = state.ip_connections.try_acquire(client) else {
        state.metrics.ip_limit_refused.fetch_add(1, Relaxed);
        tracing::debug!(%client, "upgrade refused: max_connections_per_ip reached");
        return ApiError::new(ErrorCode::RateLimited, "too many connections from this address").into_response();
    };
    let token = offered_token(&headers);
    let tracker = state.tracker.clone();
    configure(upgrade, &state.config)
        .on_upgrade(move |socket| tracker.track_future(connection::serve(socket, state, token, ip_slot)))
}

/// The production WebSocket settings: subprotocol, size limits, buffer sizes. A 1 KiB read
/// buffer (tungstenite grows it for larger messages) keeps an idle connection at about
/// 12 KB of RSS, below a bare tokio-tungstenite server's 13 KB (docs/benchmarks.md).
pub(crate) fn configure(upgrade: WebSocketUpgrade, config: &crate::Config) -> WebSocketUpgrade {
    upgrade
        .protocols([SUBPROTOCOL])
        .max_message_size(config.max_message_bytes)
        .max_frame_size(config.max_message_bytes)
        .read_buffer_size(1024)
        .write_buffer_size(16 * 1024)
}

async fn readyz(State(state): State<Arc<HubState>>) -> Response {
    use crate::broker::Broker;
    if state.registry.broker().is_ready().await {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        ApiError::new(ErrorCode::Unavailable, "broker unreachable").into_response()
    }
}

async fn metrics(State(state): State<Arc<HubState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
