/**
 * The open_clip text tower as an ONNX graph:
 * `tokens` int64 [N, context_length] → `embedding` [N, E] (unit norm) and `features` [N, E]
 * (encode_text before normalisation). The feature is taken at argmax(token id) per row,
 * i.e. the end token, as open_clip's pool_type 'argmax'.
 */
import { GraphBuilder, int } from '../onnx/graph-builder.ts';
import type { OpenClipConfig } from './openclip-config.ts';
import type { OpenClipWeights } from './openclip-weights.ts';
import { TowerGraph, modelOptions, type EncoderGraphOptions } from './transformer-graph.ts';
import { projectOutputs, type BuiltGraph } from './build-image-encoder.ts';

export const TEXT_INPUT = 'tokens';

export async function buildTextEncoder(weights: OpenClipWeights, cfg: OpenClipConfig, opts: EncoderGraphOptions = {}): Promise<BuiltGraph> {
  const tc = cfg.text;
  const D = tc.width;
  const L = tc.contextLength;
  const g = new GraphBuilder('openclip_text_encoder');
  const t = new TowerGraph(g, weights, opts);

  const tokens = g.input(TEXT_INPUT, 'int64', ['batch', L]);
  const table = await t.param('token_embedding.weight', [tc.vocabSize, D]);
  const pos = await t.param('positional_embedding', [L, D]);
  const x = g.op('Add', [g.op('Gather', [table, tokens], { axis: int(0) }), pos]);

  const normed = await t.transformer(x, 'transformer.resblocks.', 'ln_final', {
    width: D, heads: tc.heads, mlpWidth: tc.mlpWidth, layers: tc.layers,
    causal: tc.causalMask, seqLen: L, quickGelu: cfg.quickGelu,
  });

  // x[arange(N), tokens.argmax(-1)]
  const eot = g.op('ArgMax', [tokens], { axis: int(1), keepdims: int(1) }); // [N, 1]
  const pooled = g.op('GatherND', [normed, eot], { batch_dims: int(1) }); // [N, D]
  await projectOutputs(t, pooled, 'text_projection', D, cfg.embedDim);

  return {
    graph: g,
    modelOptions: modelOptions(t.contribOps, {
      'mslens.kind': 'openclip-text-encoder',
      'mslens.precision': opts.precision ?? 'fp32',
      'mslens.fused': String(t.fused),
      'mslens.context_length': String(L),
      'mslens.embed_dim': String(cfg.embedDim),
    }),
  };
}
