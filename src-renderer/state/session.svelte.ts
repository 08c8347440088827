/**
 * The session: the open scene, the imagery the map reads for it and its display stretch, the
 * open index, the models, the running long job (demo, indexing) with its progress, and errors
 * shown beside the control that failed.
 */
import type { AppState, IndexSummary, ModelsList, RecentItems, SceneImagery, SceneStretch, SceneSummary, TileRef } from '$api';
import { ApiError, messageOf, type ApiClient, type Job } from '../lib/api-client';
import type { Stretch } from '../map/layers/scene-layer';

export type OpenedIndex = IndexSummary & { tiles: TileRef[] };
export type Tab = 'search' | 'classify' | 'similar' | 'models';
export type ErrorSlot = 'scene' | 'index' | 'models' | 'export' | 'app';

export interface TaskState {
  kind: 'demo' | 'index';
  message: string;
  done: number;
  total: number;
  tilesPerSecond?: number;
  etaSeconds?: number | null;
  provider?: string;
  /** Tiles skipped so far: SCL cloud above the threshold, too little valid data. */
  skippedCloudy?: number;
  skippedNodata?: number;
  job: Job<unknown> | null;
}

const front = <T>(list: readonly T[], item: T, max: number, same: (a: T, b: T) => boolean = (a, b) => a === b): T[] =>
  [item, ...list.filter((x) => !same(x, item))].slice(0, max);

export class Session {
  readonly api: ApiClient;
  scene = $state.raw<SceneSummary | null>(null);
  stretch = $state.raw<SceneStretch | null>(null);
  /** The file the map reads for the open scene; null until known (while a preview is prepared). */
  imagery = $state.raw<SceneImagery | null>(null);
  /** Progress of the map preview being prepared for the open scene. */
  preparing = $state.raw<{ done: number; total: number } | null>(null);
  #imageryJob: Job<SceneImagery> | null = null;
  /** The scene the imagery, or the job preparing it, is for. */
  #imageryFor: string | null = null;
  display = $state<Stretch>({ min: 0, max: 3000, gamma: 1 });
  index = $state.raw<OpenedIndex | null>(null);
  models = $state.raw<ModelsList | null>(null);
  app = $state.raw<AppState | null>(null);
  task = $state.raw<TaskState | null>(null);
  /** What is being opened, while it is. */
  opening = $state<string | null>(null);
  errors = $state<Partial<Record<ErrorSlot, string>>>({});
  tab = $state<Tab>('search');
  /** The analysis on the map: the last of the search, classify and similar tabs. */
  mode = $state<Exclude<Tab, 'models'>>('search');
  /** A short message that fades (an export done, a menu action). */
  notice = $state<string | null>(null);
  /** Model to index with (null: the default). */
  modelChoice = $state<string | null>(null);
  /** The first-run hint over the map. */
  hint = $state(false);
  /** Ask for a path (web mode has no file dialog). */
  /** 'model': a downloaded checkpoint, handed to `submit`, which returns why it was refused (or null). */
  pathPrompt = $state<{ purpose: 'scene' | 'index' } | { purpose: 'model'; submit: (path: string) => Promise<string | null> } | null>(null);

  constructor(api: ApiClient) {
    this.api = api;
  }

  get defaultModel(): string | null {
    return this.models?.models.find((m) => m.isDefault)?.id ?? null;
  }

  get indexing(): boolean {
    return this.task?.kind === 'index';
  }

  selectTab(tab: Tab): void {
    this.tab = tab;
    if (tab !== 'models') this.mode = tab;
  }

  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  notify(message: string): void {
    this.notice = message;
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => { this.notice = null; }, 6000);
  }

  setError(slot: ErrorSlot, err: unknown): void {
    this.errors = { ...this.errors, [slot]: err === null ? undefined : messageOf(err) };
  }

  /** Loads what the app remembers, then opens the last scene, or the demo on a first run. */
  async start(): Promise<void> {
    try {
      const [app, models] = await Promise.all([this.api.call('appState', {}), this.api.call('listModels', {})]);
      this.app = app;
      this.models = models;
    } catch (err) {
      this.setError('app', err);
      return;
    }
    const last = this.app.recent.scenes[0];
    if (last && !this.app.firstRun) {
      await this.openScene(last);
      if (this.scene) return;
    }
    this.hint = true;
    await this.openDemo();
  }

  async refreshModels(): Promise<void> {
    try {
      this.models = await this.api.call('listModels', {});
      this.setError('models', null);
    } catch (err) {
      this.setError('models', err);
    }
  }

  /** Opens the demo scene, writing it first if it is not there yet. */
  async openDemo(): Promise<void> {
    const app = this.app;
    if (!app) return;
    let scenePath = app.demo.scenePath;
    if (!app.demo.exists) {
      const job = this.api.job('makeDemo', {}, (p) => this.progress(p));
      this.task = { kind: 'demo', message: 'Writing the demo scene', done: 0, total: 1, job };
      try {
        scenePath = (await job.result).scenePath;
        this.app = { ...app, demo: { scenePath, exists: true } };
      } catch (err) {
        this.setError('scene', err);
        return;
      } finally {
        this.task = null;
      }
    }
    await this.openScene(scenePath);
  }

  /**
   * Opens a scene; returns why it could not, or null. The error goes beside the scene card, or
   * only to the caller with `quiet` (the path prompt shows it inline). A scene that opens clears
   * the errors of the one before.
   */
  async openScene(path: string, opts: { keepIndex?: boolean; quiet?: boolean } = {}): Promise<string | null> {
    this.opening = 'Opening the scene…';
    if (!opts.quiet) this.setError('scene', null);
    try {
      const scene = await this.api.call('openScene', { path });
      const stretch = await this.api.call('sceneStretch', { path: scene.path });
      this.scene = scene;
      this.stretch = stretch;
      this.errors = {};
      void this.loadImagery(scene.path);
      this.display = { min: stretch.min, max: stretch.max, gamma: 1 };
      if (!opts.keepIndex) this.index = null;
      await this.remember({ scenes: front(this.app?.recent.scenes ?? [], scene.path, 12) });
      if (!opts.keepIndex) await this.reopenIndex(scene.path);
      return null;
    } catch (err) {
      if (!opts.quiet) this.setError('scene', err);
      return messageOf(err);
    } finally {
      this.opening = null;
    }
  }

  /**
   * Asks what the map reads for the scene: at once for a GeoTIFF with overviews, else after its
   * preview is prepared (or found in the cache). A newer scene cancels the preparation.
   */
  private async loadImagery(path: string): Promise<void> {
    if (this.#imageryFor === path && this.#imageryJob) return; // already being prepared
    void this.#imageryJob?.cancel();
    this.#imageryFor = path;
    this.imagery = null;
    const job = this.api.job('sceneImagery', { path }, (p) => {
      if (this.#imageryJob === job) this.preparing = { done: p.done, total: p.total };
    });
    this.#imageryJob = job;
    this.preparing = null;
    try {
      const imagery = await job.result;
      if (this.#imageryJob === job) this.imagery = imagery;
    } catch (err) {
      if (this.#imageryJob === job && !(err instanceof ApiError && err.code === 'CANCELLED')) {
        this.setError('scene', new ApiError({ code: err instanceof ApiError ? err.code : 'INTERNAL', message: `The map cannot show this scene's imagery: ${messageOf(err)} Search and classification still work.`, detail: {} }));
      }
    } finally {
      if (this.#imageryJob === job) {
        this.#imageryJob = null;
        this.preparing = null;
      }
    }
  }

  /** Re-opens the index last built for this scene, if it is still there. */
  private async reopenIndex(scenePath: string): Promise<void> {
    const known = this.app?.recent.indexes.find((x) => x.scene === scenePath);
    if (!known) return;
    try {
      const index = await this.api.call('openIndex', { index: known.index });
      if (index.scenePath === scenePath) this.index = index;
    } catch {
      // The index was deleted or is stale: the analyst builds it again.
    }
  }

  /** Opens an index and its scene; returns why it could not, or null (see openScene for `quiet`). */
  async openIndex(path: string, opts: { quiet?: boolean } = {}): Promise<string | null> {
    this.opening = 'Opening the index…';
    if (!opts.quiet) this.setError('index', null);
    try {
      const index = await this.api.call('openIndex', { index: path });
      if (this.scene?.path !== index.scenePath) {
        const failed = await this.openScene(index.scenePath, { keepIndex: true, quiet: true });
        if (failed) throw new ApiError({ code: 'SCENE_UNREADABLE', message: `The index opened, but not its scene: ${failed}`, detail: { path: index.scenePath } });
      }
      this.index = index;
      this.setError('index', null);
      await this.remember({ indexes: front(this.app?.recent.indexes ?? [], { scene: index.scenePath, index: index.path }, 12, (a, b) => a.scene === b.scene) });
      return null;
    } catch (err) {
      if (!opts.quiet) this.setError('index', err);
      return messageOf(err);
    } finally {
      this.opening = null;
    }
  }

  /** Opens what the path prompt or a file dialog was asked for. */
  open(purpose: 'scene' | 'index', path: string, opts: { quiet?: boolean } = {}): Promise<string | null> {
    return purpose === 'scene' ? this.openScene(path, opts) : this.openIndex(path, opts);
  }

  /** Embeds every tile of the open scene (in a worker), then opens the index. */
  async buildIndex(): Promise<void> {
    const scene = this.scene;
    if (!scene || this.task) return;
    this.setError('index', null);
    const model = this.modelChoice ?? undefined;
    const job = this.api.job('buildIndex', { scene: scene.path, ...(model ? { model } : {}) }, (p) => this.progress(p));
    this.task = { kind: 'index', message: 'Starting', done: 0, total: scene.tiles.count, job };
    try {
      const built = await job.result;
      this.task = null;
      await this.openIndex(built.path);
      void this.refreshModels();
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 'CANCELLED')) this.setError('index', err);
      else this.setError('index', new ApiError({ code: 'CANCELLED', message: 'Indexing was cancelled. Nothing was written; start it again when you are ready.', detail: {} }));
    } finally {
      if (this.task?.job?.jobId === job.jobId) this.task = null;
    }
  }

  async cancelTask(): Promise<void> {
    await this.task?.job?.cancel();
  }

  private progress(p: { message: string; done: number; total: number; tilesPerSecond?: number; etaSeconds?: number | null; provider?: string; skippedCloudy?: number; skippedNodata?: number }): void {
    if (!this.task) return;
    const { message, done, total, tilesPerSecond, etaSeconds, provider, skippedCloudy, skippedNodata } = p;
    this.task = { ...this.task, message, done, total, tilesPerSecond, etaSeconds, provider, skippedCloudy, skippedNodata };
  }

  async remember(recent: Partial<RecentItems>): Promise<void> {
    try {
      this.app = await this.api.call('saveAppState', { recent });
    } catch {
      // Remembering is a convenience; the analyst's work goes on without it.
    }
  }
}
