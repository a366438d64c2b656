//! The TypeScript face of `HeraldClient`: the declarations wasm-bindgen copies into
//! `herald_wasm.d.ts`, and the JavaScript types the methods take and return. No code: the
//! methods are in `client.rs`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Where the connection is. `idle` until the first `connect()`. */
export type ConnectionStatus = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

/** A connection state snapshot. The same object is returned until the state changes. */
export interface ConnectionStateSnapshot {
  readonly status: ConnectionStatus;
  /** Reconnect attempt (`connecting`, `reconnecting`). */
  readonly attempt?: number;
  /** Delay before the next attempt, in milliseconds (`reconnecting`). */
  readonly nextInMs?: number;
  /** Close code (`closed`), `null` when there was none. */
  readonly code?: number | null;
  /** Close reason (`closed`). */
  readonly reason?: string;
  /** The permanent failure that closed the client (`closed`; absent when `close()` did). */
  readonly error?: HeraldError;
}

/** Stable codes of `HeraldError.code`. */
export type HeraldErrorCode =
  | "invalid_argument" | "auth" | "token" | "refused" | "closed" | "transport" | "http" | "client_closed"
  | "message_too_big" | "unknown";

/** The one error shape of the package: an `Error` named `HeraldError`. */
export interface HeraldError extends Error {
  readonly code: HeraldErrorCode;
  /** Whether trying again unchanged can succeed. */
  readonly retryable: boolean;
  /** The hub's error code (`forbidden`, `invalid_token`, …), when there is one. */
  readonly detail?: string;
  /** The WebSocket close code, for `closed`. */
  readonly closeCode?: number;
  /** The channel of a refused subscription (`refused`). */
  readonly channel?: string;
  /** The subject prefix of a refused subscription (`refused`; `""`: the whole channel). */
  readonly subject?: string;
  /** The URL requested (`http`). */
  readonly url?: string;
  /** The HTTP status (`http`; 0 when no answer arrived). */
  readonly status?: number;
}

/** An event envelope (docs/protocol.md §2) with `data` as a plain object. */
export interface HeraldEnvelope {
  id: string;
  event_type: string;
  category: "PIPELINE" | "SECURITY" | "DEBUG" | "SYSTEM" | "ARCHITECTURE" | "USER";
  priority: "HIGH" | "MEDIUM" | "LOW";
  timestamp: string;
  source: string;
  subject: string;
  data: Record<string, unknown>;
  final?: boolean;
}

/** One delivered event. `offset` is exact below 2^53. */
export interface HeraldDelivery<E = HeraldEnvelope> {
  channel: string;
  offset: number;
  /** The channel's epoch the offset belongs to. */
  epoch: string;
  /** `true` for a replayed event (history, a `since` recovery, the reload after a resync). */
  replayed: boolean;
  event: E;
}

/** Who the hub authenticated (`authenticated.user`). */
export interface HeraldUser { readonly id: string; readonly org: string; readonly name?: string }

/** Options of the interest listeners (`onEvent`, `onCategory`, `onAnyEvent`). */
export interface HeraldInterestOptions {
  /** The hub refused a subscription the listener implies (`forbidden`, …). */
  onError?: (error: HeraldError) => void;
}

/** Options of `history`. */
export interface HeraldHistoryOptions {
  /** Subject prefix; `""` (default) for the whole channel. */
  subject?: string;
  /** Events after this offset (with `epoch`; default: the latest `limit` events). */
  sinceOffset?: number;
  /** The epoch of `sinceOffset` (default: the hub's current one). */
  epoch?: string;
  /** At most this many events (hub default 100, capped at 1000). */
  limit?: number;
}

/** A page of history (docs/protocol.md §8). Every event is marked `replayed`. */
export interface HeraldHistoryPage {
  epoch: string;
  offset: number;
  recovered: boolean;
  events: HeraldDelivery[];
}

/** Options of `new HeraldClient(…)`. Give `token` or `getToken`. */
export interface HeraldClientOptions {
  /** The hub's WebSocket URL: `ws://host:port` (`/ws` is appended to a URL without a
   *  path) or `ws://host:port/path`. */
  url: string;
  /** A fixed token. It cannot be refreshed: when the hub refuses it, the client closes
   *  (`state.status === "closed"`, `state.error` says why) instead of retrying. */
  token?: string;
  /** Called when the client (re)starts, after the hub refuses the token (4401) and before
   *  the token expires; an accepted token is reused across reconnects. */
  getToken?: () => Promise<string> | string;
  /** Full-jitter reconnect backoff. Defaults: 1000 ms base, 30000 ms cap. */
  backoff?: { baseMs?: number; capMs?: number };
  /** Heartbeat interval assumed until the hub announces its own (default 25000 ms) and the
   *  silence allowed after it (default 10000 ms). */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  /** After a resync, reload this many of the channel's latest events (delivered with
   *  `replayed: true`); `false` turns the reload off. Default 100. */
  resyncHistory?: number | false;
}

/** Options of `subscribe`. */
export interface HeraldSubscribeOptions {
  /** Subject prefix; `""` (default) for the whole channel. */
  subject?: string;
  /** Replay the last `history` events first. */
  history?: number;
  /** Events may have been missed (recovery failed, or the callback fell behind): reset what
   *  was built from earlier events; the latest events follow, replayed (`resyncHistory`). */
  onResync?: () => void;
  /** A `final` event ended the subject; the subscription is gone. */
  onEnd?: () => void;
  /** The hub refused the subscription; it is gone. */
  onError?: (error: HeraldError) => void;
}

/** `{channel, subject}` of a subscription whose recovery failed. */
export interface HeraldResync { channel: string; subject: string }

/** Removes a listener or subscription. Idempotent. */
export type Unsubscribe = () => void;
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "HeraldClientOptions")]
    pub type ClientOptions;
    #[wasm_bindgen(typescript_type = "HeraldSubscribeOptions | undefined")]
    pub type SubscribeOptions;
    #[wasm_bindgen(typescript_type = "HeraldInterestOptions")]
    pub type InterestOptions;
    #[wasm_bindgen(typescript_type = "HeraldHistoryOptions")]
    pub type HistoryOptions;
    #[wasm_bindgen(typescript_type = "Promise<HeraldHistoryPage>")]
    pub type HistoryPromise;
    #[wasm_bindgen(typescript_type = "ConnectionStateSnapshot")]
    pub type StateSnapshot;
    #[wasm_bindgen(typescript_type = "HeraldUser | null")]
    pub type UserSnapshot;
    #[wasm_bindgen(typescript_type = "readonly HeraldError[]")]
    pub type Refusals;
    #[wasm_bindgen(typescript_type = "Unsubscribe")]
    pub type Unsubscribe;
    #[wasm_bindgen(typescript_type = "(delivery: HeraldDelivery) => void")]
    pub type DeliveryCallback;
    #[wasm_bindgen(typescript_type = "(state: ConnectionStateSnapshot) => void")]
    pub type StateCallback;
    #[wasm_bindgen(typescript_type = "(resync: HeraldResync) => void")]
    pub type ResyncCallback;
    #[wasm_bindgen(typescript_type = "(error: HeraldError) => void")]
    pub type ErrorCallback;
}
