// The debugging activity feed: one item per DEBUG event that `useWebSocketCategory` keeps.
// Pure, no React; repeated event ids count once.
import type { EventOfCategory, Priority } from '@herald/client';

import { time } from './pipelines';

type DebugEvent = EventOfCategory<'DEBUG'>;

export type FeedKind = 'session' | 'error' | 'classification' | 'patch_generated' | 'patch_applied' | 'patch_rollback' | 'tool';

export interface FeedItem {
  /** The envelope id. */
  readonly id: string;
  readonly kind: FeedKind;
  readonly subject: string;
  readonly title: string;
  readonly detail?: string;
  readonly priority: Priority;
  /** true: good news, false: bad news, undefined: neither. */
  readonly ok?: boolean;
  readonly ts: number;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

function item(e: DebugEvent): Omit<FeedItem, 'id' | 'priority' | 'ts' | 'subject'> {
  switch (e.event_type) {
    case 'debug_session_created':
    case 'debug_session_updated': {
      const s = e.data.session;
      return {
        kind: 'session',
        title: e.event_type === 'debug_session_created' ? `Session opened: ${s.title ?? e.data.sessionId}` : `Session ${s.status}`,
        detail: s.executionId ? `execution ${s.executionId}` : undefined,
        ok: s.status === 'resolved' ? true : s.status === 'failed' ? false : undefined,
      };
    }
    case 'debug_error_detected': {
      const err = e.data.error;
      return {
        kind: 'error',
        title: `${err.errorType ?? 'Error'}: ${err.message}`,
        detail: err.file ? `${err.file}${err.line ? `:${err.line}` : ''}` : err.step,
        ok: false,
      };
    }
    case 'debug_ml_classification': {
      const [top, ...rest] = [...e.data.classifications].sort((a, b) => b.confidence - a.confidence);
      return {
        kind: 'classification',
        title: top ? `Classified as ${top.label} (${pct(top.confidence)})` : 'Classified',
        detail: rest.slice(0, 2).map((c) => `${c.label} ${pct(c.confidence)}`).join(', ') || undefined,
      };
    }
    case 'debug_patch_generated':
      return { kind: 'patch_generated', title: `Patch generated: ${e.data.patch.description}`, detail: e.data.patch.files?.join(', ') };
    case 'debug_patch_applied':
      return {
        kind: 'patch_applied',
        title: `Patch ${e.data.patchId} ${e.data.result.success ? 'applied' : 'failed to apply'}`,
        detail: e.data.result.message,
        ok: e.data.result.success,
      };
    case 'debug_patch_rollback':
      return { kind: 'patch_rollback', title: `Patch ${e.data.patchId} rolled back`, detail: e.data.result.message, ok: false };
    case 'tool_started':
    case 'tool_progress':
    case 'tool_completed':
      return { kind: 'tool', title: `${e.data.tool}: ${e.event_type.slice(5)}`, detail: e.data.message };
  }
}

/** The feed, newest first. */
export function selectFeed(events: readonly DebugEvent[]): FeedItem[] {
  const seen = new Set<string>();
  const feed: FeedItem[] = [];
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    feed.push({ id: e.id, subject: e.subject, priority: e.priority, ts: time(e.timestamp), ...item(e) });
  }
  return feed.sort((a, b) => b.ts - a.ts);
}
