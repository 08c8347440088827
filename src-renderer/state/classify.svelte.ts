/** Zero-shot classification: the class list (with presets), every tile's label and probabilities. */
import type { ClassifyResult } from '$api';
import { messageOf } from '../lib/api-client';
import { assignClassColors } from '../lib/class-colors';
import type { Session } from './session.svelte';

export const PRESETS: { name: string; classes: string[] }[] = [
  { name: 'Land cover', classes: ['water', 'forest', 'cropland', 'built-up', 'bare soil', 'snow', 'cloud'] },
  { name: 'EuroSAT', classes: ['annual crop', 'forest', 'herbaceous vegetation', 'highway', 'industrial', 'pasture', 'permanent crop', 'residential', 'river', 'sea or lake'] },
  { name: 'Water and snow', classes: ['water', 'snow', 'cloud', 'land'] },
];

export class ClassifyState {
  readonly #session: Session;
  classes = $state<string[]>([...PRESETS[0].classes]);
  result = $state.raw<ClassifyResult | null>(null);
  opacity = $state(0.55);
  minProb = $state(0);
  running = $state(false);
  error = $state<string | null>(null);
  /** Palette index of each class of the result, in its order. */
  colors = $derived(assignClassColors(this.result?.classes ?? this.classes));

  constructor(session: Session) {
    this.#session = session;
  }

  clear(): void {
    this.result = null;
    this.error = null;
  }

  colorOf(label: string): number {
    const classes = this.result?.classes ?? this.classes;
    return this.colors[Math.max(0, classes.indexOf(label))];
  }

  async run(): Promise<void> {
    const s = this.#session;
    if (!s.index) {
      this.error = s.scene ? 'Index the scene first: click “Index scene” above.' : 'Open a scene first.';
      return;
    }
    const classes = [...new Set(this.classes.map((c) => c.trim()).filter(Boolean))];
    if (classes.length < 2) {
      this.error = 'Give at least two classes.';
      return;
    }
    this.running = true;
    this.error = null;
    try {
      this.result = await s.api.call('classify', { index: s.index.path, classes });
      s.hint = false;
      const lists = s.app?.recent.classLists ?? [];
      void s.remember({ classLists: [classes, ...lists.filter((l) => l.join('\n') !== classes.join('\n'))].slice(0, 12) });
    } catch (err) {
      this.error = messageOf(err);
    } finally {
      this.running = false;
    }
  }
}
