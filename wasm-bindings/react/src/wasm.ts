// The wasm-bindgen output (`--target web`), initialised once. `init()` fetches
// `herald_wasm_bg.wasm` next to the JS (bundlers rewrite the URL); in Node call
// `initSync({ module: bytes })` first, which makes `init()` a no-op.
import init from '../wasm/herald_wasm.js';

export { HeraldClient, initSync } from '../wasm/herald_wasm.js';
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
} from '../wasm/herald_wasm.js';

let ready: Promise<unknown> | null = null;

/** Loads the wasm module once; later calls return the same promise. */
export function initHerald(): Promise<unknown> {
  ready ??= init();
  return ready;
}
