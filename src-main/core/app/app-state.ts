/**
 * What the app remembers between runs, in `ui-state.json` in the data folder: recent scenes,
 * queries and class lists. A missing or damaged file reads as a first run.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { DataHome } from '../data-home.ts';
import { writeFileAtomically } from '../index/atomic-write.ts';

export const RECENT_LIMIT = 12;

export const RecentSchema = z.object({
  scenes: z.array(z.string().min(1).max(4096)).max(RECENT_LIMIT),
  queries: z.array(z.string().min(1).max(500)).max(RECENT_LIMIT * 2),
  classLists: z.array(z.array(z.string().min(1).max(200)).min(2).max(100)).max(RECENT_LIMIT),
  /** The index last built or opened for each scene. */
  indexes: z.array(z.object({ scene: z.string().min(1).max(4096), index: z.string().min(1).max(4096) })).max(RECENT_LIMIT),
});
export type RecentItems = z.infer<typeof RecentSchema>;

export interface AppState {
  /** True until the app has saved its state once. */
  firstRun: boolean;
  dataHome: string;
  /** Where `makeDemo` writes the demo scene by default, and whether it is there. */
  demo: { scenePath: string; exists: boolean };
  recent: RecentItems;
}

const EMPTY: RecentItems = { scenes: [], queries: [], classLists: [], indexes: [] };

export const uiStatePath = (home: DataHome): string => join(home.root, 'ui-state.json');
export const demoScenePath = (home: DataHome): string => join(home.root, 'demo', 'demo-s2l2a-2240.tif');

async function exists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

export async function readAppState(home: DataHome): Promise<AppState> {
  const raw = await readFile(uiStatePath(home), 'utf8').then((s) => JSON.parse(s) as unknown, () => null);
  const parsed = RecentSchema.safeParse({ ...EMPTY, ...((raw as { recent?: object } | null)?.recent ?? {}) });
  const scenePath = demoScenePath(home);
  return {
    firstRun: raw === null,
    dataHome: home.root,
    demo: { scenePath, exists: await exists(scenePath) },
    recent: parsed.success ? parsed.data : EMPTY,
  };
}

/** Merges `recent` into the stored state (each list replaced when given) and saves it. */
export async function saveAppState(home: DataHome, recent: Partial<RecentItems>): Promise<AppState> {
  const current = await readAppState(home);
  const next = RecentSchema.parse({ ...current.recent, ...recent });
  const path = uiStatePath(home);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomically(path, (f) => f.writeFile(`${JSON.stringify({ recent: next }, null, 2)}\n`).then(() => {}));
  return { ...current, firstRun: false, recent: next };
}
