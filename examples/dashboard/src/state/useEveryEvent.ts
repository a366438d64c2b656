import { EventCategory, useWebSocketCategory, type CatalogueEvent, type EventHandler, type HeraldError } from '@herald/client';

/** No buffer is needed: the handler sees every event. */
const NO_BUFFER = { limit: 1 };

/**
 * Calls `handler(event, delivery)` once per event of every category (what
 * `useWebSocketEvents` subscribes), with the delivery's `replayed` flag. Returns the first
 * refusal, if any. (`useWebSocketEvents` keeps a buffer but takes no handler.)
 */
export function useEveryEvent(handler: EventHandler<CatalogueEvent>): HeraldError | null {
  const errors = [
    useWebSocketCategory(EventCategory.PIPELINE, handler, NO_BUFFER).error,
    useWebSocketCategory(EventCategory.SECURITY, handler, NO_BUFFER).error,
    useWebSocketCategory(EventCategory.DEBUG, handler, NO_BUFFER).error,
    useWebSocketCategory(EventCategory.SYSTEM, handler, NO_BUFFER).error,
    useWebSocketCategory(EventCategory.ARCHITECTURE, handler, NO_BUFFER).error,
    useWebSocketCategory(EventCategory.USER, handler, NO_BUFFER).error,
  ];
  return errors.find((e) => e !== null) ?? null;
}
