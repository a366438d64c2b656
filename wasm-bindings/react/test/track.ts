// A hook body shared by the reconnect tests: the connection and the latest
// `pipeline_deleted`, with every change of the connection's state appended to `states`.
import { useWebSocketConnection, useWebSocketEvent } from '../src/index.js';

export function trackConnection(states: string[]) {
  return () => {
    const connection = useWebSocketConnection();
    if (states.at(-1) !== connection.state) states.push(connection.state);
    return { connection, latest: useWebSocketEvent('pipeline_deleted') };
  };
}
