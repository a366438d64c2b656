// The React hooks against the real hub: one shared connection, events routed by type and
// category, bursts kept whole, stable snapshots, StrictMode, reconnects.
import { StrictMode, type ReactNode } from 'react';
import { act, cleanup, render, renderHook } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  EventCategory,
  HeraldProvider,
  useChannel,
  useHeraldClient,
  useWebSocketCategory,
  useWebSocketConnection,
  useWebSocketEvent,
  useWebSocketEvents,
} from '../src/index.js';
import { dropAll, metric, pipelineDeleted, publish, token, userNotification, userToken, wsUrl } from './helpers.js';
import { trackConnection } from './track.js';

afterEach(() => cleanup());

const backoff = { baseMs: 50, capMs: 200 };
function Provider({ children }: { children?: ReactNode }) {
  return (
    <HeraldProvider url={wsUrl()} getToken={() => Promise.resolve(token())} backoff={backoff}>
      {children}
    </HeraldProvider>
  );
}

/** Publishes until `check` passes: the first publish may race the subscription. */
async function publishUntil(make: () => Record<string, unknown>, check: () => void): Promise<void> {
  await vi.waitFor(async () => {
    await publish([make()]);
    check();
  });
}

describe('HeraldProvider', () => {
  it('useHeraldClient throws a clear error outside a provider', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderHook(() => useHeraldClient())).toThrow(/no <HeraldProvider> above this component/);
    spy.mockRestore();
  });

  it('reports connection state transitions', async () => {
    const { result } = renderHook(() => useWebSocketConnection(), { wrapper: Provider });
    expect(['idle', 'connecting']).toContain(result.current.state);
    expect(result.current.isConnected).toBe(false);
    await vi.waitFor(() => expect(result.current.isConnected).toBe(true));
    expect(result.current).toMatchObject({ state: 'connected', error: null, reconnectIn: null });
  });

  it('connects once a token arrives through useWebSocketConnection(token)', async () => {
    const wrapper = ({ children }: { children?: ReactNode }) => <HeraldProvider url={wsUrl()}>{children}</HeraldProvider>;
    const { result, rerender } = renderHook(({ t }: { t?: string }) => useWebSocketConnection(t), {
      wrapper,
      initialProps: {} as { t?: string },
    });
    expect(result.current.state).toBe('idle');
    rerender({ t: token() });
    await vi.waitFor(() => expect(result.current.isConnected).toBe(true));
  });

  it('opens exactly one connection under StrictMode', async () => {
    await vi.waitFor(async () => expect(await metric('herald_connections')).toBe(0));
    const before = await metric('herald_connections_total');
    const wrapper = ({ children }: { children?: ReactNode }) => (
      <StrictMode>
        <Provider>{children}</Provider>
      </StrictMode>
    );
    const { result } = renderHook(
      () => ({ connection: useWebSocketConnection(), events: useWebSocketEvents(), latest: useWebSocketEvent('pipeline_deleted') }),
      { wrapper },
    );
    await vi.waitFor(() => expect(result.current.connection.isConnected).toBe(true));
    await publishUntil(
      () => pipelineDeleted('p-strict'),
      () => expect(result.current.latest.data).toEqual({ pipelineId: 'p-strict' }),
    );
    expect(await metric('herald_connections')).toBe(1);
    expect((await metric('herald_connections_total')) - before).toBe(1);
  });
});

describe('event hooks', () => {
  it('routes events by type and by category, USER ones under a plain user token', async () => {
    const user = await userToken('u-route');
    const UserProvider = ({ children }: { children?: ReactNode }) => (
      <HeraldProvider url={wsUrl()} getToken={() => user} backoff={backoff}>
        {children}
      </HeraldProvider>
    );
    const { result } = renderHook(
      () => ({
        deleted: useWebSocketEvent('pipeline_deleted'),
        created: useWebSocketEvent('pipeline_created'),
        user: useWebSocketCategory(EventCategory.USER, { limit: 10 }),
        pipeline: useWebSocketCategory('PIPELINE', { limit: 10 }),
      }),
      { wrapper: UserProvider },
    );
    await publishUntil(
      () => pipelineDeleted('p-route'),
      () => expect(result.current.deleted.event?.subject).toBe('p-route'),
    );
    await publish([userNotification('u-other', 'not mine')]);
    await publishUntil(
      () => userNotification('u-route', 'hi'),
      () => expect(result.current.user.events.length).toBeGreaterThan(0),
    );
    expect(result.current.created).toEqual({ data: null, event: null, error: null });
    expect(result.current.user.error).toBeNull();
    expect(result.current.user.events.every((e) => e.category === 'USER' && e.subject === 'u-route')).toBe(true);
    expect(result.current.pipeline.events.every((e) => e.category === 'PIPELINE')).toBe(true);
    const last = result.current.user.events.at(-1)!;
    if (last.event_type === 'user_notification') expect(last.data.notification.title).toBe('hi');
    else throw new Error(`unexpected ${last.event_type}`);
  });

  it('useChannel shows a refused subscription as its error', async () => {
    const user = await userToken('u-refused');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { result } = renderHook(() => useChannel('user'), {
      wrapper: ({ children }: { children?: ReactNode }) => (
        <HeraldProvider url={wsUrl()} getToken={() => user} backoff={backoff}>
          {children}
        </HeraldProvider>
      ),
    });
    await vi.waitFor(() => expect(result.current.error).toMatchObject({ name: 'HeraldError', detail: 'forbidden' }));
    expect(result.current.events).toEqual([]);
    warn.mockRestore();
  });

  it('keeps every event of a 1,000-event burst up to the limit', async () => {
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders += 1;
        return { connection: useWebSocketConnection(), all: useWebSocketEvents({ limit: 1000 }) };
      },
      { wrapper: Provider },
    );
    await vi.waitFor(() => expect(result.current.connection.isConnected).toBe(true));
    // Wait until the category subscriptions are live: one probe event arrives.
    await publishUntil(
      () => pipelineDeleted('p-probe'),
      () => expect(result.current.all.events.length).toBeGreaterThan(0),
    );
    const burst = Array.from({ length: 1000 }, (_, i) => pipelineDeleted(`p-burst-${i}`));
    const rendersBefore = renders;
    await publish(burst);
    await vi.waitFor(() => expect(result.current.all.events.at(-1)?.id).toBe(burst[999]!.id), { timeout: 10_000 });
    const ids = result.current.all.events.map((e) => e.id);
    expect(ids.length).toBe(1000);
    expect(ids).toEqual(burst.map((e) => e.id));
    // Far fewer renders than events: React batches; nothing is lost in between.
    expect(renders - rendersBefore).toBeLessThan(1000);
  });

  it('keeps snapshots stable between events (no render loops)', async () => {
    let renders = 0;
    const { result, rerender } = renderHook(
      () => {
        renders += 1;
        return {
          connection: useWebSocketConnection(),
          security: useWebSocketCategory('SECURITY'),
          channel: useChannel('system', { subject: 's-none' }),
          latest: useWebSocketEvent('system_alert'),
        };
      },
      { wrapper: Provider },
    );
    await vi.waitFor(() => expect(result.current.connection.isConnected).toBe(true));
    const first = result.current;
    rerender();
    rerender();
    expect(result.current.connection).toBe(first.connection);
    expect(result.current.security).toBe(first.security);
    expect(result.current.channel).toBe(first.channel);
    expect(result.current.latest).toBe(first.latest);
    // An event none of them listens to re-renders nothing.
    const rendersBefore = renders;
    await publish([pipelineDeleted('p-unrelated')]);
    await act(() => Promise.resolve());
    expect(result.current.security).toBe(first.security);
    expect(renders).toBe(rendersBefore);
  });

  it('useChannel replays history and filters by subject', async () => {
    const events = [userNotification('u-hist', 'one'), userNotification('u-hist', 'two'), userNotification('u-other', 'x')];
    await publish(events);
    const { result } = renderHook(() => useChannel('user', { subject: 'u-hist', history: 2, limit: 5 }), {
      wrapper: Provider,
    });
    await vi.waitFor(() => expect(result.current.events.map((e) => e.id)).toEqual([events[0]!.id, events[1]!.id]));
    expect(result.current.offset).toBeGreaterThan(0);
  });

  it('reconnects after the hub drops the connection and keeps delivering', async () => {
    const states: string[] = [];
    const { result } = renderHook(trackConnection(states), { wrapper: Provider });
    await vi.waitFor(() => expect(result.current.connection.isConnected).toBe(true));
    const connectionsBefore = await metric('herald_connections_total');
    await dropAll();
    await vi.waitFor(() => expect(states.slice(states.indexOf('connected') + 1)).toContain('connected'));
    expect(states.slice(states.indexOf('connected') + 1, -1).some((s) => s === 'reconnecting' || s === 'connecting')).toBe(true);
    expect(await metric('herald_connections_total')).toBeGreaterThan(connectionsBefore);
    await publishUntil(
      () => pipelineDeleted('p-after-drop'),
      () => expect(result.current.latest.event?.subject).toBe('p-after-drop'),
    );
  });
});

describe('a plain component', () => {
  it('renders events from the hooks', async () => {
    function Feed() {
      const { events } = useWebSocketCategory('PIPELINE', { limit: 3 });
      const { isConnected } = useWebSocketConnection();
      return (
        <div>
          <p data-testid="state">{isConnected ? 'online' : 'offline'}</p>
          <ul>
            {events.map((e) => (
              <li key={e.id}>{e.subject}</li>
            ))}
          </ul>
        </div>
      );
    }
    const view = render(
      <Provider>
        <Feed />
      </Provider>,
    );
    await vi.waitFor(() => expect(view.getByTestId('state').textContent).toBe('online'));
    await publishUntil(
      () => pipelineDeleted('p-feed'),
      () => expect(view.getAllByText('p-feed').length).toBeGreaterThan(0),
    );
  });
});
