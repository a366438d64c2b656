// A mock hub: a small `ws` server speaking enough of the Herald protocol (docs/protocol.md)
// for the widgets: authentication (subprotocol `herald.bearer.<JWT>` or an `authenticate`
// frame) → `authenticated`; `subscribe` → `subscribed` (with `since` recovery against the
// events it sent in the current epoch); `ping` → `pong`; `push()` sends `event` frames.
import { WebSocketServer, type WebSocket } from 'ws';

interface Sub {
  channel: string;
  subject: string;
}

export interface MockHub {
  url: string;
  /** Publishes an envelope on `channel` to every matching subscriber; returns its offset. */
  push(channel: string, event: object): number;
  /** Drops every connection (like a network failure). */
  drop(): void;
  /** Simulates a restart with lost history: a new epoch, offsets from 1. */
  restart(): void;
  /** Connections so far, and subscribe frames received. */
  connections: number;
  subscribes: Record<string, unknown>[];
  waitSubscribed(channels: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startMockHub(): Promise<MockHub> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('herald.v1') ? 'herald.v1' : false),
  });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const { port } = wss.address() as { port: number };
  let epoch = 'ep-1';
  const offsets = new Map<string, number>();
  const sockets = new Map<WebSocket, Sub[]>();
  const waiters: (() => void)[] = [];
  const hub: MockHub = {
    url: `ws://127.0.0.1:${port}/ws`,
    connections: 0,
    subscribes: [],
    push(channel, event: object) {
      const offset = (offsets.get(channel) ?? 0) + 1;
      offsets.set(channel, offset);
      const frame = JSON.stringify({ type: 'event', channel, offset, event });
      const subject = String((event as { subject?: string }).subject ?? "");
      for (const [ws, subs] of sockets) {
        if (subs.some((s) => s.channel === channel && subject.startsWith(s.subject))) ws.send(frame);
      }
      return offset;
    },
    drop() {
      for (const ws of sockets.keys()) ws.terminate();
      sockets.clear();
    },
    restart() {
      epoch = `ep-${Number(epoch.slice(3)) + 1}`;
      offsets.clear();
      hub.drop();
    },
    async waitSubscribed(channels) {
      const ok = () => [...sockets.values()].some((subs) => channels.every((c) => subs.some((s) => s.channel === c)));
      while (!ok()) await new Promise<void>((r) => waiters.push(r));
    },
    close: () =>
      new Promise<void>((r) => {
        hub.drop();
        wss.close(() => r());
      }),
  };
  wss.on('connection', (ws, req) => {
    hub.connections += 1;
    const subs: Sub[] = [];
    sockets.set(ws, subs);
    ws.on('close', () => sockets.delete(ws));
    const authenticated = (replyTo?: number) =>
      ws.send(
        JSON.stringify({
          type: 'authenticated',
          ...(replyTo !== undefined ? { reply_to: replyTo } : {}),
          connection_id: `c-${hub.connections}`,
          user: { id: 'dashboard', org: 'dev' },
          heartbeat_ms: 25000,
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
        }),
      );
    if (String(req.headers['sec-websocket-protocol'] ?? '').includes('herald.bearer.')) authenticated();
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as Record<string, unknown> & { id?: number };
      switch (frame.type) {
        case 'authenticate':
          authenticated(frame.id);
          break;
        case 'subscribe': {
          hub.subscribes.push(frame);
          const channel = String(frame.channel);
          const subject = String(frame.subject ?? '');
          const since = frame.since as { epoch: string; offset: number } | undefined;
          const latest = offsets.get(channel) ?? 0;
          // This mock keeps no history: recovery succeeds only when nothing was missed.
          const recovered = !!since && since.epoch === epoch && since.offset === latest;
          subs.push({ channel, subject });
          ws.send(JSON.stringify({ type: 'subscribed', reply_to: frame.id, channel, subject, epoch, offset: latest, recovered, replayed: 0 }));
          for (const w of waiters.splice(0)) w();
          break;
        }
        case 'unsubscribe': {
          const i = subs.findIndex((s) => s.channel === frame.channel && s.subject === String(frame.subject ?? ''));
          if (i >= 0) subs.splice(i, 1);
          ws.send(JSON.stringify({ type: 'unsubscribed', reply_to: frame.id, channel: frame.channel, subject: frame.subject ?? '' }));
          break;
        }
        case 'ping':
          ws.send(JSON.stringify({ type: 'pong', reply_to: frame.id }));
          break;
        default:
          break;
      }
    });
  });
  return hub;
}
