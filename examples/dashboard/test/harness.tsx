// Each test: a fresh mock hub from @herald/client/testing (a fake WebSocket the real wasm
// client connects to) and the widgets under a real <HeraldProvider>.
import { HeraldProvider } from '@herald/client';
import { createMockHub, type MockHub, type MockHubOptions } from '@herald/client/testing';
import { cleanup, render } from '@testing-library/react';
import { StrictMode, type ReactNode } from 'react';
import { afterEach } from 'vitest';

let current: MockHub | null = null;

afterEach(() => {
  cleanup();
  current?.uninstall();
  current = null;
});

/** A mock hub for this test (uninstalled after it). */
export function mockHub(options: MockHubOptions = {}): MockHub {
  current = createMockHub(options);
  return current;
}

/** Renders `children` connected to `hub` (fixed token, fast backoff), in StrictMode. */
export function mount(hub: MockHub, children: ReactNode) {
  return render(
    <StrictMode>
      <HeraldProvider url={hub.url} token="test-token" backoff={{ baseMs: 20, capMs: 50 }}>
        {children}
      </HeraldProvider>
    </StrictMode>,
  );
}

/** The value of metric card `name`. */
export const metric = (name: string): string | undefined =>
  document.querySelector<HTMLElement>(`[data-testid=metric-card][data-metric="${name}"]`)?.dataset.value;
