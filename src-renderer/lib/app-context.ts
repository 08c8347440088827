/** The app's state objects, shared with every component through context. */
import { getContext, setContext } from 'svelte';
import type { ApiClient } from './api-client';
import type { ClassifyState } from '../state/classify.svelte';
import type { SearchState } from '../state/search.svelte';
import type { Session } from '../state/session.svelte';
import type { SimilarState } from '../state/similar.svelte';

export interface AppContext {
  api: ApiClient;
  session: Session;
  search: SearchState;
  classify: ClassifyState;
  similar: SimilarState;
  exportResults(): Promise<void>;
}

const KEY = Symbol('mslens.app');

export const setApp = (ctx: AppContext): AppContext => setContext(KEY, ctx);

export function getApp(): AppContext {
  const ctx = getContext<AppContext | undefined>(KEY);
  if (!ctx) throw new Error('getApp() outside the app.');
  return ctx;
}
