// Vite build for the burnrate dashboard. Output goes to web/dist, which the
// next burnrate build compiles into the binary, served at "/" (or, for
// development, `burnrate serve --web-dir web/dist`). No CDN: everything the
// page needs is bundled here.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `npm run dev` proxies the API to a local `burnrate serve` on :8080.
    proxy: { '/v1': 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    setupFiles: ['test/setup.ts'],
  },
} as any);
