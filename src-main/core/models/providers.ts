/**
 * Execution providers: which ONNX Runtime backends to try, in order, and the fallback to CPU.
 * CUDA needs onnxruntime-node's CUDA provider libraries, which are not on npm (see README);
 * DirectML ships with the Windows build; CoreML is part of the macOS build.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from './onnx/runtime.ts';
import { GraphBuilder } from './onnx/graph-builder.ts';

export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';
export type ProviderPreference = ProviderName | 'auto';

export interface ProviderEnvironment {
  platform: NodeJS.Platform;
  arch: string;
  /** Whether a provider's runtime files are present. */
  hasFiles: (provider: ProviderName) => boolean;
}

const require = createRequire(import.meta.url);

function ortBinDir(platform: NodeJS.Platform, arch: string): string {
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', platform, arch);
}

export function detectEnvironment(): ProviderEnvironment {
  const { platform, arch } = process;
  const bin = ortBinDir(platform, arch);
  return {
    platform,
    arch,
    hasFiles: (p) => {
      switch (p) {
        case 'cuda': return existsSync(join(bin, platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'));
        case 'dml': return existsSync(join(bin, 'DirectML.dll'));
        case 'coreml': return platform === 'darwin';
        case 'cpu': return true;
      }
    },
  };
}

/** Providers to try, best first; CPU is always last. */
export function candidateProviders(env: ProviderEnvironment, preference: ProviderPreference = 'auto'): ProviderName[] {
  const byPlatform: Record<string, ProviderName[]> = {
    linux: ['cuda'],
    win32: ['cuda', 'dml'],
    darwin: ['coreml'],
  };
  const gpu = preference === 'auto' ? (byPlatform[env.platform] ?? []) : preference === 'cpu' ? [] : [preference];
  return [...gpu.filter((p) => env.hasFiles(p)), 'cpu'];
}

/** Tiles per inference batch. Larger batches pay off on a GPU; on CPU they only cost memory. */
export function batchSizeFor(provider: ProviderName, opts: { tileSize: number; bands: number }): number {
  const bytesPerTile = opts.tileSize * opts.tileSize * opts.bands * 4;
  const budget = provider === 'cpu' ? 64 * 2 ** 20 : 512 * 2 ** 20;
  const cap = provider === 'cpu' ? 16 : 64;
  return Math.max(1, Math.min(cap, Math.floor(budget / bytesPerTile)));
}

export interface OpenedSession {
  session: ort.InferenceSession;
  provider: ProviderName;
  /** Providers that were tried first and failed, with why. */
  fallbacks: { provider: ProviderName; reason: string }[];
}

export type SessionFactory = (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;

const defaultFactory: SessionFactory = (model, options) =>
  typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);

/** Opens a session on the first provider that loads, falling back towards CPU. */
export async function openSession(
  model: string | Uint8Array,
  providers: readonly ProviderName[],
  opts: { threads?: number; factory?: SessionFactory } = {},
): Promise<OpenedSession> {
  const fallbacks: OpenedSession['fallbacks'] = [];
  const factory = opts.factory ?? defaultFactory;
  for (const provider of providers) {
    try {
      const session = await factory(model, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: opts.threads ?? 0,
        // The arena keeps every batch-sized intermediate it ever allocated; without it peak
        // memory follows the batch instead of growing with it.
        enableCpuMemArena: false,
        logSeverityLevel: 3,
        // Spinning worker threads help an idle machine by a few per cent and cost ~1.7× when
        // another process competes for the cores (measured with the int8 ViT-B/16).
        ...(provider === 'cpu' ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
      });
      return { session, provider, fallbacks };
    } catch (err) {
      fallbacks.push({ provider, reason: (err as Error).message.split('\n')[0] });
      if (provider === 'cpu') throw err;
    }
  }
  throw new Error('no execution provider was tried');
}

/**
 * Which provider sessions will actually run on: opens a one-node model on the candidates in
 * order, so a provider whose libraries fail to load shows up as a fallback, not a surprise.
 */
export async function probeProviders(providers: readonly ProviderName[], factory?: SessionFactory): Promise<Pick<OpenedSession, 'provider' | 'fallbacks'>> {
  const { session, provider, fallbacks } = await openSession(probeModel(), providers, { threads: 1, factory });
  await session.release();
  return { provider, fallbacks };
}

function probeModel(): Uint8Array {
  const g = new GraphBuilder('mslens-probe');
  g.input('x', 'float32', [1]);
  g.alias('x', 'y');
  g.output('y', 'float32', [1]);
  return g.toBytes({ opset: 17 });
}
