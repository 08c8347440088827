/**
 * The implementation of every operation in api.ts, grouped by domain. The fronts reach these
 * only through dispatch(); a missing or mistyped handler fails to compile here.
 */
import type { Handlers } from '../api.ts';
import { analysisHandlers } from './analysis-handlers.ts';
import { appHandlers } from './app-handlers.ts';
import { makeHandlerContext, type HandlerDeps } from './handler-context.ts';
import { indexHandlers } from './index-handlers.ts';
import { modelHandlers } from './model-handlers.ts';
import { sceneHandlers } from './scene-handlers.ts';

export type { HandlerDeps } from './handler-context.ts';

export function createHandlers(deps: HandlerDeps): Handlers {
  const c = makeHandlerContext(deps);
  return { ...modelHandlers(c), ...sceneHandlers(c), ...indexHandlers(c), ...analysisHandlers(c), ...appHandlers(c) };
}
