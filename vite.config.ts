import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console's build. `npm run dev` forwards /api to the proxy (sim mode by default); `npm run dev:mock`
// serves the app alone with msw answering /api in the browser. The production bundle never contains msw:
// it is only imported behind `import.meta.env.VITE_API_MOCKING`, which the build leaves false.
export default defineConfig(({ mode }) => ({
  plugins: [react()],
  // The path aliases (@ecs, @web, …) are declared once, in tsconfig.json; Vite, Vitest, tsx and Playwright read them there.
  resolve: { tsconfigPaths: true },
  // The msw service worker is served only in mock mode, so it never ships in the production build.
  publicDir: mode === 'mock' ? 'web/mock-public' : false,
  build: {
    outDir: 'dist/web',
    emptyOutDir: true,
    sourcemap: true,
    assetsDir: 'assets',
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: {
      '/api': { target: process.env.VITE_PROXY_TARGET ?? 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
}));
