/**
 * The open_clip ViT image tower as an ONNX graph:
 * `pixels` float32 [N, C, S, S] (already normalised) → `embedding` [N, E] (unit norm) and
 * `features` [N, E] (encode_image before normalisation).
 */
import { GraphBuilder, int, ints, type ModelOptions } from '../onnx/graph-builder.ts';
import type { OpenClipConfig } from './openclip-config.ts';
import type { OpenClipWeights } from './openclip-weights.ts';
import { TowerGraph, modelOptions, type EncoderGraphOptions } from './transformer-graph.ts';

export interface BuiltGraph {
  graph: GraphBuilder;
  modelOptions: ModelOptions;
}

export const IMAGE_INPUT = 'pixels';
export const EMBEDDING_OUTPUT = 'embedding';
export const FEATURES_OUTPUT = 'features';

/** Both towers end alike: features = pooled @ projection (output `features`), and their unit vector (`embedding`). */
export async function projectOutputs(t: TowerGraph, pooled: string, projection: string, width: number, embedDim: number): Promise<void> {
  const g = t.g;
  const proj = await t.param(projection, [width, embedDim]);
  const features = t.toFloat32(g.op('MatMul', [pooled, proj]));
  g.alias(features, FEATURES_OUTPUT);
  g.output(FEATURES_OUTPUT, 'float32', ['batch', embedDim]);
  g.alias(t.l2Normalize(FEATURES_OUTPUT), EMBEDDING_OUTPUT);
  g.output(EMBEDDING_OUTPUT, 'float32', ['batch', embedDim]);
}

export async function buildImageEncoder(weights: OpenClipWeights, cfg: OpenClipConfig, opts: EncoderGraphOptions = {}): Promise<BuiltGraph> {
  const v = cfg.vision;
  const C = weights.bands;
  const D = v.width;
  const P = v.patchSize;
  const grid = v.imageSize / P;
  const tokens = grid * grid;
  const g = new GraphBuilder('openclip_image_encoder');
  const t = new TowerGraph(g, weights, opts);

  const pixels = g.input(IMAGE_INPUT, 'float32', ['batch', C, v.imageSize, v.imageSize]);
  const x0 = t.toCompute(pixels);

  // conv1: Conv2d(C, D, P, stride P, bias=False) → [N, D, grid, grid] → [N, grid², D]
  const conv = await t.param('visual.conv1.weight', [D, C, P, P]);
  const patches = g.op('Conv', [x0, conv], { kernel_shape: ints([P, P]), strides: ints([P, P]) });
  const seq = g.op('Transpose', [g.op('Reshape', [patches, g.i64([0, D, tokens])])], { perm: ints([0, 2, 1]) });

  // [class; patches] + positional. (cls + pos[0]) is folded into one constant: the same
  // float32 sum torch computes.
  const cls = await t.read('visual.class_embedding', [D]);
  const pos = await t.read('visual.positional_embedding', [tokens + 1, D]);
  const clsPos = new Float32Array(D);
  for (let i = 0; i < D; i++) clsPos[i] = cls[i] + pos[i];
  const patchPos = t.weight('visual.positional_embedding', [tokens, D], pos.subarray(D));
  const batch = g.op('Shape', [pixels], { start: int(0), end: int(1) });
  const clsTok = g.op('Expand', [t.weight('visual.class_embedding', [1, 1, D], clsPos), g.op('Concat', [batch, g.i64([1, D])], { axis: int(0) })]);
  let x = g.op('Concat', [clsTok, g.op('Add', [seq, patchPos])], { axis: int(1) });
  if (v.lnPre) x = await t.norm(x, 'visual.ln_pre', D);

  const normed = await t.transformer(x, 'visual.transformer.resblocks.', 'visual.ln_post', {
    width: D, heads: v.heads, mlpWidth: v.mlpWidth, layers: v.layers,
    causal: false, seqLen: tokens + 1, quickGelu: cfg.quickGelu,
  });

  // pool_type 'tok': class token, then @ proj
  const pooled = g.op('Gather', [normed, g.i64([0], [])], { axis: int(1) });
  await projectOutputs(t, pooled, 'visual.proj', D, cfg.embedDim);
  return {
    graph: g,
    modelOptions: modelOptions(t.contribOps, {
      'mslens.kind': 'openclip-image-encoder',
      'mslens.precision': opts.precision ?? 'fp32',
      'mslens.fused': String(t.fused),
      'mslens.bands': String(C),
      'mslens.image_size': String(v.imageSize),
      'mslens.embed_dim': String(cfg.embedDim),
    }),
  };
}
