import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer is a plain browser app: built into dist/renderer and served either by Electron's
// app:// protocol or by `strongroom serve`. In `npm run dev`, API calls are proxied to a serve-mode
// core (scripts/dev.mjs sets STRONGROOM_DEV_API).
const devApi = process.env.STRONGROOM_DEV_API;

export default defineConfig({
  root: 'renderer',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2023',
  },
  server: {
    host: '127.0.0.1',
    strictPort: false,
    proxy: devApi
      ? {
          '/api': {
            target: devApi,
            changeOrigin: true,
            // The core refuses foreign origins. The proxy vouches only for the dev page itself (its
            // Origin is the dev server's own address) by presenting the core's origin; any other
            // Origin passes through unchanged and is refused by the core.
            configure: (proxy) =>
              proxy.on('proxyReq', (proxyRequest, request) => {
                if (request.headers.origin === `http://${request.headers.host}`) proxyRequest.setHeader('origin', devApi);
              }),
          },
        }
      : undefined,
  },
});
