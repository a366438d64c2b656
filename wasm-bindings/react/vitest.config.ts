import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'happy-dom',
    globalSetup: ['./test/hub.ts'],
    setupFiles: ['./test/setup-wasm.ts'],
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // The hub is shared; connection counts are read from its /metrics.
    fileParallelism: false,
  },
});
