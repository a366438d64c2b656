/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig, searchForWorkspaceRoot } from 'vite';

export default defineConfig({
  plugins: [react()],
  resolve: {
    // @herald/client is a `file:` link to wasm-bindings/react, which has its own
    // node_modules/react (a dev dependency): use the dashboard's one React only.
    dedupe: ['react', 'react-dom'],
  },
  server: {
    // The `file:` link points outside this root; without this the dev server refuses the .wasm.
    fs: { allow: [searchForWorkspaceRoot(process.cwd()), '../../wasm-bindings/react'] },
  },
  test: {
    environment: 'happy-dom',
    setupFiles: ['./test/setup.ts'],
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 20_000,
    server: { deps: { inline: ['@herald/client'] } },
  },
});
