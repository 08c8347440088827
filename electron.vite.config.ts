/**
 * electron-vite build of the three parts: main (the Electron main process, the bundled web mode
 * and the indexing worker), preload (one sandbox-safe CommonJS file) and the Svelte renderer.
 */
import { relative, dirname, resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';

const root = import.meta.dirname;
const api = resolve(root, 'src-main/core/api.ts');

/** Worker modules that core starts with `new URL('./x-worker.ts', import.meta.url)`. */
const WORKERS = {
  'embed-worker': resolve(root, 'src-main/core/index/embed-worker.ts'),
  'scene-preview-worker': resolve(root, 'src-main/core/app/scene-preview-worker.ts'),
  'strip-worker': resolve(root, 'src-main/core/scene/strip-worker.ts'),
  'model-import-worker': resolve(root, 'src-main/core/models/model-import-worker.ts'),
};

/**
 * Module-level `const require = createRequire(import.meta.url)` in core clashes with the
 * `require` that electron-vite's ESM shim declares at the top of each chunk: drop ours, so
 * the code uses the shim's (the same function, resolved from the chunk).
 */
function sharedRequire(): Plugin {
  return {
    name: 'mslens:shared-require',
    enforce: 'pre',
    transform(code, id) {
      if (!id.startsWith(resolve(root, 'src-main'))) return null;
      const out = code.replace(/^const require = createRequire\(import\.meta\.url\);[ \t]*$/m, '');
      return out === code ? null : { code: out, map: null };
    },
  };
}

/**
 * Points `new URL('./embed-worker.ts', import.meta.url)` at the worker's bundled entry, from
 * whichever chunk the calling code lands in.
 */
function workerUrls(): Plugin {
  const marker = (name: string): string => `__MSLENS_WORKER_${name.replace(/-/g, '_')}__`;
  return {
    name: 'mslens:worker-urls',
    enforce: 'pre',
    transform(code, id) {
      if (!id.startsWith(resolve(root, 'src-main/core'))) return null;
      let out = code;
      for (const name of Object.keys(WORKERS)) {
        out = out.replace(new RegExp(`new URL\\(\\s*(['"])\\./${name}\\.ts\\1\\s*,\\s*import\\.meta\\.url\\s*\\)`, 'g'), `new URL(${JSON.stringify(marker(name))}, import.meta.url)`);
      }
      return out === code ? null : { code: out, map: null };
    },
    renderChunk(code, chunk) {
      let out = code;
      for (const name of Object.keys(WORKERS)) {
        const rel = relative(dirname(chunk.fileName), `${name}.js`).replace(/\\/g, '/');
        out = out.replaceAll(JSON.stringify(marker(name)), JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`));
      }
      return out === code ? null : { code: out, map: null };
    },
  };
}

export default defineConfig({
  main: {
    plugins: [workerUrls(), sharedRequire()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: { index: resolve(root, 'src-main/electron/main.ts'), web: resolve(root, 'src-main/server/web-main.ts'), ...WORKERS },
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require only 'electron': bundle zod and api.ts into it.
      externalizeDeps: false,
      rollupOptions: {
        input: { preload: resolve(root, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [svelte({ configFile: resolve(root, 'svelte.config.js') })],
    resolve: { alias: { $api: api } },
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: resolve(root, 'src-renderer/index.html') },
      chunkSizeWarningLimit: 2000,
    },
  },
});
