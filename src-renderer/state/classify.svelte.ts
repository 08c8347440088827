/**
 * Zero-shot classification: the class list (with presets), what the model can't do with it
 * (said before running), and every tile's label and probabilities.
 */
import type { ClassCheck, ClassifyResult } from '$api';
import { assignClassColors, UNCERTAIN, UNCERTAIN_COLOR } from '../lib/class-colors';
import { AnalysisOutcome } from './analysis-outcome.svelte';
import type { Session } from './session.svelte';

export const PRESETS: { name: string; classes: string[] }[] = [
  { name: 'Land cover', classes: ['water', 'forest', 'cropland', 'built-up', 'bare soil', 'snow', 'cloud'] },
  { name: 'EuroSAT', classes: ['annual crop', 'forest', 'herbaceous vegetation', 'highway', 'industrial', 'pasture', 'permanent crop', 'residential', 'river', 'sea or lake'] },
  { name: 'Water and snow', classes: ['water', 'snow', 'cloud', 'land'] },
];

const tidy = (classes: readonly string[]): string[] => [...new Set(classes.map((c) => c.trim()).filter(Boolean))];

export class ClassifyState extends AnalysisOutcome<ClassifyResult> {
  readonly #session: Session;
  classes = $state<string[]>([...PRESETS[0].classes]);
  opacity = $state(0.55);
  minProb = $state(0);
  /** What the index's model can't do with the class list as it stands; null until checked. */
  check = $state.raw<ClassCheck | null>(null);
  #checkSeq = 0;
  /** Palette index of each class of the result, in its order. */
  colors = $derived(assignClassColors(this.result?.classes ?? this.classes));
  /** The class list was edited after the result on the map was made. */
  edited = $derived(this.result !== null && this.result.classes.join('\n') !== tidy(this.classes).join('\n'));

  constructor(session: Session) {
    super();
    this.#session = session;
  }

  colorOf(label: string): number {
    if (label === UNCERTAIN && !(this.result?.classes ?? this.classes).includes(UNCERTAIN)) return UNCERTAIN_COLOR;
    const classes = this.result?.classes ?? this.classes;
    return this.colors[Math.max(0, classes.indexOf(label))];
  }

  /** Asks the model what it can't do with the class list; an answer for an older list is dropped. */
  async checkClasses(): Promise<void> {
    const s = this.#session;
    const classes = tidy(this.classes);
    const model = s.index?.modelId;
    const seq = ++this.#checkSeq;
    if (!model || classes.length === 0) {
      this.check = null;
      return;
    }
    try {
      const check = await s.api.call('checkClasses', { model, classes });
      if (seq === this.#checkSeq) this.check = check;
    } catch {
      // The check is advice; classify itself still says what is wrong.
      if (seq === this.#checkSeq) this.check = null;
    }
  }

  async run(): Promise<void> {
    const s = this.#session;
    const index = s.index;
    if (!index) return this.fail(s.scene ? 'Index the scene first: click “Index scene” above.' : 'Open a scene first.');
    const classes = tidy(this.classes);
    if (classes.length < 2) return this.fail('Give at least two classes.');
    const result = await this.settle(() => s.api.call('classify', { index: index.path, classes }));
    if (!result) return;
    s.hint = false;
    const lists = s.app?.recent.classLists ?? [];
    void s.remember({ classLists: [classes, ...lists.filter((l) => l.join('\n') !== classes.join('\n'))].slice(0, 12) });
  }
}
