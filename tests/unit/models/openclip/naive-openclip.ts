/**
 * Test helpers: a random open_clip state_dict in memory, and a naive float64 forward pass
 * written straight from open_clip's Python (no ONNX), to check the graphs independently.
 */
import type { OpenClipConfig } from '../../../../src-main/core/models/openclip/openclip-config.ts';
import { expectedTensors } from '../../../../src-main/core/models/openclip/openclip-weights.ts';
import type { WeightSource } from '../../../../src-main/core/models/openclip/weight-source.ts';
import { memoryWeightSource } from '../../../../src-main/core/models/openclip/weight-source.ts';

/** Deterministic normal random numbers (mulberry32 + Box-Muller). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  const uni = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uni())) * Math.cos(2 * Math.PI * uni());
}

export type Tensors = Map<string, { shape: number[]; data: Float32Array }>;

/** Random weights in the open_clip layout (same scale rules as the openclip-ref fixture). */
export function randomOpenClipTensors(cfg: OpenClipConfig, bands: number, seed = 1, prefix = ''): Tensors {
  const randn = rng(seed);
  const out: Tensors = new Map();
  const tensors = expectedTensors(cfg, bands);
  tensors.set('logit_scale', []);
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const width = shape[shape.length - 1];
    let f: (i: number) => number;
    if (/ln_\w+\.weight$|ln_final\.weight$/.test(name)) f = () => 1 + 0.1 * randn();
    else if (name === 'logit_scale') f = () => Math.log(1 / 0.07) + 0.3 * randn();
    else if (name.endsWith('c_fc.weight')) f = () => (2 / Math.sqrt(width)) * randn();
    else if (name.endsWith('c_fc.bias')) f = () => 0.5 * randn();
    else if (name.endsWith('.bias')) f = () => 0.1 * randn();
    else if (name.endsWith('conv1.weight')) f = () => 0.02 * randn();
    else if (name.endsWith('class_embedding')) f = () => randn() / Math.sqrt(width);
    else f = () => randn() / Math.sqrt(width); // linear weights, embeddings, projections
    for (let i = 0; i < n; i++) data[i] = f(i);
    out.set(prefix + name, { shape, data });
  }
  return out;
}

export function sourceOf(t: Tensors): WeightSource {
  return memoryWeightSource(t);
}

type Mat = Float64Array[]; // rows

function layerNorm(x: Mat, g: Float32Array, b: Float32Array, eps = 1e-5): Mat {
  return x.map((r) => {
    const n = r.length;
    let m = 0;
    for (const v of r) m += v;
    m /= n;
    let s = 0;
    for (const v of r) s += (v - m) * (v - m);
    const inv = 1 / Math.sqrt(s / n + eps);
    return Float64Array.from(r, (v, i) => (v - m) * inv * g[i] + b[i]);
  });
}

/** x [S, in] @ Wᵀ (W [out, in]) + b */
function linear(x: Mat, w: Float32Array, b: Float32Array | null, out: number): Mat {
  const inp = x[0].length;
  return x.map((r) => {
    const o = new Float64Array(out);
    for (let j = 0; j < out; j++) {
      let s = b ? b[j] : 0;
      const base = j * inp;
      for (let k = 0; k < inp; k++) s += r[k] * w[base + k];
      o[j] = s;
    }
    return o;
  });
}

/** x [S, in] @ P (P [in, out]) */
function matmulP(x: Float64Array, p: Float32Array, out: number): Float64Array {
  const o = new Float64Array(out);
  for (let k = 0; k < x.length; k++) for (let j = 0; j < out; j++) o[j] += x[k] * p[k * out + j];
  return o;
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse; use a series / continued fraction with ~1e-15 error.
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let sum = ax;
    let term = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // continued fraction for erfc
    let f = 0;
    for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}

const gelu = (x: number, quick: boolean) => (quick ? x / (1 + Math.exp(-1.702 * x)) : 0.5 * x * (1 + erf(x / Math.SQRT2)));

function block(x: Mat, t: Tensors, p: string, heads: number, causal: boolean, quick: boolean): Mat {
  const get = (k: string) => t.get(p + k)!.data;
  const S = x.length;
  const D = x[0].length;
  const d = D / heads;
  const h = layerNorm(x, get('ln_1.weight'), get('ln_1.bias'));
  const qkv = linear(h, get('attn.in_proj_weight'), get('attn.in_proj_bias'), 3 * D);
  const ctx: Mat = Array.from({ length: S }, () => new Float64Array(D));
  for (let hd = 0; hd < heads; hd++) {
    for (let i = 0; i < S; i++) {
      const sc = new Float64Array(S);
      let mx = -Infinity;
      for (let j = 0; j < S; j++) {
        if (causal && j > i) { sc[j] = -Infinity; continue; }
        let s = 0;
        for (let k = 0; k < d; k++) s += qkv[i][hd * d + k] * qkv[j][D + hd * d + k];
        sc[j] = s / Math.sqrt(d);
        mx = Math.max(mx, sc[j]);
      }
      let z = 0;
      for (let j = 0; j < S; j++) { sc[j] = Math.exp(sc[j] - mx); z += sc[j]; }
      for (let j = 0; j < S; j++) {
        const pj = sc[j] / z;
        if (pj === 0) continue;
        for (let k = 0; k < d; k++) ctx[i][hd * d + k] += pj * qkv[j][2 * D + hd * d + k];
      }
    }
  }
  const a = linear(ctx, get('attn.out_proj.weight'), get('attn.out_proj.bias'), D);
  x = x.map((r, i) => Float64Array.from(r, (v, k) => v + a[i][k]));
  const h2 = layerNorm(x, get('ln_2.weight'), get('ln_2.bias'));
  const mlpW = t.get(p + 'mlp.c_fc.bias')!.data.length;
  const f = linear(h2, get('mlp.c_fc.weight'), get('mlp.c_fc.bias'), mlpW).map((r) => r.map((v) => gelu(v, quick)));
  const m = linear(f, get('mlp.c_proj.weight'), get('mlp.c_proj.bias'), D);
  return x.map((r, i) => Float64Array.from(r, (v, k) => v + m[i][k]));
}

function normalize(v: Float64Array): Float64Array {
  const n = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
  return v.map((x) => x / Math.max(n, 1e-12));
}

/** encode_image of one [C, S, S] image; returns features and unit embedding. */
export function naiveImage(cfg: OpenClipConfig, t: Tensors, pixels: Float32Array, prefix = ''): { features: Float64Array; embedding: Float64Array } {
  const get = (k: string) => t.get(prefix + k)!;
  const v = cfg.vision;
  const conv = get('visual.conv1.weight');
  const [D, C, P] = conv.shape;
  const S = v.imageSize;
  const grid = S / P;
  const cls = get('visual.class_embedding').data;
  const pos = get('visual.positional_embedding').data;
  let x: Mat = [Float64Array.from(cls, (c, k) => c + pos[k])];
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const tok = new Float64Array(D);
      for (let o = 0; o < D; o++) {
        let s = 0;
        for (let c = 0; c < C; c++) for (let ky = 0; ky < P; ky++) for (let kx = 0; kx < P; kx++) {
          s += conv.data[((o * C + c) * P + ky) * P + kx] * pixels[(c * S + gy * P + ky) * S + gx * P + kx];
        }
        tok[o] = s + pos[(1 + gy * grid + gx) * D + o];
      }
      x.push(tok);
    }
  }
  if (v.lnPre) x = layerNorm(x, get('visual.ln_pre.weight').data, get('visual.ln_pre.bias').data);
  for (let i = 0; i < v.layers; i++) x = block(x, t, `${prefix}visual.transformer.resblocks.${i}.`, v.heads, false, cfg.quickGelu);
  const pooled = layerNorm([x[0]], get('visual.ln_post.weight').data, get('visual.ln_post.bias').data)[0];
  const features = matmulP(pooled, get('visual.proj').data, cfg.embedDim);
  return { features, embedding: normalize(features) };
}

/** encode_text of one row of token ids. */
export function naiveText(cfg: OpenClipConfig, t: Tensors, ids: readonly number[], prefix = ''): { features: Float64Array; embedding: Float64Array } {
  const get = (k: string) => t.get(prefix + k)!;
  const tc = cfg.text;
  const D = tc.width;
  const table = get('token_embedding.weight').data;
  const pos = get('positional_embedding').data;
  let x: Mat = ids.map((id, i) => Float64Array.from({ length: D }, (_, k) => table[id * D + k] + pos[i * D + k]));
  for (let i = 0; i < tc.layers; i++) x = block(x, t, `${prefix}transformer.resblocks.${i}.`, tc.heads, tc.causalMask, cfg.quickGelu);
  let eot = 0;
  for (let i = 1; i < ids.length; i++) if (ids[i] > ids[eot]) eot = i;
  const pooled = layerNorm([x[eot]], get('ln_final.weight').data, get('ln_final.bias').data)[0];
  const features = matmulP(pooled, get('text_projection').data, cfg.embedDim);
  return { features, embedding: normalize(features) };
}
