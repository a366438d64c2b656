import { EventCategory, useWebSocketCategory, type HeraldError } from '@herald/client';
import { useReducer, useRef, useState } from 'react';

import { EMPTY_PIPELINES, pipelinesReducer, selectLatestExecution, type PipelinesState } from './pipelines';

/** The handler sees every event: the hooks' own buffer (`events`) is not needed. */
const NO_BUFFER = { limit: 1 };

/** An execution and its pipeline (its subject is `{pipelineId}/{executionId}`). */
export interface ExecutionRef {
  readonly pipelineId: string;
  readonly executionId: string;
}

/**
 * The latest state of every pipeline and execution the page has seen: each PIPELINE event
 * goes through `pipelinesReducer` (the handler form of `useWebSocketCategory`, so no
 * event is lost to the hook's rolling buffer). `error`: the PIPELINE subscription was refused.
 */
export function usePipelines(): { state: PipelinesState; error: HeraldError | null } {
  const [state, dispatch] = useReducer(pipelinesReducer, EMPTY_PIPELINES);
  const { error } = useWebSocketCategory(EventCategory.PIPELINE, (event) => dispatch(event), NO_BUFFER);
  return { state, error };
}

/**
 * The execution to follow (`selectLatestExecution`: the newest running one, else the last
 * finished). Folds in a ref and re-renders only when that execution changes, not per event.
 */
export function useLatestExecution(): ExecutionRef | null {
  const state = useRef(EMPTY_PIPELINES);
  const [latest, setLatest] = useState<ExecutionRef | null>(null);
  useWebSocketCategory(
    EventCategory.PIPELINE,
    (event) => {
      state.current = pipelinesReducer(state.current, event);
      const row = selectLatestExecution(state.current);
      if (row) setLatest((prev) => (prev?.executionId === row.id ? prev : { pipelineId: row.pipelineId, executionId: row.id }));
    },
    NO_BUFFER,
  );
  return latest;
}
