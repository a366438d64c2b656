// Each widget against the mock hub, through the real @herald/client (wasm) and provider.
import { HeraldProvider } from '@herald/client';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DashboardProvider } from '../src/state/react';
import { DashboardStore, type HistoryLoader } from '../src/state/store';
import { ConnectionIndicator } from '../src/widgets/ConnectionIndicator';
import { DebugFeed } from '../src/widgets/DebugFeed';
import { ExecutionMonitor } from '../src/widgets/ExecutionMonitor';
import { LogView } from '../src/widgets/LogView';
import { PipelineStatus } from '../src/widgets/PipelineStatus';
import { SecurityAlerts } from '../src/widgets/SecurityAlerts';
import { SystemStatus } from '../src/widgets/SystemStatus';
import { Toasts } from '../src/widgets/Toasts';
import { ev } from './events';
import { startMockHub, type MockHub } from './mock-hub';

let hub: MockHub;
let store: DashboardStore;
let history: Record<string, unknown[]>;

beforeEach(async () => {
  hub = await startMockHub();
  history = {};
  const loader: HistoryLoader = async (channel) => (history[channel] ?? []) as never;
  store = new DashboardStore(loader, Date.now, 5);
});

afterEach(async () => {
  cleanup();
  await hub.close();
});

function mount(children: ReactNode) {
  return render(
    <HeraldProvider url={hub.url} token="test-token" backoff={{ baseMs: 20, capMs: 50 }}>
      <DashboardProvider store={store}>{children}</DashboardProvider>
    </HeraldProvider>,
  );
}

const ready = () => hub.waitSubscribed(['pipeline', 'security', 'debug', 'system']);

describe('ConnectionIndicator', () => {
  it('shows live, then reconnecting after a drop, then live again', async () => {
    mount(<ConnectionIndicator />);
    const el = screen.getByTestId('connection-status');
    await waitFor(() => expect(el.dataset.state).toBe('connected'));
    expect(screen.getByTestId('connection-label').textContent).toBe('Live');
    expect(el.querySelector('.pulse')).not.toBeNull();
    hub.drop();
    await waitFor(() => expect(el.dataset.state).not.toBe('connected'));
    await waitFor(() => expect(el.dataset.state).toBe('connected'));
    expect(hub.connections).toBeGreaterThanOrEqual(2);
  });
});

describe('PipelineStatus', () => {
  it('lists pipelines with executions updated in place', async () => {
    mount(<PipelineStatus />);
    await ready();
    hub.push('pipeline', ev.pipelineCreated('p-1', 'api main'));
    hub.push('pipeline', ev.execution('started', 'p-1', 'e-1', { status: 'running', progress: 10, currentStep: 'build' }));
    await waitFor(() => expect(screen.getAllByTestId('execution-row')).toHaveLength(1));
    hub.push('pipeline', ev.execution('completed', 'p-1', 'e-1', { status: 'failed', progress: 60, message: 'step test failed' }));
    await waitFor(() => expect(screen.getByTestId('execution-row').dataset.status).toBe('failed'));
    expect(screen.getAllByTestId('execution-row')).toHaveLength(1);
    expect(screen.getByTestId('pipeline-row').textContent).toContain('api main');
  });
});

describe('ExecutionMonitor', () => {
  it('shows status, progress, step, the log tail and the result', async () => {
    mount(<ExecutionMonitor />);
    await ready();
    hub.push('pipeline', ev.execution('started', 'p-1', 'e-7', { status: 'running', progress: 0, currentStep: 'checkout', steps: [{ name: 'checkout', status: 'running' }, { name: 'build', status: 'pending' }] }));
    for (let i = 0; i < 3; i++) hub.push('pipeline', ev.log('p-1', 'e-7', `log line ${i}`));
    hub.push('pipeline', ev.execution('updated', 'p-1', 'e-7', { status: 'running', progress: 55, currentStep: 'build' }));
    await waitFor(() => expect(screen.getByTestId('monitor-progress').dataset.progress).toBe('55'));
    expect(screen.getByTestId('monitor-step').textContent).toBe('Step: build');
    await waitFor(() => expect(screen.getAllByTestId('log-line').map((l) => l.textContent)).toEqual(expect.arrayContaining([expect.stringContaining('log line 2')])));
    expect(screen.queryByTestId('monitor-result')).toBeNull();
    hub.push('pipeline', ev.execution('completed', 'p-1', 'e-7', { status: 'completed', progress: 100, message: 'all steps passed' }));
    await waitFor(() => expect(screen.getByTestId('monitor-result').textContent).toContain('all steps passed'));
    expect(screen.getByTestId('monitor-status').textContent).toBe('completed');
  });

  it('pins an execution chosen in the pipeline widget', async () => {
    mount(
      <>
        <PipelineStatus />
        <ExecutionMonitor />
      </>,
    );
    await ready();
    hub.push('pipeline', ev.execution('started', 'p-1', 'e-1', { status: 'running' }));
    hub.push('pipeline', ev.execution('started', 'p-1', 'e-2', { status: 'running' }));
    await waitFor(() => expect(screen.getAllByTestId('execution-row')).toHaveLength(2));
    const row = screen.getAllByTestId('execution-row').find((r) => r.dataset.key === 'e-2')!;
    fireEvent.click(row);
    await waitFor(() => expect(screen.getByTestId('execution-monitor').dataset.execution).toBe('e-2'));
    expect(screen.getByTestId('monitor-follow-latest')).toBeTruthy();
  });
});

describe('LogView', () => {
  it('keeps thousands of lines out of the DOM', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => ({ id: `l-${i}`, ts: i, level: 'info', stream: 'stdout', line: `line ${i}` }));
    render(<LogView lines={lines} height={200} />);
    const rendered = screen.getAllByTestId('log-line');
    expect(screen.getByTestId('log-view').dataset.lines).toBe('5000');
    expect(rendered.length).toBeLessThan(60);
    // Follows the tail: the last line is rendered.
    expect(rendered.at(-1)!.textContent).toContain('line 4999');
  });
});

describe('SecurityAlerts', () => {
  it('shows findings newest first with counts and HIGH highlighted', async () => {
    mount(<SecurityAlerts />);
    await ready();
    hub.push('security', ev.vuln('v-1', 'medium', 'ReDoS in semver', 'MEDIUM', Date.now() - 1000));
    hub.push('security', ev.vuln('v-2', 'critical', 'RCE in parser', 'HIGH'));
    await waitFor(() => expect(screen.getAllByTestId('alert-row')).toHaveLength(2));
    const rows = screen.getAllByTestId('alert-row');
    expect(rows.map((r) => r.dataset.key)).toEqual(['v-2', 'v-1']);
    expect(rows[0]!.className).toContain('highlight');
    expect(rows[1]!.className).not.toContain('highlight');
    expect(screen.getByTestId('alert-count-critical').dataset.count).toBe('1');
    expect(screen.getByTestId('alert-count-medium').dataset.count).toBe('1');
    expect(screen.getByTestId('alerts-high').textContent).toBe('1 high priority');
  });
});

describe('DebugFeed', () => {
  it('shows errors, classifications and patches', async () => {
    mount(<DebugFeed />);
    await ready();
    hub.push('debug', ev.debugError('s-1', 'unresolved import'));
    hub.push('debug', ev.classification('s-1', 'api_change', 0.8));
    hub.push('debug', ev.patchGenerated('s-1', 'pt-1'));
    hub.push('debug', ev.patchApplied('s-1', 'pt-1', false));
    hub.push('debug', ev.patchRollback('s-1', 'pt-1'));
    await waitFor(() => expect(screen.getAllByTestId('debug-item')).toHaveLength(5));
    const kinds = screen.getAllByTestId('debug-item').map((i) => i.dataset.kind);
    expect(new Set(kinds)).toEqual(new Set(['error', 'classification', 'patch_generated', 'patch_applied', 'patch_rollback']));
  });
});

describe('SystemStatus', () => {
  it('shows system status and metrics cards', async () => {
    mount(<SystemStatus />);
    await ready();
    hub.push('system', ev.systemStatus('degraded', 'runner pool busy'));
    hub.push('system', ev.systemMetrics({ cpuPercent: 42, runningExecutions: 3 }));
    await waitFor(() => expect(screen.getByTestId('system-status').dataset.status).toBe('degraded'));
    const card = (m: string) => screen.getAllByTestId('metric-card').find((c) => c.dataset.metric === m)!;
    await waitFor(() => expect(card('cpu').dataset.value).toBe('42%'));
    expect(card('running').dataset.value).toBe('3');
    expect(card('events-total').dataset.value).toBe('2');
  });
});

describe('Toasts', () => {
  it('toasts HIGH priority events only, and dismisses them', async () => {
    mount(<Toasts />);
    await ready();
    hub.push('system', ev.systemAlert('a-1', 'disk full', 'HIGH'));
    hub.push('system', ev.systemAlert('a-2', 'minor', 'LOW'));
    await waitFor(() => expect(screen.getAllByTestId('toast')).toHaveLength(1));
    const toast = screen.getByTestId('toast');
    expect(toast.textContent).toContain('disk full');
    fireEvent.click(within(toast).getByLabelText('dismiss'));
    await waitFor(() => expect(screen.queryAllByTestId('toast')).toHaveLength(0));
  });
});

describe('recovery', () => {
  it('reloads from history on Resync, without duplicates', async () => {
    mount(<PipelineStatus />);
    await ready();
    const started = ev.execution('started', 'p-1', 'e-1', { status: 'running', progress: 20 });
    hub.push('pipeline', started);
    await waitFor(() => expect(screen.getAllByTestId('execution-row')).toHaveLength(1));
    // The hub restarts and loses its history; e-2 started during the outage. The history
    // endpoint (after the restart) returns e-1's earlier event again and e-2.
    const missed = ev.execution('started', 'p-1', 'e-2', { status: 'running', progress: 5 });
    history.pipeline = [started, missed];
    const subscribesBefore = hub.subscribes.length;
    act(() => hub.restart());
    await waitFor(() => expect(store.getState().stats.resyncs).toBeGreaterThanOrEqual(1));
    expect(hub.subscribes.slice(subscribesBefore).some((f) => f.channel === 'pipeline' && f.since)).toBe(true);
    await waitFor(() => expect(screen.getAllByTestId('execution-row').map((r) => r.dataset.key).sort()).toEqual(['e-1', 'e-2']));
    // Live events continue after the resync.
    await ready();
    hub.push('pipeline', ev.execution('updated', 'p-1', 'e-2', { status: 'running', progress: 70 }));
    await waitFor(() => expect(store.getState().executions['e-2']!.progress).toBe(70));
    expect(screen.getAllByTestId('execution-row')).toHaveLength(2);
  });

  it('recovers without a Resync when nothing was missed', async () => {
    mount(<PipelineStatus />);
    await ready();
    hub.push('pipeline', ev.execution('started', 'p-1', 'e-1', { status: 'running' }));
    await waitFor(() => expect(screen.getAllByTestId('execution-row')).toHaveLength(1));
    act(() => hub.drop());
    await waitFor(() => expect(hub.connections).toBeGreaterThanOrEqual(2));
    await ready();
    hub.push('pipeline', ev.execution('started', 'p-1', 'e-2', { status: 'running' }));
    await waitFor(() => expect(screen.getAllByTestId('execution-row')).toHaveLength(2));
    expect(store.getState().stats.resyncs).toBe(0);
  });
});
