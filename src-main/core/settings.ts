import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAX_CLOUD } from './index/scl-fractions.ts';
import type { ProviderPreference } from './models/providers.ts';

export const SettingsSchema = z.object({
  /** Model used when a command names none. */
  defaultModel: z.string().default('mslens-spectral'),
  provider: z.enum(['auto', 'cuda', 'dml', 'coreml', 'cpu']).default('auto'),
  /** 'auto' runs a model's checked int8 (CPU) or fp16 (GPU) image encoder; 'fp32' always the float32 reference. */
  precision: z.enum(['auto', 'fp32']).default('auto'),
  /** Indexing skips tiles whose SCL cloud fraction is above this (scenes without SCL skip none). */
  maxCloud: z.number().min(0).max(1).default(DEFAULT_MAX_CLOUD),
});
export type Settings = z.infer<typeof SettingsSchema> & { provider: ProviderPreference };

/** Reads settings; a missing or damaged file gives the defaults (and is not overwritten until saved). */
export async function readSettings(path: string): Promise<Settings> {
  const raw = await readFile(path, 'utf8').then((s) => JSON.parse(s) as unknown, () => ({}));
  const parsed = SettingsSchema.safeParse(raw);
  return parsed.success ? parsed.data : SettingsSchema.parse({});
}

export async function writeSettings(path: string, settings: Settings): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(settings, null, 2)}\n`);
  await rename(tmp, path);
}
