// React glue: the dashboard store in context, read with useSyncExternalStore.
import { useHeraldClient } from '@herald/client';
import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from 'react';

import type { DashboardState } from './dashboard';
import { DashboardStore } from './store';

const Context = createContext<DashboardStore | null>(null);

/** Provides `store` below and attaches it to the surrounding `<HeraldProvider>`. */
export function DashboardProvider({ store, history, children }: { store: DashboardStore; history?: number; children?: ReactNode }) {
  const herald = useHeraldClient();
  useEffect(() => store.attach(herald, history), [store, herald, history]);
  return <Context.Provider value={store}>{children}</Context.Provider>;
}

export function useDashboardStore(): DashboardStore {
  const store = useContext(Context);
  if (!store) throw new Error('useDashboardStore: no <DashboardProvider> above');
  return store;
}

/** The dashboard state (widgets select their slice; slices keep their identity when unchanged). */
export function useDashboard(): DashboardState {
  const store = useDashboardStore();
  return useSyncExternalStore(store.subscribe, store.getState, store.getState);
}
