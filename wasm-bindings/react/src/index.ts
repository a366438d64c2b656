// @herald/client: the wasm client and the React hooks, one package.
export { HeraldClient, initHerald, initSync } from './wasm.js';
export type {
  ConnectionStateSnapshot,
  ConnectionStatus,
  HeraldClientOptions,
  HeraldDelivery,
  HeraldEnvelope,
  HeraldError,
  HeraldErrorCode,
  HeraldHistoryOptions,
  HeraldHistoryPage,
  HeraldInterestOptions,
  HeraldResync,
  HeraldSubscribeOptions,
  HeraldUser,
  Unsubscribe,
} from './wasm.js';
export { HeraldProvider, useHeraldClient, type HeraldProviderProps } from './provider.js';
export { HeraldStore } from './store.js';
export type { HeraldStoreOptions } from './store.js';
export {
  useChannel,
  useResync,
  useWebSocketCategory,
  useWebSocketConnection,
  useWebSocketEvent,
  useWebSocketEvents,
} from './hooks.js';
export type { ChannelOptions, ChannelSnapshot, ConnectionSnapshot, EventHandler, LatestEvent, LimitOptions } from './hooks.js';
export type { EventsSnapshot } from './buffer.js';
export * from './events.generated.js';
// The runtime object and the type; wins over the type-only export of events.generated.ts.
export { EventCategory } from './categories.js';
