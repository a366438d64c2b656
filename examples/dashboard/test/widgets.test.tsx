// Each widget against the mock hub, through the real @herald/client (wasm client + hooks).
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { Dashboard } from '../src/App';
import { ConnectionIndicator } from '../src/widgets/ConnectionIndicator';
import { DebugFeed } from '../src/widgets/DebugFeed';
import { DeliveryStats } from '../src/widgets/DeliveryStats';
import { LogView } from '../src/widgets/LogView';
import { PipelineStatus } from '../src/widgets/PipelineStatus';
import { SecurityAlerts } from '../src/widgets/SecurityAlerts';
import { SystemStatus } from '../src/widgets/SystemStatus';
import { Toasts } from '../src/widgets/Toasts';
import { ev, steps } from './events';
import { metric, mockHub, mount } from './harness';

const rows = (testId: string) => screen.queryAllByTestId(testId);
const keys = (testId: string) => rows(testId).map((r) => r.dataset.key);

describe('ConnectionIndicator', () => {
  it('shows live, then reconnecting after a drop, then live again', async () => {
    const hub = mockHub();
    mount(hub, <ConnectionIndicator />);
    const el = screen.getByTestId('connection-status');
    await waitFor(() => expect(el.dataset.state).toBe('connected'));
    expect(screen.getByTestId('connection-label').textContent).toBe('Live');
    expect(el.querySelector('.pulse')).not.toBeNull();
    hub.disconnect();
    await waitFor(() => expect(el.dataset.state).not.toBe('connected'));
    await waitFor(() => expect(el.dataset.state).toBe('connected'));
    expect(hub.connectionCount).toBeGreaterThanOrEqual(2);
  });

  it('shows Closed with the reason when the hub refuses the fixed token', async () => {
    const hub = mockHub();
    hub.refuseTokens('invalid_token');
    mount(hub, <ConnectionIndicator />);
    const el = screen.getByTestId('connection-status');
    await waitFor(() => expect(el.dataset.state).toBe('closed'));
    expect(screen.getByTestId('connection-label').textContent).toBe('Closed');
    expect(screen.getByTestId('connection-error').textContent).toContain('invalid_token');
    // Permanent: no retry loop.
    const opened = hub.connectionCount;
    await new Promise((r) => setTimeout(r, 200));
    expect(hub.connectionCount).toBe(opened);
  });

  it('lists the subscriptions the hub refused, and the widget says it is not receiving', async () => {
    const hub = mockHub();
    hub.refuse('security', 'forbidden');
    mount(
      hub,
      <>
        <ConnectionIndicator />
        <SecurityAlerts />
        <DebugFeed />
      </>,
    );
    await waitFor(() => expect(rows('refused')).toHaveLength(1));
    const refused = screen.getByTestId('refused');
    expect(refused.dataset).toMatchObject({ channel: 'security', code: 'forbidden' });
    expect(refused.getAttribute('data-subject')).toBe('');
    const card = within(screen.getByTestId('alerts-widget'));
    await waitFor(() => expect(card.getByTestId('hook-error').dataset.code).toBe('forbidden'));
    expect(card.getByTestId('hook-error').textContent).toContain('security');
    // The other widgets keep working.
    await hub.waitForSubscription('debug');
    expect(within(screen.getByTestId('debug-feed')).queryByTestId('hook-error')).toBeNull();
    hub.publish('debug', ev.debugError('s-1', 'boom'));
    await waitFor(() => expect(rows('debug-item')).toHaveLength(1));
  });
});

describe('PipelineStatus', () => {
  it('lists pipelines with executions updated in place', async () => {
    const hub = mockHub();
    mount(hub, <PipelineStatus />);
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', ev.pipelineCreated('p-1', 'api main'));
    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-1', { status: 'running', progress: 10, currentStep: 'build' }));
    await waitFor(() => expect(rows('execution-row')).toHaveLength(1));
    expect(screen.getByTestId('execution-row').dataset.progress).toBe('0.1');
    hub.publish('pipeline', ev.execution('completed', 'p-1', 'e-1', { status: 'failed', progress: 60, message: 'step test failed' }, undefined, 'HIGH'));
    await waitFor(() => expect(screen.getByTestId('execution-row').dataset.status).toBe('failed'));
    expect(rows('execution-row')).toHaveLength(1);
    expect(screen.getByTestId('pipeline-row').textContent).toContain('api main');
  });

  it('keeps every execution of a burst of 1,000 events', async () => {
    const hub = mockHub();
    mount(hub, <PipelineStatus />);
    await hub.waitForSubscription('pipeline');
    for (let i = 0; i < 1000; i++) {
      hub.publish('pipeline', ev.execution(i % 2 ? 'updated' : 'started', `p-${i % 10}`, `e-${i % 40}`, { status: 'running', progress: i % 100 }));
    }
    await waitFor(() => expect(rows('pipeline-row')).toHaveLength(10));
    // Four executions per pipeline are listed: 40 executions over 10 pipelines.
    expect(rows('execution-row')).toHaveLength(40);
  });
});

describe('SecurityAlerts', () => {
  it('shows findings newest first with counts and HIGH highlighted', async () => {
    const hub = mockHub();
    mount(hub, <SecurityAlerts />);
    await hub.waitForSubscription('security');
    hub.publish('security', ev.vuln('v-1', 'medium', 'ReDoS in semver', 'MEDIUM', Date.now() - 1000));
    hub.publish('security', ev.vuln('v-2', 'critical', 'RCE in parser', 'HIGH'));
    hub.publish('security', ev.scan('s-1', 'running', 40));
    await waitFor(() => expect(rows('alert-row')).toHaveLength(2));
    const list = rows('alert-row');
    expect(list.map((r) => r.dataset.key)).toEqual(['v-2', 'v-1']);
    expect(list[0]!.className).toContain('highlight');
    expect(list[1]!.className).not.toContain('highlight');
    expect(screen.getByTestId('alert-count-critical').dataset.count).toBe('1');
    expect(screen.getByTestId('alert-count-medium').dataset.count).toBe('1');
    expect(screen.getByTestId('alerts-high').textContent).toBe('1 high priority');
    await waitFor(() => expect(screen.getByTestId('scans').textContent).toContain('s-1'));
  });
});

describe('DebugFeed', () => {
  it('shows errors, classifications and patches', async () => {
    const hub = mockHub();
    mount(hub, <DebugFeed />);
    await hub.waitForSubscription('debug');
    hub.publish('debug', ev.debugError('s-1', 'unresolved import'));
    hub.publish('debug', ev.classification('s-1', 'api_change', 0.8));
    hub.publish('debug', ev.patchGenerated('s-1', 'pt-1'));
    hub.publish('debug', ev.patchApplied('s-1', 'pt-1', false));
    hub.publish('debug', ev.patchRollback('s-1', 'pt-1'));
    await waitFor(() => expect(rows('debug-item')).toHaveLength(5));
    expect(new Set(rows('debug-item').map((i) => i.dataset.kind))).toEqual(new Set(['error', 'classification', 'patch_generated', 'patch_applied', 'patch_rollback']));
  });
});

describe('SystemStatus', () => {
  it('shows the latest status (from history first), metrics and open alerts', async () => {
    const hub = mockHub();
    // Published before the page opened: the status and the alerts come from history.
    hub.publish('system', ev.systemStatus('healthy', 'all good'));
    hub.publish('system', ev.systemAlert('a-0', 'disk almost full'));
    mount(hub, <SystemStatus />);
    await waitFor(() => expect(screen.getByTestId('system-status').dataset.status).toBe('healthy'));
    await waitFor(() => expect(keys('system-alert')).toEqual(['a-0']));
    await hub.waitForSubscription('system');
    hub.publish('system', ev.systemStatus('degraded', 'runner pool busy', [{ name: 'runner-pool', status: 'degraded' }]));
    hub.publish('system', ev.systemMetrics({ cpuPercent: 42, runningExecutions: 3, hubSubscriptions: 12 }));
    await waitFor(() => expect(screen.getByTestId('system-status').dataset.status).toBe('degraded'));
    await waitFor(() => expect(metric('cpu')).toBe('42%'));
    expect(metric('running')).toBe('3');
    expect(metric('queued')).toBeUndefined();
    expect(metric('memory')).toBe('—');
    expect(screen.getAllByTestId('metric-card').find((c) => c.dataset.metric === 'clients')!.textContent).toContain('12 subscriptions');
    expect(keys('system-component')).toEqual(['runner-pool']);
    expect(screen.getByTestId('system-widget').dataset.source).toBe('test');
  });
});

describe('Toasts', () => {
  it('toasts live HIGH priority events only, and dismisses them', async () => {
    const hub = mockHub();
    mount(hub, <Toasts />);
    await hub.waitForSubscription('system');
    hub.publish('system', ev.systemAlert('a-1', 'disk full', 'HIGH'));
    hub.publish('system', ev.systemAlert('a-2', 'minor', 'LOW'));
    await waitFor(() => expect(rows('toast')).toHaveLength(1));
    const toast = screen.getByTestId('toast');
    expect(toast.textContent).toContain('disk full');
    fireEvent.click(within(toast).getByLabelText('dismiss'));
    await waitFor(() => expect(rows('toast')).toHaveLength(0));
  });
});

describe('DeliveryStats', () => {
  it('counts deliveries and lists the latest events of every category', async () => {
    const hub = mockHub();
    mount(hub, <DeliveryStats />);
    await hub.waitForSubscription('pipeline');
    await hub.waitForSubscription('user', 'user-1');
    hub.publish('pipeline', ev.pipelineCreated('p-1'));
    hub.publish('debug', ev.debugError('s-1', 'boom'));
    await waitFor(() => expect(metric('events-total')).toBe('2'));
    expect(metric('events-replayed')).toBe('0');
    expect(metric('resyncs')).toBe('0');
    expect(rows('recent-event').map((r) => r.dataset.type)).toEqual(['debug_error_detected', 'pipeline_created']);
    // USER is narrowed to the user's own subject: nothing is refused.
    expect(hub.subscriptions.some((s) => s.channel === 'user' && s.subject === '')).toBe(false);
  });
});

describe('Dashboard', () => {
  it('follows the newest execution and pins the one clicked in the pipeline widget', async () => {
    const hub = mockHub();
    mount(hub, <Dashboard />);
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-1', { status: 'running', steps: steps(['build'], 0) }));
    await waitFor(() => expect(screen.getByTestId('execution-monitor').dataset.execution).toBe('e-1'));
    await hub.waitForSubscription('pipeline', 'p-1/e-1');
    hub.publish('pipeline', ev.execution('started', 'p-2', 'e-2', { status: 'running' }));
    await waitFor(() => expect(rows('execution-row')).toHaveLength(2));
    // e-1 still runs: the monitor stays on it.
    expect(screen.getByTestId('execution-monitor').dataset.execution).toBe('e-1');
    fireEvent.click(rows('execution-row').find((r) => r.dataset.key === 'e-2')!);
    await waitFor(() => expect(screen.getByTestId('execution-monitor').dataset.execution).toBe('e-2'));
    // The monitor subscribes the pinned execution's subject.
    await hub.waitForSubscription('pipeline', 'p-2/e-2');
    fireEvent.click(screen.getByTestId('monitor-follow-latest'));
    await waitFor(() => expect(screen.getByTestId('execution-monitor').dataset.execution).toBe('e-1'));
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
