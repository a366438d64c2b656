// The reducer without React.
import { describe, expect, it } from 'vitest';

import type { CatalogueEvent } from '@herald/client';

import { initialState, LIMITS, reduce, selectAlerts, selectMonitored, selectPipelines } from '../src/state/dashboard';
import { ev } from './events';

const live = (...events: CatalogueEvent[]) =>
  ({ type: 'events', events, source: 'live', now: Date.now() }) as const;

describe('reduce', () => {
  it('updates executions in place and lists them under their pipeline', () => {
    let s = reduce(initialState(), live(ev.pipelineCreated('p-1', 'api main')));
    s = reduce(s, live(ev.execution('started', 'p-1', 'e-1', { status: 'running', progress: 0, currentStep: 'build' })));
    s = reduce(s, live(ev.execution('updated', 'p-1', 'e-1', { status: 'running', progress: 40, currentStep: 'test' })));
    const rows = selectPipelines(s);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.executions.map((e) => [e.id, e.progress, e.currentStep])).toEqual([['e-1', 40, 'test']]);
    expect(selectMonitored(s)?.id).toBe('e-1');
  });

  it('drops a repeated event id and ignores updates older than what it shows', () => {
    const done = ev.execution('completed', 'p-1', 'e-1', { status: 'completed', progress: 100, message: 'ok' }, 2000);
    const older = ev.execution('updated', 'p-1', 'e-1', { status: 'running', progress: 50 }, 1000);
    let s = reduce(initialState(), live(done, done));
    expect(s.stats.duplicatesDropped).toBe(1);
    s = reduce(s, { type: 'resync', channel: 'pipeline', events: [older, done], now: 3000 });
    expect(s.executions['e-1']).toMatchObject({ status: 'completed', progress: 100 });
    expect(s.stats).toMatchObject({ resyncs: 1, total: 2 });
  });

  it('merges a history reload without duplicating log lines and keeps them in time order', () => {
    const l1 = ev.log('p-1', 'e-1', 'one', 1000);
    const l2 = ev.log('p-1', 'e-1', 'two', 2000);
    const l3 = ev.log('p-1', 'e-1', 'three', 3000);
    let s = reduce(initialState(), live(l1, l3));
    s = reduce(s, { type: 'resync', channel: 'pipeline', events: [l1, l2, l3], now: 4000 });
    expect(s.logs['e-1']!.map((l) => l.line)).toEqual(['one', 'two', 'three']);
  });

  it('caps the log of an execution', () => {
    const lines = Array.from({ length: LIMITS.logLines + 50 }, (_, i) => ev.log('p-1', 'e-1', `line ${i}`, 1000 + i));
    const s = reduce(initialState(), live(...lines));
    expect(s.logs['e-1']).toHaveLength(LIMITS.logLines);
    expect(s.logs['e-1']!.at(-1)!.line).toBe(`line ${LIMITS.logLines + 49}`);
  });

  it('orders findings newest first, counts severities and highlights HIGH', () => {
    const now = Date.now();
    let s = reduce(initialState(), live(ev.vuln('v-1', 'low', 'old', 'LOW', now - 2000), ev.vuln('v-2', 'critical', 'new', 'HIGH', now - 1000)));
    s = reduce(s, live(ev.vuln('v-1', 'low', 'old', 'LOW', now, 'updated', 'fixed')));
    const { rows, counts, high } = selectAlerts(s);
    expect(rows.map((r) => r.id)).toEqual(['v-2', 'v-1']);
    expect(rows[1]!.status).toBe('fixed');
    expect(counts).toMatchObject({ critical: 1, low: 1 });
    expect(high).toBe(1);
    expect(s.toasts.map((t) => t.title)).toEqual(['CRITICAL: new']);
  });

  it('raises toasts only for recent live HIGH events, at most LIMITS.toasts', () => {
    const old = ev.systemAlert('a-0', 'old', 'HIGH');
    (old as { timestamp: string }).timestamp = new Date(Date.now() - 120_000).toISOString();
    let s = reduce(initialState(), live(old));
    expect(s.toasts).toHaveLength(0);
    s = reduce(s, { type: 'events', source: 'history', now: Date.now(), events: [ev.systemAlert('a-h', 'replayed')] });
    expect(s.toasts).toHaveLength(0);
    s = reduce(s, live(...Array.from({ length: 6 }, (_, i) => ev.systemAlert(`a-${i + 1}`, `alert ${i + 1}`))));
    expect(s.toasts.map((t) => t.title)).toEqual(['alert 6', 'alert 5', 'alert 4', 'alert 3']);
    s = reduce(s, { type: 'dismiss-toast', id: s.toasts[0]!.id });
    expect(s.toasts).toHaveLength(3);
  });

  it('builds the debug feed newest first', () => {
    const s = reduce(
      initialState(),
      live(ev.debugError('s-1', 'boom'), ev.classification('s-1', 'flaky_test', 0.91), ev.patchGenerated('s-1', 'pt-1'), ev.patchApplied('s-1', 'pt-1', false), ev.patchRollback('s-1', 'pt-1')),
    );
    expect(s.feed.map((f) => f.kind).sort()).toEqual(['classification', 'error', 'patch_applied', 'patch_generated', 'patch_rollback']);
    expect(s.feed.find((f) => f.kind === 'classification')!.title).toBe('Classified as flaky_test (91%)');
  });

  it('never mutates the previous state', () => {
    const s0 = reduce(initialState(), live(ev.pipelineCreated('p-1')));
    const frozen = JSON.stringify({ ...s0, seen: [...s0.seen] });
    reduce(s0, live(ev.execution('started', 'p-1', 'e-9', { status: 'running' }), ev.log('p-1', 'e-9', 'x')));
    expect(JSON.stringify({ ...s0, seen: [...s0.seen] })).toBe(frozen);
  });
});
