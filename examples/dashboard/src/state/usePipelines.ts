import { EventCategory, useWebSocketCategory, type HeraldError } from '@herald/client';
import { useReducer } from 'react';

import { EMPTY_PIPELINES, pipelinesReducer, type PipelinesState } from './pipelines';

/**
 * The latest state of every pipeline and execution the page has seen: each PIPELINE event
 * goes through `pipelinesReducer` (the handler form of `useWebSocketCategory`, so no
 * event is lost to the hook's rolling buffer). `error`: the PIPELINE subscription was refused.
 */
export function usePipelines(): { state: PipelinesState; error: HeraldError | null } {
  const [state, dispatch] = useReducer(pipelinesReducer, EMPTY_PIPELINES);
  // The handler sees every event; the hook's own buffer (`events`) is not needed here.
  const { error } = useWebSocketCategory(EventCategory.PIPELINE, dispatch, { limit: 1 });
  return { state, error };
}
