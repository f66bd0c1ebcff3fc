import { defineConfig } from 'vite';

/**
 * The dashboards: two small SPAs (member, admin) built into dist/web by `npm run build`, served
 * by src/http/web.ts. Everything comes out of this build (no CDN), so kios works offline on a LAN.
 * Run from the repository root: `vite build web`.
 */
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/',
  // JSX through Vite's own transform (oxc); no framework plugin needed for a production build.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: {
    // Preact's React-compat is not used; pages import from 'preact' and 'preact/hooks'.
    dedupe: ['preact'],
  },
  build: {
    outDir: new URL('../dist/web', import.meta.url).pathname,
    emptyOutDir: true,
    assetsDir: 'assets',
    // The polyfill would be inlined into the entry; every browser we target has modulepreload.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    rolldownOptions: {
      input: {
        member: new URL('./member/index.html', import.meta.url).pathname,
        admin: new URL('./admin/index.html', import.meta.url).pathname,
      },
      // The code both realms share (Preact, web/src/lib) would otherwise be named after one of its modules.
      output: {
        chunkFileNames: 'assets/shared-[hash].js',
        assetFileNames: (a) => (a.names.some((n) => n.endsWith('.css')) ? 'assets/styles-[hash][extname]' : 'assets/[name]-[hash][extname]'),
      },
    },
  },
});
