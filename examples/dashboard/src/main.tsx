import { HeraldProvider } from '@herald/client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { Dashboard } from './App';
import './index.css';
import { loadConfig } from './state/config';
import { fetchHistory, TokenSource } from './state/hub';
import { DashboardProvider } from './state/react';
import { DashboardStore } from './state/store';

const config = loadConfig();
const tokens = new TokenSource(config.tokenUrl);
const store = new DashboardStore((channel) => fetchHistory(config, tokens, channel));
// For debugging and the end-to-end test: the state is inspectable from the console.
(window as unknown as { __dashboard: DashboardStore }).__dashboard = store;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <HeraldProvider url={config.wsUrl} getToken={tokens.fetchToken} backoff={{ baseMs: 500, capMs: 5000 }}>
      <DashboardProvider store={store}>
        <Dashboard />
      </DashboardProvider>
    </HeraldProvider>
  </StrictMode>,
);
