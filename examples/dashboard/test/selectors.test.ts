// The app-level reduction without React: the pipelines fold, the execution timeline, the
// security and debug selectors.
import type { CatalogueEvent, EventOfCategory } from '@herald/client';
import { describe, expect, it } from 'vitest';

import { selectFeed } from '../src/state/debug';
import { selectExecution } from '../src/state/execution';
import { EMPTY_PIPELINES, MAX_EXECUTIONS, pipelinesReducer, selectLatestExecution, selectPipelineRows } from '../src/state/pipelines';
import { selectSecurity } from '../src/state/security';
import { ev, steps } from './events';

type PipelineEvent = EventOfCategory<'PIPELINE'>;
const fold = (...events: CatalogueEvent[]) => events.reduce((s, e) => pipelinesReducer(s, e as PipelineEvent), EMPTY_PIPELINES);
const T = Date.parse('2026-03-01T10:00:00Z');

describe('pipelinesReducer', () => {
  it('keeps the latest state per execution, listed under its pipeline, progress as a fraction', () => {
    const s = fold(
      ev.pipelineCreated('p-1', 'api main', T),
      ev.execution('started', 'p-1', 'e-1', { status: 'running', progress: 0, currentStep: 'build' }, T + 1),
      ev.execution('updated', 'p-1', 'e-1', { status: 'running', progress: 40, currentStep: 'test' }, T + 2),
    );
    const rows = selectPipelineRows(s);
    expect(rows.map((r) => r.pipeline.name)).toEqual(['api main']);
    expect(rows[0]!.executions.map((e) => [e.id, e.progress, e.currentStep])).toEqual([['e-1', 0.4, 'test']]);
  });

  it('is idempotent and ignores updates older than the row (a resync reload)', () => {
    const done = ev.execution('completed', 'p-1', 'e-1', { status: 'completed', progress: 100 }, T + 2000);
    const older = ev.execution('updated', 'p-1', 'e-1', { status: 'running', progress: 50 }, T + 1000);
    const once = fold(done);
    expect(fold(done, older, done).executions.get('e-1')).toEqual(once.executions.get('e-1'));
    expect(pipelinesReducer(once, older as PipelineEvent)).toBe(once);
    expect(once.executions.get('e-1')!.progress).toBe(1);
  });

  it('shows an execution of an unknown pipeline under the pipeline id, and ignores log lines', () => {
    const s = fold(ev.execution('started', 'p-9', 'e-1', { status: 'running' }, T));
    expect(selectPipelineRows(s).map((r) => r.pipeline.name)).toEqual(['p-9']);
    expect(pipelinesReducer(s, ev.log('p-9', 'e-1', 'x') as PipelineEvent)).toBe(s);
  });

  it('keeps at most MAX_EXECUTIONS, dropping the oldest finished first', () => {
    const events: CatalogueEvent[] = [ev.execution('started', 'p-1', 'e-run', { status: 'running', startedAt: new Date(T).toISOString() }, T)];
    for (let i = 0; i < MAX_EXECUTIONS + 5; i++) {
      events.push(ev.execution('completed', 'p-1', `e-${i}`, { status: 'completed', startedAt: new Date(T + 10 + i).toISOString() }, T + 10 + i));
    }
    const s = fold(...events);
    expect(s.executions.size).toBe(MAX_EXECUTIONS);
    expect(s.executions.has('e-run')).toBe(true);
    expect(s.executions.has('e-0')).toBe(false);
  });

  it('follows the newest running execution, else the most recently finished', () => {
    let s = fold(
      ev.execution('started', 'p-1', 'e-1', { status: 'running', startedAt: new Date(T).toISOString() }, T),
      ev.execution('started', 'p-2', 'e-2', { status: 'running', startedAt: new Date(T + 5).toISOString() }, T + 5),
    );
    expect(selectLatestExecution(s)?.id).toBe('e-2');
    s = pipelinesReducer(s, ev.execution('completed', 'p-2', 'e-2', { status: 'failed' }, T + 9) as PipelineEvent);
    expect(selectLatestExecution(s)?.id).toBe('e-1');
    s = pipelinesReducer(s, ev.execution('completed', 'p-1', 'e-1', { status: 'completed' }, T + 10) as PipelineEvent);
    expect(selectLatestExecution(s)?.id).toBe('e-1');
  });
});

describe('selectExecution', () => {
  const names = ['checkout', 'build', 'test'];

  it('builds the step timeline from the transitions it observed', () => {
    const events = [
      ev.execution('started', 'p-1', 'e-1', { status: 'running', progress: 0, steps: steps(names, 0), startedAt: new Date(T).toISOString() }, T),
      ev.log('p-1', 'e-1', 'cloning', T + 100, 'checkout'),
      ev.execution('updated', 'p-1', 'e-1', { status: 'running', progress: 40, steps: steps(names, 1) }, T + 2000),
      ev.execution('updated', 'p-1', 'e-1', { status: 'running', progress: 70, steps: steps(names, 2) }, T + 5000),
      ev.execution('started', 'p-1', 'e-other', { status: 'running', progress: 90 }, T + 5500),
    ];
    const v = selectExecution(events, 'e-1');
    expect(v.progress).toBe(0.7);
    expect(v.startedAt).toBe(T);
    expect(v.steps).toEqual([
      { name: 'checkout', status: 'completed', startedAt: T, completedAt: T + 2000, durationMs: 2000 },
      { name: 'build', status: 'completed', startedAt: T + 2000, completedAt: T + 5000, durationMs: 3000 },
      { name: 'test', status: 'running', startedAt: T + 5000, completedAt: null, durationMs: null },
    ]);
    expect(v.log.map((l) => l.line)).toEqual(['cloning']);
    expect(v.completion).toBeNull();
  });

  it('prefers the step times the publisher sent', () => {
    const s = [
      { name: 'build', status: 'completed', startedAt: new Date(T + 10).toISOString(), completedAt: new Date(T + 30).toISOString(), durationMs: 25 },
      { name: 'test', status: 'skipped' },
    ];
    const v = selectExecution([ev.execution('completed', 'p-1', 'e-1', { status: 'completed', steps: s }, T + 100)], 'e-1');
    expect(v.steps[0]).toEqual({ name: 'build', status: 'completed', startedAt: T + 10, completedAt: T + 30, durationMs: 25 });
    // Seen only finished: it starts when the step before it ended.
    expect(v.steps[1]).toMatchObject({ status: 'skipped', startedAt: T + 30, completedAt: T + 100, durationMs: 70 });
    expect(v.progress).toBe(1);
    expect(v.completion?.data.executionId).toBe('e-1');
  });

  it('leaves start and duration unknown for steps first seen finished together', () => {
    // The monitor mounted late (or a reload lost the start): build and test were never seen
    // running and finished in the same event as the step before them.
    const v = selectExecution([ev.execution('completed', 'p-1', 'e-1', { status: 'completed', steps: steps(['build', 'test'], 2) }, T)], 'e-1');
    expect(v.steps).toEqual([
      { name: 'build', status: 'completed', startedAt: null, completedAt: T, durationMs: null },
      { name: 'test', status: 'completed', startedAt: null, completedAt: T, durationMs: null },
    ]);
  });

  it('falls back to the share of finished steps without a progress field, and counts ids once', () => {
    const started = ev.execution('started', 'p-1', 'e-1', { status: 'running', steps: steps(['a', 'b', 'c', 'd'], 1) }, T);
    const line = ev.log('p-1', 'e-1', 'one', T + 1);
    const v = selectExecution([started, line, started, line], 'e-1');
    expect(v.progress).toBe(0.25);
    expect(v.log).toHaveLength(1);
  });

  it('is empty before the first event', () => {
    const v = selectExecution([], 'e-1');
    expect(v).toMatchObject({ execution: null, progress: 0, steps: [], startedAt: null, completedAt: null });
  });
});

describe('selectSecurity', () => {
  it('orders findings newest first, keeps the latest state, counts severities and HIGH', () => {
    const { findings, counts, high, activeScans } = selectSecurity([
      ev.vuln('v-1', 'low', 'old', 'LOW', T),
      ev.vuln('v-2', 'critical', 'new', 'HIGH', T + 1000),
      ev.vuln('v-1', 'low', 'old', 'LOW', T + 2000, 'updated', 'fixed'),
      ev.scan('s-1', 'running', 40, T),
      ev.scan('s-2', 'running', 10, T),
      ev.scan('s-2', 'completed', 100, T + 5),
    ] as EventOfCategory<'SECURITY'>[]);
    expect(findings.map((f) => [f.id, f.status])).toEqual([
      ['v-2', 'open'],
      ['v-1', 'fixed'],
    ]);
    expect(counts).toMatchObject({ critical: 1, low: 1, high: 0 });
    expect(high).toBe(1);
    expect(activeScans.map((s) => s.id)).toEqual(['s-1']);
  });
});

describe('selectFeed', () => {
  it('maps each debug event to one item, newest first, without repeats', () => {
    const error = ev.debugError('s-1', 'boom', T);
    const feed = selectFeed([
      error,
      ev.classification('s-1', 'flaky_test', 0.91, T + 1),
      ev.patchGenerated('s-1', 'pt-1', T + 2),
      ev.patchApplied('s-1', 'pt-1', false, T + 3),
      ev.patchRollback('s-1', 'pt-1', T + 4),
      error,
    ] as EventOfCategory<'DEBUG'>[]);
    expect(feed.map((f) => f.kind)).toEqual(['patch_rollback', 'patch_applied', 'patch_generated', 'classification', 'error']);
    expect(feed[3]!.title).toBe('Classified as flaky_test (91%)');
    expect(feed[1]!.ok).toBe(false);
  });
});
