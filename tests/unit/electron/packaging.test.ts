// Packaging can't run here (electron-builder downloads Electron), so check what can be checked:
// the electron-builder config passes its schema, and after a build every file it names exists,
// as do the entry points main.ts loads (preload, renderer) and what is unpacked from the asar.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { build } from 'electron-vite';
import { REPO } from '../../helpers/harness.ts';

const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(dir: string, path: string | null, extra: null): Promise<Record<string, unknown>>;
  validateConfiguration(config: Record<string, unknown>, logger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

interface BuilderConfig {
  files: (string | { filter: string[] })[];
  asarUnpack: string[];
  extraMetadata: { main: string };
  directories: { output: string; buildResources: string };
  linux: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
}
let config: BuilderConfig;

/** Files under REPO matching a simple glob (`**`, `*`; a leading `!` excludes). */
function matches(pattern: string): string[] {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\//g, '\0').replace(/\*\*/g, '\u0001').replace(/\*/g, '[^/]*');
  const re = new RegExp(`^${body.replace(/\0/g, '(?:.*/)?').replace(/\u0001/g, '.*')}$`);
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { if (e.name !== '.git' && !(rel === '' && e.name === 'node_modules' && !pattern.includes('node_modules'))) walk(join(dir, e.name), r); }
      else if (re.test(r)) out.push(r);
    }
  };
  const top = pattern.split('/')[0];
  if (!pattern.includes('*')) return existsSync(join(REPO, pattern)) ? [pattern] : [];
  walk(top.includes('*') ? REPO : join(REPO, top), top.includes('*') ? '' : top);
  return out;
}

beforeAll(async () => {
  await build({ root: REPO, logLevel: 'silent' });
  config = (await getConfig(REPO, join(REPO, 'electron-builder.yml'), null)) as unknown as BuilderConfig;
}, 120_000);

describe('electron-builder config', () => {
  test('passes electron-builder’s own schema', async () => {
    await expect(validateConfiguration(config as never, new DebugLogger(false))).resolves.toBeUndefined();
  });

  test('builds AppImage and deb, NSIS, and dmg', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  test('every file it names exists after the build', () => {
    const patterns = config.files.flatMap((f) => (typeof f === 'string' ? [f] : f.filter));
    expect(patterns).toEqual(expect.arrayContaining(['out/**', 'models/mslens-spectral/**']));
    for (const pattern of patterns.filter((p) => !p.startsWith('!'))) {
      expect(matches(pattern), pattern).not.toEqual([]);
    }
    for (const icon of [config.linux.icon, config.win.icon, config.mac.icon]) expect(existsSync(join(REPO, icon)), icon).toBe(true);
    expect(existsSync(join(REPO, config.extraMetadata.main))).toBe(true);
    expect(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).main).toBe(`./${config.extraMetadata.main}`);
  });

  test('unpacks onnxruntime-node’s native files and the models from the asar', () => {
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/node_modules/onnxruntime-node/**', 'models/**']));
    const native = matches('node_modules/onnxruntime-node/**').filter((f) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f));
    expect(native.length).toBeGreaterThan(0);
    expect(matches('models/**').some((f) => f.endsWith('manifest.json'))).toBe(true);
    expect(matches('models/**').some((f) => f.endsWith('.onnx'))).toBe(true);
  });

  test('the build has what main.ts loads: preload, renderer, and every worker core spawns', () => {
    for (const f of ['out/main/index.js', 'out/main/web.js', 'out/main/embed-worker.js', 'out/preload/preload.cjs', 'out/renderer/index.html']) {
      expect(existsSync(join(REPO, f)), f).toBe(true);
    }
    // Each worker core starts (spawnWorker or runWorkerJob with `new URL('./name.ts', import.meta.url)`) needs out/main/name.js.
    const spawned = (readdirSync(join(REPO, 'src-main/core'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join(REPO, 'src-main/core', f), 'utf8').matchAll(/(?:spawnWorker|runWorkerJob(?:<[^(]*>)?)\(new URL\('\.\/([\w-]+)\.ts'/g)].map((m) => m[1]));
    expect(spawned).toEqual(expect.arrayContaining(['embed-worker', 'scene-preview-worker', 'strip-worker']));
    for (const name of spawned) expect(existsSync(join(REPO, 'out/main', `${name}.js`)), name).toBe(true);
    const main = readFileSync(join(REPO, 'out/main/index.js'), 'utf8');
    expect(main).toContain('../preload/preload.cjs');
    // A sandboxed preload must be CommonJS with only `electron` required.
    const preload = readFileSync(join(REPO, 'out/preload/preload.cjs'), 'utf8');
    expect([...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);
  });
});
