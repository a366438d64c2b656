import { HeraldProvider } from '@herald/client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App';
import { readConfig, type AppConfig } from './config';

/** What the end-to-end test reads: how often the `getToken` provider was called. */
const probe = { getTokenCalls: 0 };
(window as unknown as { __apiDocApp: typeof probe }).__apiDocApp = probe;

function auth(config: AppConfig) {
  switch (config.auth) {
    case 'token':
      return { token: config.token };
    case 'getToken':
      // A real app fetches a fresh token from its backend here.
      return {
        getToken: async () => {
          probe.getTokenCalls += 1;
          return config.token;
        },
      };
    case 'hook':
      return {};
  }
}

const root = createRoot(document.getElementById('root')!);
try {
  const config = readConfig(location.search, location.host);
  root.render(
    <StrictMode>
      <HeraldProvider url={config.hub} {...auth(config)} {...(config.backoff ? { backoff: config.backoff } : {})}>
        <App config={config} />
      </HeraldProvider>
    </StrictMode>,
  );
} catch (error) {
  root.render(<p role="alert">{String(error)}</p>);
}
