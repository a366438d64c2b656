import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';

import { HeraldStore, type HeraldStoreOptions } from './store.js';
import type { HeraldClient } from './wasm.js';

const HeraldContext = createContext<HeraldStore | null>(null);

/** Props of `<HeraldProvider>`: an existing `client`, or the options to create one. */
export type HeraldProviderProps = { children?: ReactNode } & (
  | { client: HeraldClient; url?: never; token?: never; getToken?: never }
  | ({ client?: never } & HeraldStoreOptions)
);

/**
 * One shared Herald connection for the tree below. With `url` (and `token` or `getToken`,
 * or a token given later to `useWebSocketConnection(token)`) the provider creates the
 * client, connects on mount and closes on unmount; with `client` it connects that client
 * and never closes it. The props are read once: remount (with a `key`) to change them.
 */
export function HeraldProvider(props: HeraldProviderProps): ReactNode {
  const [store] = useState(() => {
    if (props.client) return new HeraldStore({ client: props.client });
    const { children: _children, client: _client, ...options } = props;
    return new HeraldStore({ options });
  });
  useEffect(() => store.retain(), [store]);
  return <HeraldContext.Provider value={store}>{props.children}</HeraldContext.Provider>;
}

/** The provider's connection store. Throws outside a `<HeraldProvider>`. */
export function useHeraldClient(): HeraldStore {
  const store = useContext(HeraldContext);
  if (!store) {
    throw new Error(
      'useHeraldClient: no <HeraldProvider> above this component. Wrap the tree in ' +
        '<HeraldProvider url="ws://…/ws" getToken={…}> or <HeraldProvider client={client}>.',
    );
  }
  return store;
}
