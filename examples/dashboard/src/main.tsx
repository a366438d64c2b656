import { HeraldProvider } from '@herald/client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { Dashboard } from './App';
import './index.css';
import { loadConfig } from './state/config';
import { TokenSource } from './state/token';

const config = loadConfig();
const tokens = new TokenSource(config.tokenUrl);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {/* After a resync (a restarted hub) reload the last 500 events of each channel, not 100:
        at the demo's rates that covers an outage of several seconds. */}
    <HeraldProvider url={config.wsUrl} getToken={tokens.fetchToken} backoff={{ baseMs: 500, capMs: 5000 }} resyncHistory={500}>
      <Dashboard />
    </HeraldProvider>
  </StrictMode>,
);
