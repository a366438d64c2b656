import react from '@vitejs/plugin-react';
import { defineConfig, searchForWorkspaceRoot } from 'vite';

export default defineConfig({
  plugins: [react()],
  resolve: {
    // @herald/client is a `file:` link to wasm-bindings/react, which has its own
    // node_modules/react (a dev dependency): use this app's one React only.
    dedupe: ['react', 'react-dom'],
  },
  server: {
    // The `file:` link points outside this root; without this the dev server refuses the .wasm.
    fs: { allow: [searchForWorkspaceRoot(process.cwd()), '../../wasm-bindings/react'] },
  },
});
