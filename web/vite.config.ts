// The web console: `npm run build:web` builds web/ into web/dist, which `lectern serve` serves at /.
// `npx vite web` runs it with hot reload against a Lectern on :8080 (the API is proxied).
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/v1': 'http://localhost:8080', '/docs': 'http://localhost:8080' } },
});
