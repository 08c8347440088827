/** The app layer the fronts share: the op runner (jobs, events, served files) and its parts. */
export { createOpRunner, type EventListener, type OpRunner, type RunOptions } from './op-runner.ts';
export { ServedFiles, parseRange, type ByteRange, type FileResponse } from './served-files.ts';
export { readAppState, saveAppState, type AppState, type RecentItems } from './app-state.ts';
export { sceneStretch, type SceneStretch } from './scene-stretch.ts';
export { sceneImagery, type SceneImagery, type SceneImageryOptions } from './scene-preview.ts';
export { RENDERER_CSP } from './renderer-csp.ts';
