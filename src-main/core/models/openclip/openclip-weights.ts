/**
 * The open_clip state_dict layout: finds the key prefix (MS-CLIP's `clip_base_model.model.`,
 * none for plain open_clip, `module.` from DDP training), and checks every tensor the
 * encoders need against the config before anything is built.
 */
import { MslensError } from '../../errors.ts';
import type { OpenClipConfig } from './openclip-config.ts';
import type { WeightSource } from './weight-source.ts';

/** Preferred prefixes, in order, when several key sets are present (MS-CLIP stores three aliases). */
const PREFERRED_PREFIXES = ['clip_base_model.model.', '', 'model.', 'module.'];
const ANCHOR = 'visual.conv1.weight';

export interface OpenClipWeights {
  /** The prefix in front of the open_clip names, e.g. `clip_base_model.model.`. */
  readonly prefix: string;
  /** Input channels of the patch embedding (10 for MS-CLIP, 3 for RGB CLIP). */
  readonly bands: number;
  has(name: string): boolean;
  shape(name: string): number[];
  /** Reads an open_clip-named tensor (without prefix), checking its shape. */
  read(name: string, shape: readonly number[]): Promise<Float32Array>;
}

function modelError(message: string, detail: Record<string, string | number> = {}): MslensError {
  return new MslensError('MODEL_LOAD_FAILED', message, detail);
}

export function findPrefix(keys: readonly string[]): string {
  const candidates = keys.filter((k) => k.endsWith(ANCHOR)).map((k) => k.slice(0, -ANCHOR.length));
  if (candidates.length === 0) {
    throw modelError(`This checkpoint has no ${ANCHOR}, so it is not an open_clip ViT model. Check that you picked the right file (for MS-CLIP: Llama3_MS_CLIP_weights.pt).`, { keys: keys.length });
  }
  for (const p of PREFERRED_PREFIXES) if (candidates.includes(p)) return p;
  return [...candidates].sort((a, b) => a.length - b.length)[0];
}

const BLOCK_TENSORS = (w: number, mlp: number): [string, number[]][] => [
  ['ln_1.weight', [w]],
  ['ln_1.bias', [w]],
  ['attn.in_proj_weight', [3 * w, w]],
  ['attn.in_proj_bias', [3 * w]],
  ['attn.out_proj.weight', [w, w]],
  ['attn.out_proj.bias', [w]],
  ['ln_2.weight', [w]],
  ['ln_2.bias', [w]],
  ['mlp.c_fc.weight', [mlp, w]],
  ['mlp.c_fc.bias', [mlp]],
  ['mlp.c_proj.weight', [w, mlp]],
  ['mlp.c_proj.bias', [w]],
];

/** Every tensor (open_clip name → shape) the two encoders read, for a config and band count. */
export function expectedTensors(cfg: OpenClipConfig, bands: number): Map<string, number[]> {
  const v = cfg.vision;
  const t = cfg.text;
  const grid = v.imageSize / v.patchSize;
  const m = new Map<string, number[]>([
    ['visual.conv1.weight', [v.width, bands, v.patchSize, v.patchSize]],
    ['visual.class_embedding', [v.width]],
    ['visual.positional_embedding', [grid * grid + 1, v.width]],
    ['visual.ln_post.weight', [v.width]],
    ['visual.ln_post.bias', [v.width]],
    ['visual.proj', [v.width, cfg.embedDim]],
    ['token_embedding.weight', [t.vocabSize, t.width]],
    ['positional_embedding', [t.contextLength, t.width]],
    ['ln_final.weight', [t.width]],
    ['ln_final.bias', [t.width]],
    ['text_projection', [t.width, cfg.embedDim]],
  ]);
  if (v.lnPre) {
    m.set('visual.ln_pre.weight', [v.width]);
    m.set('visual.ln_pre.bias', [v.width]);
  }
  for (let i = 0; i < v.layers; i++) for (const [n, s] of BLOCK_TENSORS(v.width, v.mlpWidth)) m.set(`visual.transformer.resblocks.${i}.${n}`, s);
  for (let i = 0; i < t.layers; i++) for (const [n, s] of BLOCK_TENSORS(t.width, t.mlpWidth)) m.set(`transformer.resblocks.${i}.${n}`, s);
  return m;
}

/** Transformer blocks present in the checkpoint for a tower: one more than the highest block index. */
function blockCount(keys: readonly string[], prefix: string, tower: string): number {
  const head = `${prefix}${tower}.resblocks.`;
  let n = 0;
  for (const k of keys) {
    if (!k.startsWith(head)) continue;
    const i = Number.parseInt(k.slice(head.length), 10);
    if (Number.isInteger(i) && i + 1 > n) n = i + 1;
  }
  return n;
}

/**
 * The config's sizes against the checkpoint's tensors, before anything is sized from the config
 * (a config that asked for 10⁹ layers once filled 3.3 GB listing the tensors it expected).
 */
function checkSizes(source: WeightSource, keys: readonly string[], keySet: ReadonlySet<string>, prefix: string, cfg: OpenClipConfig): void {
  const mismatch = (what: string, config: number, checkpoint: number, field: string): never => {
    throw modelError(`The open_clip config gives ${what} ${config}, but the checkpoint has ${checkpoint}. Use the config that belongs to this checkpoint.`, { field, config, checkpoint });
  };
  for (const [tower, layers, what, field] of [['visual.transformer', cfg.vision.layers, 'image transformer layers', 'vision_cfg.layers'], ['transformer', cfg.text.layers, 'text transformer layers', 'text_cfg.layers']] as const) {
    const n = blockCount(keys, prefix, tower);
    if (n !== layers) mismatch(what, layers, n, field);
  }
  const width = (key: string, dim: number): number | null => (keySet.has(prefix + key) ? source.shape(prefix + key)[dim] ?? null : null);
  const checks: [string, number, number | null, string][] = [
    ['an image width of', cfg.vision.width, width(ANCHOR, 0), 'vision_cfg.width'],
    ['a text width of', cfg.text.width, width('ln_final.weight', 0), 'text_cfg.width'],
    ['an embedding size of', cfg.embedDim, width('text_projection', 1), 'embed_dim'],
  ];
  for (const [what, config, checkpoint, field] of checks) if (checkpoint !== null && checkpoint !== config) mismatch(what, config, checkpoint, field);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Wraps a WeightSource for one open_clip model and validates it against the config: as many
 * transformer blocks as the config says, and every tensor present with the right shape. Errors name the
 * first mismatch and suggest the likely cause (wrong config for this checkpoint).
 */
export function openClipWeights(source: WeightSource, cfg: OpenClipConfig): OpenClipWeights {
  const keys = source.keys();
  const keySet = new Set(keys);
  const prefix = findPrefix(keys);
  const conv = source.shape(prefix + ANCHOR);
  if (conv.length !== 4 || conv[2] !== conv[3]) {
    throw modelError(`${ANCHOR} has shape ${fmt(conv)}; expected [width, bands, patch, patch].`, { key: prefix + ANCHOR });
  }
  const bands = conv[1];
  checkSizes(source, keys, keySet, prefix, cfg);
  const expected = expectedTensors(cfg, bands);
  for (const [name, shape] of expected) {
    const key = prefix + name;
    if (!keySet.has(key)) {
      throw modelError(`The checkpoint has no ${key}, which the open_clip config requires. The config probably does not match this checkpoint (layers, width or variant).`, { key });
    }
    const actual = source.shape(key);
    if (!sameShape(actual, shape)) {
      throw modelError(`${key} has shape ${fmt(actual)} but the open_clip config implies ${fmt(shape)}. Use the config that belongs to this checkpoint.`, { key, actual: fmt(actual), expected: fmt(shape) });
    }
  }
  return {
    prefix,
    bands,
    has: (name) => keySet.has(prefix + name),
    shape: (name) => source.shape(prefix + name),
    async read(name, shape) {
      const key = prefix + name;
      const actual = source.shape(key);
      if (!sameShape(actual, shape)) throw modelError(`${key} has shape ${fmt(actual)}, expected ${fmt(shape)}.`, { key });
      const data = await source.read(key);
      const n = shape.reduce((a, b) => a * b, 1);
      if (data.length !== n) throw modelError(`${key}: read ${data.length} values, expected ${n}.`, { key });
      return data;
    },
  };
}
