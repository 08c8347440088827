// Execution providers: which are tried on each platform, and the real fallback to CPU when a
// provider's libraries are missing (as CUDA's are on this machine).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { batchSizeFor, candidateProviders, detectEnvironment, openSession, probeProviders, type ProviderEnvironment, type ProviderName } from '../../../src-main/core/models/providers.ts';
import { REPO } from '../../helpers/harness.ts';

const env = (platform: NodeJS.Platform, present: ProviderName[]): ProviderEnvironment => ({ platform, arch: 'x64', hasFiles: (p) => p === 'cpu' || present.includes(p) });

describe('candidateProviders', () => {
  test.each([
    ['linux with CUDA libraries', env('linux', ['cuda']), 'auto', ['cuda', 'cpu']],
    ['linux without them', env('linux', []), 'auto', ['cpu']],
    ['Windows with DirectML', env('win32', ['dml']), 'auto', ['dml', 'cpu']],
    ['Windows with CUDA and DirectML', env('win32', ['cuda', 'dml']), 'auto', ['cuda', 'dml', 'cpu']],
    ['macOS', env('darwin', ['coreml']), 'auto', ['coreml', 'cpu']],
    ['CPU forced', env('linux', ['cuda']), 'cpu', ['cpu']],
    ['DirectML asked for on Linux', env('linux', []), 'dml', ['cpu']],
  ] as const)('%s', (_name, e, pref, expected) => {
    expect(candidateProviders(e, pref)).toEqual(expected);
  });

  test('this machine has no GPU provider files, so CPU is the only candidate', () => {
    expect(candidateProviders(detectEnvironment())).toEqual(['cpu']);
  });
});

describe('openSession', () => {
  const model = readFileSync(join(REPO, 'models/mslens-spectral/image-encoder.onnx'));

  test('falls back from CUDA to CPU when CUDA fails to load, and says why', async () => {
    const { session, provider, fallbacks } = await openSession(model, ['cuda', 'cpu']);
    expect(provider).toBe('cpu');
    expect(fallbacks.map((f) => f.provider)).toEqual(['cuda']);
    expect(fallbacks[0].reason).toMatch(/Cuda|CUDA|shared library/);
    await session.release();
  });

  test('falls back through several providers', async () => {
    const { provider, fallbacks } = await probeProviders(['cuda', 'dml', 'coreml', 'cpu']);
    expect(provider).toBe('cpu');
    expect(fallbacks.map((f) => f.provider)).toEqual(['cuda', 'dml', 'coreml']);
  });

  test('a CPU failure is not swallowed', async () => {
    await expect(openSession(Uint8Array.from([1, 2, 3]), ['cpu'])).rejects.toThrow();
  });
});

test('batch size adapts to the provider and the tile', () => {
  expect(batchSizeFor('cuda', { tileSize: 224, bands: 10 })).toBeGreaterThan(batchSizeFor('cpu', { tileSize: 224, bands: 10 }));
  expect(batchSizeFor('cpu', { tileSize: 1024, bands: 10 })).toBeLessThan(batchSizeFor('cpu', { tileSize: 224, bands: 10 }));
  expect(batchSizeFor('cpu', { tileSize: 4096, bands: 13 })).toBe(1);
});
