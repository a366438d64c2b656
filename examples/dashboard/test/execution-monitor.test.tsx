// <ExecutionMonitor> against the mock hub: its subscription, the step timeline, fractional
// progress, the log, onExecutionComplete.
import type { Execution } from '@herald/client';
import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { ExecutionMonitor } from '../src/widgets/ExecutionMonitor';
import { ev, steps } from './events';
import { mockHub, mount } from './harness';

const NAMES = ['checkout', 'build', 'test'];
const T = Date.now() - 60_000;
const timeline = () =>
  screen.getAllByTestId('step').map((s) => ({
    name: s.dataset.name,
    status: s.dataset.status,
    started: s.dataset.started,
    duration: s.dataset.duration,
  }));

describe('ExecutionMonitor', () => {
  it('subscribes the execution subject and shows the step timeline, progress, log and result', async () => {
    const hub = mockHub();
    const onComplete = vi.fn<(execution: Execution) => void>();
    mount(hub, <ExecutionMonitor executionId="e-7" pipelineId="p-1" onExecutionComplete={onComplete} />);
    await hub.waitForSubscription('pipeline', 'p-1/e-7');
    expect(screen.getByTestId('execution-monitor').textContent).toContain('Waiting for events of e-7');

    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-7', { status: 'running', progress: 0, currentStep: 'checkout', steps: steps(NAMES, 0), startedAt: new Date(T).toISOString() }, T));
    hub.publish('pipeline', ev.log('p-1', 'e-7', 'cloning', T + 500, 'checkout'));
    hub.publish('pipeline', ev.execution('updated', 'p-1', 'e-7', { status: 'running', progress: 55, currentStep: 'build', steps: steps(NAMES, 1) }, T + 2000));
    // Another execution of the same pipeline is not this monitor's business.
    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-8', { status: 'running', progress: 90 }, T + 2100));

    await waitFor(() => expect(screen.getByTestId('monitor-progress').dataset.progress).toBe('0.55'));
    expect(screen.getByTestId('monitor-progress').textContent).toBe('55%');
    expect(screen.getByTestId('monitor-step').textContent).toBe('Step: build');
    expect(timeline()).toEqual([
      { name: 'checkout', status: 'completed', started: String(T), duration: '2000' },
      { name: 'build', status: 'running', started: String(T + 2000), duration: '' },
      { name: 'test', status: 'pending', started: '', duration: '' },
    ]);
    // A running step's duration counts up from its start.
    expect(screen.getAllByTestId('step-duration')[1]!.textContent).toMatch(/…$/);
    await waitFor(() => expect(screen.getAllByTestId('log-line').map((l) => l.textContent)).toEqual([expect.stringContaining('cloning')]));
    expect(screen.queryByTestId('monitor-result')).toBeNull();
    expect(onComplete).not.toHaveBeenCalled();

    hub.publish(
      'pipeline',
      ev.execution('completed', 'p-1', 'e-7', { status: 'failed', progress: 70, message: 'step test failed', steps: [...steps(NAMES, 2).slice(0, 2), { name: 'test', status: 'failed' }] }, T + 5000, 'HIGH'),
    );
    await waitFor(() => expect(screen.getByTestId('monitor-result').textContent).toContain('step test failed'));
    expect(screen.getByTestId('monitor-status').textContent).toBe('failed');
    expect(screen.getByTestId('monitor-progress').dataset.progress).toBe('0.7');
    expect(timeline().map((s) => [s.name, s.status, s.duration])).toEqual([
      ['checkout', 'completed', '2000'],
      ['build', 'completed', '3000'],
      // Never seen running, and seen finished with the step before it: unknown.
      ['test', 'failed', ''],
    ]);
    await waitFor(() => expect(onComplete).toHaveBeenCalledTimes(1));
    expect(onComplete.mock.calls[0]![0]).toMatchObject({ id: 'e-7', status: 'failed' });
  });

  it('replays an execution that finished before it mounted, and reports it complete once', async () => {
    const hub = mockHub();
    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-1', { status: 'running', steps: steps(['build', 'test'], 0) }, T));
    hub.publish('pipeline', ev.log('p-1', 'e-1', 'compiling', T + 10));
    hub.publish('pipeline', ev.execution('completed', 'p-1', 'e-1', { status: 'completed', steps: steps(['build', 'test'], 2), message: 'all steps passed' }, T + 4000));
    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-2', { status: 'running' }, T + 4100));
    const onComplete = vi.fn();
    mount(hub, <ExecutionMonitor executionId="e-1" pipelineId="p-1" onExecutionComplete={onComplete} />);
    await waitFor(() => expect(screen.getByTestId('monitor-result').textContent).toContain('all steps passed'));
    expect(screen.getByTestId('monitor-progress').dataset.progress).toBe('1');
    expect(timeline().map((s) => [s.name, s.status])).toEqual([
      ['build', 'completed'],
      ['test', 'completed'],
    ]);
    expect(screen.getByTestId('log-count').textContent).toBe('1 log line');
    // StrictMode mounts twice; the callback still runs once.
    await waitFor(() => expect(onComplete).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 50));
    expect(onComplete).toHaveBeenCalledTimes(1);
  });

  it('without a pipelineId, subscribes the whole channel and keeps only its execution', async () => {
    const hub = mockHub();
    mount(hub, <ExecutionMonitor executionId="e-3" showLog={false} />);
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', ev.execution('started', 'p-9', 'e-4', { status: 'running', progress: 80 }));
    hub.publish('pipeline', ev.execution('started', 'p-9', 'e-3', { status: 'running', progress: 20 }));
    await waitFor(() => expect(screen.getByTestId('monitor-progress').dataset.progress).toBe('0.2'));
    expect(screen.queryByTestId('log-view')).toBeNull();
  });

  it('reports completion once, however many events follow it', async () => {
    const hub = mockHub();
    const onComplete = vi.fn();
    mount(hub, <ExecutionMonitor executionId="e-5" onExecutionComplete={onComplete} />);
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', ev.execution('completed', 'p-1', 'e-5', { status: 'cancelled' }));
    await waitFor(() => expect(onComplete).toHaveBeenCalledTimes(1));
    // Late log lines (and other executions' events) re-render the monitor.
    for (let i = 0; i < 3; i++) hub.publish('pipeline', ev.log('p-1', 'e-5', `late ${i}`));
    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-6', { status: 'running' }));
    await waitFor(() => expect(screen.getByTestId('log-count').textContent).toBe('3 log lines'));
    expect(onComplete).toHaveBeenCalledTimes(1);
  });

  it('shows a refused subscription instead of waiting forever', async () => {
    const hub = mockHub();
    hub.refuse('pipeline', 'forbidden', 'p-1/e-7');
    mount(hub, <ExecutionMonitor executionId="e-7" pipelineId="p-1" />);
    await waitFor(() => expect(screen.getByTestId('hook-error').dataset.code).toBe('forbidden'));
    expect(screen.getByTestId('hook-error').textContent).toContain('pipeline/p-1/e-7');
  });
});
