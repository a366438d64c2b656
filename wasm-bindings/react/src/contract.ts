// TEMPORARY shim: the HeraldClient API of /work/helpers/js-api.md, typed here until the
// reworked wasm binding lands and its generated declarations (wasm/herald_wasm.d.ts) carry
// these types. Removed after merging main.
import { HeraldClient as WasmClient } from '../wasm/herald_wasm.js';

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';
export type HeraldErrorCode =
  | 'invalid_argument' | 'auth' | 'token' | 'refused' | 'closed' | 'transport' | 'client_closed'
  | 'message_too_big' | 'http' | 'unknown';
export interface HeraldError extends Error {
  readonly code: HeraldErrorCode;
  readonly retryable: boolean;
  readonly detail?: string;
  readonly closeCode?: number;
  readonly channel?: string;
  readonly subject?: string;
  readonly url?: string;
}
export interface ConnectionStateSnapshot {
  readonly status: ConnectionStatus;
  readonly attempt?: number;
  readonly nextInMs?: number;
  readonly code?: number | null;
  readonly reason?: string;
  readonly error?: HeraldError;
}
export interface HeraldEnvelope {
  id: string;
  event_type: string;
  category: 'PIPELINE' | 'SECURITY' | 'DEBUG' | 'SYSTEM' | 'ARCHITECTURE' | 'USER';
  priority: 'HIGH' | 'MEDIUM' | 'LOW';
  timestamp: string;
  source: string;
  subject: string;
  data: Record<string, unknown>;
  final?: boolean;
}
export interface HeraldDelivery<E = HeraldEnvelope> {
  channel: string;
  offset: number;
  epoch: string;
  replayed: boolean;
  event: E;
}
export interface HeraldClientOptions {
  url: string;
  token?: string;
  getToken?: () => Promise<string> | string;
  backoff?: { baseMs?: number; capMs?: number };
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  resyncHistory?: number | false;
}
export interface HeraldSubscribeOptions {
  subject?: string;
  history?: number;
  onResync?: () => void;
  onEnd?: () => void;
  onError?: (error: HeraldError) => void;
}
export interface HeraldInterestOptions {
  onError?: (error: HeraldError) => void;
}
export interface HeraldResync {
  channel: string;
  subject: string;
}
export type Unsubscribe = () => void;
export interface HeraldUser {
  id: string;
  org: string;
  name?: string;
}
export interface HeraldHistory {
  epoch: string;
  offset: number;
  recovered: boolean;
  events: HeraldDelivery[];
}

export declare class HeraldClientContract {
  constructor(options: HeraldClientOptions);
  connect(): void;
  close(): void;
  free(): void;
  readonly state: ConnectionStateSnapshot;
  readonly user: HeraldUser | null;
  readonly refusals: readonly HeraldError[];
  onState(callback: (state: ConnectionStateSnapshot) => void): Unsubscribe;
  subscribe(channel: string, options: HeraldSubscribeOptions | undefined, callback: (delivery: HeraldDelivery) => void): Unsubscribe;
  onEvent(eventType: string, callback: (delivery: HeraldDelivery) => void, options?: HeraldInterestOptions): Unsubscribe;
  onCategory(category: string, callback: (delivery: HeraldDelivery) => void, options?: HeraldInterestOptions): Unsubscribe;
  onAnyEvent(callback: (delivery: HeraldDelivery) => void, options?: HeraldInterestOptions): Unsubscribe;
  onResync(callback: (resync: HeraldResync) => void): Unsubscribe;
  onError(callback: (error: HeraldError) => void): Unsubscribe;
  history(
    channel: string,
    options?: { subject?: string; sinceOffset?: number; epoch?: string; limit?: number },
  ): Promise<HeraldHistory>;
}

export const HeraldClient = WasmClient as unknown as typeof HeraldClientContract;
export type HeraldClient = HeraldClientContract;
