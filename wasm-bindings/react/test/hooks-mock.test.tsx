// The hooks against the mock hub (@herald/client/testing), with its default token rules:
// the API document's example, the subscriptions the hooks imply (USER → user/<sub>),
// handlers, refusals, closed state, bursts and StrictMode.
import { StrictMode, type ReactNode } from 'react';
import { cleanup, render, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  EventCategory,
  HeraldProvider,
  useWebSocketCategory,
  useWebSocketConnection,
  useWebSocketEvent,
  useWebSocketEvents,
  type ConnectionSnapshot,
  type PipelineExecutionCompletedEvent,
} from '../src/index.js';
import { createMockHub, makeEvent, type MockHub } from '../src/testing/index.js';
import { trackConnection } from './track.js';

let hub: MockHub;
beforeEach(() => {
  hub = createMockHub({ user: { id: 'u-1', org: 'acme' } });
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  hub.uninstall();
});

function Provider({ children }: { children?: ReactNode }) {
  return (
    <HeraldProvider url={hub.url} token="user-token" backoff={{ baseMs: 10, capMs: 20 }}>
      {children}
    </HeraldProvider>
  );
}

const completed = (executionId: string) =>
  makeEvent(
    'pipeline_execution_completed',
    { pipelineId: 'p-1', executionId, execution: { id: executionId, status: 'completed' } },
    { subject: `p-1/${executionId}`, final: true },
  );
const notification = (userId: string, title: string) =>
  makeEvent('user_notification', { userId, notificationId: `n-${title}`, notification: { title, message: title, level: 'info' } });
const deleted = (id: string) => makeEvent('pipeline_deleted', { pipelineId: id }, { subject: id });
const vulnerability = (id: string) =>
  makeEvent(
    'security_vulnerability_detected',
    { vulnerabilityId: id, vulnerability: { id, title: id, severity: 'high', status: 'open' } },
    { subject: id },
  );

describe('hooks on the mock hub', () => {
  it("runs the API document's example with a plain user token", async () => {
    const seen: string[] = [];
    function App() {
      const { events: alerts } = useWebSocketCategory(EventCategory.SECURITY, { limit: 10 });
      const { data } = useWebSocketEvent('pipeline_execution_completed', (event) => seen.push(event.data.executionId));
      const { events: inbox } = useWebSocketCategory(EventCategory.USER);
      return (
        <div>
          <p data-testid="alerts">{alerts.map((a) => a.subject).join(',')}</p>
          <p data-testid="completed">{data?.executionId ?? '-'}</p>
          <ul>
            {inbox.map((n) => (n.event_type === 'user_notification' ? <li key={n.id}>{n.data.notification.title}</li> : null))}
          </ul>
        </div>
      );
    }
    const view = render(
      <Provider>
        <App />
      </Provider>,
    );
    await hub.waitForSubscription('security');
    await hub.waitForSubscription('pipeline');
    await hub.waitForSubscription('user', 'u-1'); // the narrowest the token allows, not the whole channel
    expect(hub.subscriptions.map((s) => `${s.channel}/${s.subject}`).sort()).toEqual(['pipeline/', 'security/', 'user/u-1']);
    hub.publish('security', vulnerability('v-1'));
    hub.publish('pipeline', completed('e-7'));
    hub.publish('user', notification('u-1', 'hello'));
    await vi.waitFor(() => expect(view.getByTestId('completed').textContent).toBe('e-7'));
    await vi.waitFor(() => expect(view.getByTestId('alerts').textContent).toBe('v-1'));
    await vi.waitFor(() => expect(view.getByText('hello')).toBeTruthy());
    expect(seen).toEqual(['e-7']);
  });

  it('calls the latest handler once per event without resubscribing', async () => {
    const calls: string[] = [];
    const { rerender } = renderHook(
      ({ tag }: { tag: string }) =>
        useWebSocketEvent('pipeline_execution_completed', (event: PipelineExecutionCompletedEvent, delivery) =>
          calls.push(`${tag}:${event.data.executionId}:${delivery.replayed}`),
        ),
      { wrapper: Provider, initialProps: { tag: 'first' } },
    );
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', completed('e-1'));
    await vi.waitFor(() => expect(calls).toEqual(['first:e-1:false']));
    rerender({ tag: 'second' });
    hub.publish('pipeline', completed('e-2'));
    await vi.waitFor(() => expect(calls).toEqual(['first:e-1:false', 'second:e-2:false']));
    expect(hub.received.filter((r) => r.frame.type === 'subscribe')).toHaveLength(1);
  });

  it('useWebSocketEvents takes a handler too, called once per event of any category', async () => {
    const calls: string[] = [];
    const { result } = renderHook(() => useWebSocketEvents((event) => calls.push(event.event_type), { limit: 5 }), {
      wrapper: Provider,
    });
    await hub.waitForSubscription('pipeline');
    await hub.waitForSubscription('security');
    hub.publish('pipeline', completed('e-1'));
    hub.publish('security', makeEvent('security_scan_started', { scanId: 's-1', scan: { id: 's-1', status: 'running' } }));
    await vi.waitFor(() => expect(calls).toEqual(['pipeline_execution_completed', 'security_scan_started']));
    expect(result.current.events).toHaveLength(2);
  });

  it('shows a refused implied subscription in the hook and the connection, warned once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    hub.refuse('security', 'forbidden');
    const { result } = renderHook(
      () => ({ security: useWebSocketCategory('SECURITY'), connection: useWebSocketConnection(), pipeline: useWebSocketEvent('pipeline_deleted') }),
      { wrapper: Provider },
    );
    await vi.waitFor(() => expect(result.current.security.error).not.toBeNull());
    expect(result.current.security.error).toMatchObject({ name: 'HeraldError', code: 'refused', detail: 'forbidden', channel: 'security' });
    expect(result.current.pipeline.error).toBeNull();
    await vi.waitFor(() => expect(result.current.connection.refused).toHaveLength(1));
    expect(result.current.connection).toMatchObject({ isConnected: true, error: null });
    expect(result.current.connection.refused[0]).toMatchObject({ detail: 'forbidden', channel: 'security' });
    expect(warn).toHaveBeenCalledTimes(1); // the binding's; the hooks add nothing
    expect(String(warn.mock.calls[0])).toMatch(/forbidden.*security|security.*forbidden/);
  });

  it('drops a refusal from `refused` once nothing implies it any more', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    hub.refuse('security', 'forbidden');
    let connection: ConnectionSnapshot | undefined;
    function Status() {
      connection = useWebSocketConnection();
      return null;
    }
    function Security() {
      useWebSocketCategory('SECURITY');
      return null;
    }
    const App = ({ show }: { show: boolean }) => (
      <Provider>
        <Status />
        {show ? <Security /> : null}
      </Provider>
    );
    const view = render(<App show />);
    await vi.waitFor(() => expect(connection?.refused).toHaveLength(1));
    view.rerender(<App show={false} />);
    await vi.waitFor(() => expect(connection?.refused).toHaveLength(0));
  });

  it('reaches `closed` with the error when the fixed token is refused', async () => {
    hub.refuseTokens('token_expired');
    const { result } = renderHook(() => useWebSocketConnection(), { wrapper: Provider });
    await vi.waitFor(() => expect(result.current.state).toBe('closed'));
    expect(result.current.error).toMatchObject({ detail: 'token_expired' });
    expect(result.current.detail.error).toMatchObject({ detail: 'token_expired' });
    expect(hub.connections).toHaveLength(0);
  });

  it('reconnects after a drop and shows reconnecting meanwhile', async () => {
    const states: string[] = [];
    const { result } = renderHook(trackConnection(states), { wrapper: Provider });
    await hub.waitForSubscription('pipeline');
    hub.disconnect();
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', deleted('p-after'));
    await vi.waitFor(() => expect(result.current.latest.event?.subject).toBe('p-after'));
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('connected');
  });

  it('reloads what a restarted hub received while the client was away', async () => {
    const { result } = renderHook(() => useWebSocketCategory('PIPELINE', { limit: 20 }), { wrapper: Provider });
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', deleted('p-before'));
    await vi.waitFor(() => expect(result.current.events).toHaveLength(1));
    hub.goOffline();
    hub.restart(); // new epoch, history lost
    const scan = Array.from({ length: 7 }, (_, i) => deleted(`p-new-${i}`));
    for (const e of scan) hub.publish('pipeline', e);
    hub.goOnline();
    await vi.waitFor(() => expect(result.current.events.map((e) => e.id)).toEqual(expect.arrayContaining(scan.map((e) => e.id))));
  });

  it('keeps a 1,000-event burst whole in far fewer renders', async () => {
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders += 1;
        return useWebSocketEvents({ limit: 1000 });
      },
      { wrapper: Provider },
    );
    await hub.waitForSubscription('pipeline');
    const rendersBefore = renders;
    const burst = Array.from({ length: 1000 }, (_, i) => deleted(`p-${i}`));
    for (const e of burst) hub.publish('pipeline', e);
    await vi.waitFor(() => expect(result.current.events).toHaveLength(1000));
    expect(result.current.events.map((e) => e.id)).toEqual(burst.map((e) => e.id));
    expect(renders - rendersBefore).toBeLessThan(100);
  });

  it('closes the connection when the provider unmounts', async () => {
    const { unmount } = renderHook(() => useWebSocketEvent('pipeline_deleted'), { wrapper: Provider });
    const conn = await hub.waitForSubscription('pipeline');
    unmount();
    await hub.waitFor(() => !conn.open, 'the connection to close');
    expect(hub.connections).toEqual([]);
  });

  it('opens one connection under StrictMode', async () => {
    const wrapper = ({ children }: { children?: ReactNode }) => (
      <StrictMode>
        <Provider>{children}</Provider>
      </StrictMode>
    );
    const { result } = renderHook(() => ({ connection: useWebSocketConnection(), latest: useWebSocketEvent('pipeline_deleted') }), { wrapper });
    await hub.waitForSubscription('pipeline');
    hub.publish('pipeline', deleted('p-strict'));
    await vi.waitFor(() => expect(result.current.latest.data).toEqual({ pipelineId: 'p-strict' }));
    expect(hub.connectionCount).toBe(1);
    expect(hub.received.filter((r) => r.frame.type === 'subscribe')).toHaveLength(1);
  });
});
