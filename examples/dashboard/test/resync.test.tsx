// Recovery through the public hooks: after a reconnect the client resumes (`since`) or, when
// the hub lost its history, resyncs and reloads it; the widgets show those deliveries
// (marked replayed) exactly once, raise no toasts for them, and go on live.
import { screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { DebugFeed } from '../src/widgets/DebugFeed';
import { DeliveryStats } from '../src/widgets/DeliveryStats';
import { PipelineStatus } from '../src/widgets/PipelineStatus';
import { Toasts } from '../src/widgets/Toasts';
import { ev } from './events';
import { metric, mockHub, mount } from './harness';

const rows = (testId: string) => screen.queryAllByTestId(testId);
const keys = (testId: string) => rows(testId).map((r) => r.dataset.key);
const row = (key: string) => rows('execution-row').find((r) => r.dataset.key === key);

async function start() {
  const hub = mockHub();
  mount(
    hub,
    <>
      <PipelineStatus />
      <DebugFeed />
      <DeliveryStats />
      <Toasts />
    </>,
  );
  await hub.waitForSubscription('pipeline');
  await hub.waitForSubscription('debug');
  hub.publish('pipeline', ev.execution('started', 'p-1', 'e-1', { status: 'running', progress: 20 }));
  hub.publish('debug', ev.debugError('s-1', 'before the outage'));
  await waitFor(() => expect(keys('execution-row')).toEqual(['e-1']));
  await waitFor(() => expect(rows('toast')).toHaveLength(1));
  return hub;
}

describe('recovery', () => {
  it('after a hub restart that lost its history, shows what was published meanwhile, replayed, once', async () => {
    const hub = await start();
    // The hub goes down and comes back with a new epoch and no history; the services publish
    // into it before the page is back.
    hub.goOffline();
    hub.restart();
    hub.publish('pipeline', ev.execution('updated', 'p-1', 'e-1', { status: 'running', progress: 60 }));
    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-2', { status: 'running', progress: 5 }));
    hub.publish('debug', ev.debugError('s-2', 'during the outage'));
    hub.goOnline();

    await waitFor(() => expect(keys('execution-row').sort()).toEqual(['e-1', 'e-2']));
    await waitFor(() => expect(row('e-1')!.dataset.progress).toBe('0.6'));
    await waitFor(() => expect(rows('debug-item')).toHaveLength(2));
    await waitFor(() => expect(Number(metric('resyncs'))).toBeGreaterThanOrEqual(1));
    await waitFor(() => expect(metric('events-replayed')).toBe('3'));
    // Replayed events raise no toast: still only the live one from before the outage.
    expect(rows('toast')).toHaveLength(1);

    // Live again.
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', ev.execution('completed', 'p-1', 'e-2', { status: 'completed', progress: 100 }));
    await waitFor(() => expect(row('e-2')!.dataset.status).toBe('completed'));
    expect(metric('events-replayed')).toBe('3');
    for (const id of ['execution-row', 'pipeline-row', 'debug-item', 'toast']) expect(new Set(keys(id)).size).toBe(keys(id).length);
  });

  it('resumes without a resync when the hub kept its history', async () => {
    const hub = await start();
    hub.goOffline();
    hub.publish('pipeline', ev.execution('started', 'p-1', 'e-2', { status: 'running' }));
    hub.goOnline();
    await waitFor(() => expect(keys('execution-row').sort()).toEqual(['e-1', 'e-2']));
    await waitFor(() => expect(metric('events-replayed')).toBe('1'));
    expect(metric('resyncs')).toBe('0');
    expect(rows('execution-row')).toHaveLength(2);
  });
});
