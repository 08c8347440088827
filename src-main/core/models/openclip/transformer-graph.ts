/**
 * The pieces both encoders share: weights in the graph's precision, LayerNorm, the open_clip
 * residual attention block (plain ONNX ops, or ONNX Runtime's fused com.microsoft operators),
 * and L2 normalisation.
 *
 * Linear layers are built in one place (`TowerGraph.matmul`): `MatMul(x, Wᵀ)` with Wᵀ an
 * initializer ([in, out]) followed by a bias Add in float, or, in the int8 precision,
 * com.microsoft `DynamicQuantizeMatMul` over signed int8 Wᵀ with one scale per output channel
 * (the activations are quantised to uint8 per tensor at run time, inside the operator). The
 * one exception is the packed q,k,v projection, which com.microsoft Attention (fused graphs)
 * and QAttention (int8, `attentionInt8`) take as their own weight input.
 */
import { GraphBuilder, float, int, ints, type ElemType, type ModelOptions } from '../onnx/graph-builder.ts';
import { throwIfAborted } from '../../errors.ts';
import { toFloat16Array } from './float16.ts';
import type { OpenClipWeights } from './openclip-weights.ts';
import { quantizeLinearWeight } from './quantize-int8.ts';

/**
 * fp32 and fp16: weights and compute in that type. int8: dynamic quantisation, i.e. every
 * linear layer of the transformer has signed int8 weights (per output channel) and runs as an
 * int8 GEMM on activations quantised at run time; everything else stays float32.
 */
export type Precision = 'fp32' | 'fp16' | 'int8';

/**
 * How the int8 image encoder quantises activations at run time.
 *
 * - `token` (the default): one scale per token, from that token's own largest value, so a
 *   tile's embedding is a function of the tile alone, whatever else is in the batch. Each
 *   linear layer is QuantizeLinear (uint8) + com.microsoft MatMulIntegerToFloat + the token
 *   scale and bias; attention runs in float32 (com.microsoft MultiHeadAttention).
 * - `tensor`: com.microsoft DynamicQuantizeMatMul and QAttention, one scale for the whole
 *   batch tensor, as ONNX Runtime's `quantize_dynamic` does. A tile's embedding then depends
 *   on its batch-mates; kept for comparison (`npm run bench`).
 */
export type Int8Activations = 'token' | 'tensor';

export interface Int8Options {
  /** @default 'token' */
  activations?: Int8Activations;
  /**
   * Levels of the weights and per-token activations: `w7` weights in −63…63 and activations in
   * −127…127, `a7` the reverse. Either keeps every pair of u8 × s8 products inside int16, which
   * x86 CPUs without VNNI (VPMADDUBSW) need; 8-bit both ways saturates there. On the full-size
   * proxy 'a7' agreed slightly better (`npm run bench`), but on the reference model it flipped
   * a near-tie top-1 that 'w7' keeps. @default 'w7'
   */
  levels?: 'w7' | 'a7';
  /** Transformer blocks (0-based) kept wholly in float32. @default [] */
  floatBlocks?: readonly number[];
}

export interface EncoderGraphOptions {
  /** Weights and compute precision (inputs and outputs stay float32). @default 'fp32' */
  precision?: Precision;
  /** The int8 scheme (precision 'int8' only). */
  int8?: Int8Options;
  /**
   * Use ONNX Runtime's fused com.microsoft operators (Attention, SkipLayerNormalization,
   * BiasGelu). Such graphs run only on ONNX Runtime. int8 graphs use com.microsoft operators
   * either way (DynamicQuantizeMatMul, QAttention); there `fused` only adds
   * SkipLayerNormalization and BiasGelu, which were slower on CPU. @default false
   */
  fused?: boolean;
  signal?: AbortSignal;
  /** Called after each checkpoint tensor is read (for progress). */
  onTensor?: () => void;
}

export const LAYER_NORM_EPS = 1e-5;
const MS_DOMAIN = 'com.microsoft';

export function modelOptions(contribOps: boolean, metadata: Record<string, string>): ModelOptions {
  return { opset: 17, domains: contribOps ? { [MS_DOMAIN]: 1 } : {}, producer: 'mslens', metadata };
}

/** Row-major [rows, cols] → [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  const B = 64; // cache blocking
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const base = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = data[base + c];
      }
    }
  }
  return out;
}

export interface TowerShape {
  width: number;
  heads: number;
  mlpWidth: number;
  layers: number;
  /** Text tower: additive causal mask over `seqLen` tokens. */
  causal: boolean;
  seqLen: number;
  quickGelu: boolean;
}

/** Emits graph nodes in one precision; reads weights as it goes, so only the graph holds them. */
export class TowerGraph {
  readonly dtype: ElemType;
  /** Linear layers as DynamicQuantizeMatMul (q,k,v: QAttention) over int8 weights. */
  readonly int8: boolean;
  readonly fused: boolean;
  readonly int8Options: Required<Int8Options>;
  /** False inside a block kept in float32. */
  private quantize: boolean;
  /** Per-token quantised activations by the float tensor they came from (q, k, v share one). */
  private readonly quantized = new Map<string, { q: string; scale: string }>();
  private readonly signal: AbortSignal | undefined;
  private readonly onTensor: (() => void) | undefined;
  private causalMask: string | undefined;

  /** Whether the graph uses com.microsoft operators (fused ops, or int8's quantised ones). */
  get contribOps(): boolean {
    return this.fused || this.int8;
  }

  constructor(readonly g: GraphBuilder, readonly w: OpenClipWeights, opts: EncoderGraphOptions) {
    this.dtype = opts.precision === 'fp16' ? 'float16' : 'float32';
    this.int8 = opts.precision === 'int8';
    this.fused = opts.fused ?? false;
    this.int8Options = { activations: 'token', levels: 'w7', floatBlocks: [], ...opts.int8 };
    this.quantize = this.int8;
    this.signal = opts.signal;
    this.onTensor = opts.onTensor;
  }

  /** Adds float data as an initializer in the graph precision. */
  weight(prefix: string, dims: readonly number[], data: Float32Array): string {
    const name = this.g.fresh(prefix.replace(/[^A-Za-z0-9_.]/g, '_'));
    return this.dtype === 'float16'
      ? this.g.tensor(name, 'float16', dims, toFloat16Array(data))
      : this.g.tensor(name, 'float32', dims, data);
  }

  /** A small constant in the graph precision. */
  constant(values: readonly number[] | Float32Array, dims: readonly number[] = [values.length]): string {
    return this.weight('c', dims, values instanceof Float32Array ? values : Float32Array.from(values));
  }

  /** Reads an open_clip tensor as is. */
  async read(name: string, shape: readonly number[]): Promise<Float32Array> {
    throwIfAborted(this.signal);
    const data = await this.w.read(name, shape);
    this.onTensor?.();
    return data;
  }

  async param(name: string, shape: readonly number[]): Promise<string> {
    return this.weight(name, shape, await this.read(name, shape));
  }

  /** A torch Linear weight [out, in] as the MatMul right operand [in, out]. */
  async linearWeight(name: string, out: number, inp: number): Promise<string> {
    const w = await this.read(name, [out, inp]);
    return this.weight(name, [inp, out], transpose2d(w, out, inp));
  }

  /**
   * A torch Linear weight [out, in] as int8 Wᵀ [in, out] plus its per-output-channel scales
   * [out] (float32), for DynamicQuantizeMatMul / QAttention.
   */
  async quantizedWeight(name: string, out: number, inp: number, levels = 127): Promise<{ weight: string; scale: string }> {
    const q = quantizeLinearWeight(await this.read(name, [out, inp]), out, inp, levels);
    const base = name.replace(/[^A-Za-z0-9_.]/g, '_');
    return {
      weight: this.g.tensor(this.g.fresh(`${base}_int8`), 'int8', [inp, out], q.weight),
      scale: this.g.tensor(this.g.fresh(`${base}_scale`), 'float32', [out], q.scale),
    };
  }

  /**
   * x @ Wᵀ (+ b) for the torch Linear weight `name` ([out, in]) and optional bias tensor
   * `bias`. Every linear layer of the towers goes through here, except the q,k,v projection
   * inside com.microsoft Attention / QAttention (`attentionFused`, `attentionInt8`). In int8
   * this is one DynamicQuantizeMatMul (the bias folded in); otherwise MatMul and a bias Add.
   */
  async matmul(x: string, name: string, out: number, inp: number, bias?: string): Promise<string> {
    if (this.quantize && this.int8Options.activations === 'token') return this.matmulPerToken(x, name, out, inp, bias);
    if (this.quantize) {
      const { weight, scale } = await this.quantizedWeight(name, out, inp);
      const b = bias ? [await this.param(bias, [out])] : [];
      // inputs: A, B (int8), b_scale, b_zero_point (absent: symmetric), bias
      return this.g.op('DynamicQuantizeMatMul', [x, weight, scale, ...(b.length ? ['', ...b] : [])], {}, MS_DOMAIN);
    }
    const y = this.g.op('MatMul', [x, await this.linearWeight(name, out, inp)]);
    return bias ? this.g.op('Add', [y, await this.param(bias, [out])]) : y;
  }

  /**
   * x quantised to uint8 with one symmetric scale per token (last axis): q = round(x / s) + z,
   * s = max|x| / L, z = L + 1 (L = 127, or 63 with levels 'a7'). Cached per x.
   */
  private quantizeTokens(x: string): { q: string; scale: string } {
    const hit = this.quantized.get(x);
    if (hit) return hit;
    const g = this.g;
    const L = this.int8Options.levels === 'a7' ? 63 : 127;
    const absMax = g.op('Max', [g.op('ReduceMax', [g.op('Abs', [x])], { axes: ints([-1]), keepdims: int(1) }), g.f32([1e-30], [])]);
    const scale = g.op('Div', [absMax, g.f32([L], [])]); // [..., 1]
    const inv = g.op('Div', [g.f32([L], []), absMax]);
    const q = g.op('QuantizeLinear', [g.op('Mul', [x, inv]), g.f32([1], []), this.tokenZeroPoint(L)]);
    const r = { q, scale };
    this.quantized.set(x, r);
    return r;
  }

  private zeroPoints = new Map<number, string>();
  private tokenZeroPoint(L: number): string {
    let z = this.zeroPoints.get(L);
    if (!z) this.zeroPoints.set(L, (z = this.g.tensor(this.g.fresh('token_zero_point'), 'uint8', [], Uint8Array.of(L + 1))));
    return z;
  }

  /** Per-token int8 linear: MatMulIntegerToFloat over the quantised tokens, × token scale, + bias. */
  private async matmulPerToken(x: string, name: string, out: number, inp: number, bias?: string): Promise<string> {
    const g = this.g;
    const { q, scale } = this.quantizeTokens(x);
    const w = await this.quantizedWeight(name, out, inp, this.int8Options.levels === 'w7' ? 63 : 127);
    const one = g.f32([1], []);
    const acc = g.op('MatMulIntegerToFloat', [q, w.weight, one, w.scale, this.tokenZeroPoint(this.int8Options.levels === 'a7' ? 63 : 127)], {}, MS_DOMAIN);
    const y = g.op('Mul', [acc, scale]);
    return bias ? g.op('Add', [y, await this.param(bias, [out])]) : y;
  }

  /**
   * Per-token int8 attention: q, k and v as three per-token int8 linears over one quantised
   * input, then com.microsoft MultiHeadAttention in float32 (it adds the packed q,k,v bias).
   */
  private async attentionPerToken(h: string, p: string, t: TowerShape): Promise<string> {
    const g = this.g;
    const D = t.width;
    const w = await this.read(`${p}attn.in_proj_weight`, [3 * D, D]);
    const b = await this.read(`${p}attn.in_proj_bias`, [3 * D]);
    const { q, scale } = this.quantizeTokens(h);
    const L = this.int8Options.levels;
    const proj = (i: number) => {
      const qw = quantizeLinearWeight(w.subarray(i * D * D, (i + 1) * D * D), D, D, L === 'w7' ? 63 : 127);
      const wt = g.tensor(g.fresh(`${p}in_proj_${i}_int8`), 'int8', [D, D], qw.weight);
      const ws = g.tensor(g.fresh(`${p}in_proj_${i}_scale`), 'float32', [D], qw.scale);
      const acc = g.op('MatMulIntegerToFloat', [q, wt, g.f32([1], []), ws, this.tokenZeroPoint(L === 'a7' ? 63 : 127)], {}, MS_DOMAIN);
      return g.op('Mul', [acc, scale]);
    };
    const bias = g.f32(b, [3 * D], `${p}in_proj_bias`);
    return g.op('MultiHeadAttention', [proj(0), proj(1), proj(2), bias], { num_heads: int(t.heads) }, MS_DOMAIN);
  }

  toCompute(x: string): string {
    return this.dtype === 'float32' ? x : this.g.op('Cast', [x], { to: int(10) });
  }

  toFloat32(x: string): string {
    return this.dtype === 'float32' ? x : this.g.op('Cast', [x], { to: int(1) });
  }

  layerNorm(x: string, gamma: string, beta: string): string {
    return this.g.op('LayerNormalization', [x, gamma, beta], { axis: int(-1), epsilon: float(LAYER_NORM_EPS) });
  }

  async norm(x: string, name: string, width: number): Promise<string> {
    return this.layerNorm(x, await this.param(`${name}.weight`, [width]), await this.param(`${name}.bias`, [width]));
  }

  private gelu(x: string, quick: boolean): string {
    const g = this.g;
    if (quick) return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, this.constant([1.702], [])])])]);
    // torch.nn.GELU(): x · 0.5 · (1 + erf(x / √2)); ONNX Runtime fuses this pattern into Gelu.
    const erf = g.op('Erf', [g.op('Div', [x, this.constant([Math.SQRT2], [])])]);
    return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, this.constant([1], [])])]), this.constant([0.5], [])]);
  }

  private mask(seqLen: number): string {
    if (!this.causalMask) {
      const m = new Float32Array(seqLen * seqLen);
      for (let i = 0; i < seqLen; i++) for (let j = i + 1; j < seqLen; j++) m[i * seqLen + j] = -Infinity;
      this.causalMask = this.weight('causal_mask', [seqLen, seqLen], m);
    }
    return this.causalMask;
  }

  /** nn.MultiheadAttention(h, h, h) with packed in_proj, before out_proj. */
  private async attentionPlain(h: string, prefix: string, t: TowerShape): Promise<string> {
    const g = this.g;
    const D = t.width;
    const d = D / t.heads;
    const qkv = await this.matmul(h, `${prefix}attn.in_proj_weight`, 3 * D, D, `${prefix}attn.in_proj_bias`); // [N, S, 3D]
    // [N, S, 3, H, d] → [3, N, H, S, d]
    const heads = g.op('Transpose', [g.op('Reshape', [qkv, g.i64([0, 0, 3, t.heads, d])])], { perm: ints([2, 0, 3, 1, 4]) });
    const pick = (i: number) => g.op('Gather', [heads, g.i64([i], [])], { axis: int(0) });
    const q = g.op('Div', [pick(0), this.constant([Math.sqrt(d)], [])]);
    const kT = g.op('Transpose', [pick(1)], { perm: ints([0, 1, 3, 2]) });
    let scores = g.op('MatMul', [q, kT]); // [N, H, S, S]
    if (t.causal) scores = g.op('Add', [scores, this.mask(t.seqLen)]);
    const probs = g.op('Softmax', [scores], { axis: int(-1) });
    const ctx = g.op('MatMul', [probs, pick(2)]); // [N, H, S, d]
    return g.op('Reshape', [g.op('Transpose', [ctx], { perm: ints([0, 2, 1, 3]) }), g.i64([0, 0, D])]);
  }

  /** com.microsoft Attention: the packed q,k,v projection [D, 3D] and attention in one op. */
  private async attentionFused(h: string, p: string, t: TowerShape): Promise<string> {
    const D = t.width;
    const wqkv = await this.linearWeight(`${p}attn.in_proj_weight`, 3 * D, D);
    const bqkv = await this.param(`${p}attn.in_proj_bias`, [3 * D]);
    return this.g.op('Attention', [h, wqkv, bqkv], { num_heads: int(t.heads), unidirectional: int(t.causal ? 1 : 0) }, MS_DOMAIN);
  }

  /**
   * int8 attention: com.microsoft QAttention, i.e. the q,k,v projection as an int8 GEMM (the
   * input quantised per tensor to uint8 by DynamicQuantizeLinear, the packed weights int8 per
   * output column) followed by float32 attention inside the same kernel. On ORT 1.30 CPU this
   * beat DynamicQuantizeMatMul + the plain attention subgraph (whose Split/Transpose copies
   * ONNX Runtime does not fuse away) and DynamicQuantizeMatMul + MultiHeadAttention.
   */
  private async attentionInt8(h: string, p: string, t: TowerShape): Promise<string> {
    const g = this.g;
    const D = t.width;
    const { weight, scale } = await this.quantizedWeight(`${p}attn.in_proj_weight`, 3 * D, D);
    const bqkv = await this.param(`${p}attn.in_proj_bias`, [3 * D]);
    const [hq, hScale, hZero] = g.node('DynamicQuantizeLinear', [h], {}, { outputs: 3 });
    // inputs: input, weight, bias, input_scale, weight_scale, mask_index (none), input_zero_point
    return g.op('QAttention', [hq, weight, bqkv, hScale, scale, '', hZero], { num_heads: int(t.heads), unidirectional: int(t.causal ? 1 : 0) }, MS_DOMAIN);
  }

  /**
   * The residual blocks followed by a final LayerNorm (`finalNorm`: ln_post or ln_final) over
   * every token. Returns the normalised tokens [N, S, width].
   */
  async transformer(x: string, blockPrefix: string, finalNorm: string, t: TowerShape): Promise<string> {
    return this.fused ? this.transformerFused(x, blockPrefix, finalNorm, t) : this.transformerPlain(x, blockPrefix, finalNorm, t);
  }

  private async transformerPlain(x: string, blockPrefix: string, finalNorm: string, t: TowerShape): Promise<string> {
    const g = this.g;
    const D = t.width;
    for (let i = 0; i < t.layers; i++) {
      const p = `${blockPrefix}${i}.`;
      this.quantize = this.int8 && !this.int8Options.floatBlocks.includes(i);
      const h = await this.norm(x, `${p}ln_1`, D);
      const a = !this.quantize
        ? await this.attentionPlain(h, p, t)
        : this.int8Options.activations === 'token' ? await this.attentionPerToken(h, p, t) : await this.attentionInt8(h, p, t);
      x = g.op('Add', [x, await this.matmul(a, `${p}attn.out_proj.weight`, D, D, `${p}attn.out_proj.bias`)]);
      const h2 = await this.norm(x, `${p}ln_2`, D);
      const f = this.gelu(await this.matmul(h2, `${p}mlp.c_fc.weight`, t.mlpWidth, D, `${p}mlp.c_fc.bias`), t.quickGelu);
      x = g.op('Add', [x, await this.matmul(f, `${p}mlp.c_proj.weight`, D, t.mlpWidth, `${p}mlp.c_proj.bias`)]);
    }
    this.quantize = this.int8;
    return this.norm(x, finalNorm, D);
  }

  /**
   * Same maths with com.microsoft operators: Attention (packed q,k,v weights [D, 3D], the
   * causal mask as `unidirectional`), and SkipLayerNormalization carrying the residual
   * stream (output 3 is input + skip + bias), so each block's second LayerNorm and the next
   * block's first one are fused with the residual adds.
   */
  private async transformerFused(x: string, blockPrefix: string, finalNorm: string, t: TowerShape): Promise<string> {
    const g = this.g;
    const D = t.width;
    const eps = { epsilon: float(LAYER_NORM_EPS) };
    let h = await this.norm(x, `${blockPrefix}0.ln_1`, D);
    for (let i = 0; i < t.layers; i++) {
      const p = `${blockPrefix}${i}.`;
      this.quantize = this.int8 && !this.int8Options.floatBlocks.includes(i);
      const a = !this.quantize
        ? await this.attentionFused(h, p, t)
        : this.int8Options.activations === 'token' ? await this.attentionPerToken(h, p, t) : await this.attentionInt8(h, p, t);
      const o = await this.matmul(a, `${p}attn.out_proj.weight`, D, D);
      const bo = await this.param(`${p}attn.out_proj.bias`, [D]);
      const g2 = await this.param(`${p}ln_2.weight`, [D]);
      const b2 = await this.param(`${p}ln_2.bias`, [D]);
      const s1 = g.node('SkipLayerNormalization', [o, x, g2, b2, bo], eps, { outputs: 4, domain: MS_DOMAIN });
      const h2 = s1[0];
      x = s1[3];
      const mm = await this.matmul(h2, `${p}mlp.c_fc.weight`, t.mlpWidth, D);
      const bfc = await this.param(`${p}mlp.c_fc.bias`, [t.mlpWidth]);
      const f = t.quickGelu
        ? g.op('QuickGelu', [g.op('Add', [mm, bfc])], { alpha: float(1.702) }, MS_DOMAIN)
        : g.op('BiasGelu', [mm, bfc], {}, MS_DOMAIN);
      const pr = await this.matmul(f, `${p}mlp.c_proj.weight`, D, t.mlpWidth);
      const bpr = await this.param(`${p}mlp.c_proj.bias`, [D]);
      const next = i + 1 < t.layers ? `${blockPrefix}${i + 1}.ln_1` : finalNorm;
      const gn = await this.param(`${next}.weight`, [D]);
      const bn = await this.param(`${next}.bias`, [D]);
      const s2 = g.node('SkipLayerNormalization', [pr, x, gn, bn, bpr], eps, { outputs: 4, domain: MS_DOMAIN });
      h = s2[0];
      x = s2[3];
    }
    this.quantize = this.int8;
    return h;
  }

  /** F.normalize(x, dim=-1): x / max(‖x‖₂, 1e-12), in float32. */
  l2Normalize(x32: string): string {
    const g = this.g;
    const n = g.op('ReduceL2', [x32], { axes: ints([-1]), keepdims: int(1) });
    return g.op('Div', [x32, g.op('Max', [n, g.f32([1e-12], [])])]);
  }
}
