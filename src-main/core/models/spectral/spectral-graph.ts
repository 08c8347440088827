/**
 * The built-in spectral image encoder as an ONNX graph.
 *
 * Per pixel: six spectral indices → a linear discriminant against every prototype (Gaussian
 * with a shared diagonal spread, so the quadratic term cancels in the softmax) → softmax over
 * prototypes → summed per concept. Per tile: the mean concept membership over valid pixels
 * (nodata pixels arrive as all-zero) → element-wise square root. Because memberships sum to 1,
 * the square-root vector has unit length, the dot product of two tiles is their Bhattacharyya
 * coefficient, and the dot product with a concept's one-hot vector is √(fraction).
 */
import { GraphBuilder, int } from '../onnx/graph-builder.ts';
import {
  BRIGHTNESS_OFFSET, FEATURES, ND_FLOOR, PROTOTYPE_BANDS, PROTOTYPES, SPECTRAL_CONCEPTS, featuresOf,
} from './spectral-prototypes.ts';

export interface SpectralGraphOptions {
  /** Band ids of the model input, in order. Must include every prototype band. */
  bands: readonly string[];
}

export function buildSpectralGraph(opts: SpectralGraphOptions): Uint8Array {
  const g = new GraphBuilder('mslens-spectral');
  const pixels = g.input('pixels', 'float32', ['n', opts.bands.length, 'h', 'w']);

  const band = (id: string): string => {
    const i = opts.bands.indexOf(id);
    if (i < 0) throw new Error(`spectral model needs band ${id}`);
    return g.op('Gather', [pixels, g.i64([i], [])], { axis: int(1) }); // [n,h,w]
  };
  const [b02, b03, b04, b08, b11, b12] = PROTOTYPE_BANDS.map(band);
  const floor = g.f32([ND_FLOOR], []);
  const nd = (a: string, b: string): string =>
    g.op('Div', [g.op('Sub', [a, b]), g.op('Max', [g.op('Add', [a, b]), floor])]);
  const unsq = (t: string): string => g.op('Unsqueeze', [t, g.i64([-1])]);

  const vis = g.op('Div', [g.op('Sum', [b02, b03, b04]), g.f32([3], [])]);
  const logBright = g.op('Log', [g.op('Max', [g.op('Add', [vis, g.f32([BRIGHTNESS_OFFSET], [])]), g.f32([1e-4], [])])]);
  const feats = [nd(b08, b04), nd(b03, b11), nd(b11, b08), nd(b08, b12), logBright, nd(b04, b02)];
  const f = g.op('Concat', feats.map(unsq), { axis: int(-1) }); // [n,h,w,F]

  // logits_k = Σ_f w_f p_kf x_f − ½ Σ_f w_f p_kf², with w_f = 1 / spread_f².
  const K = PROTOTYPES.length;
  const F = FEATURES.length;
  const A = new Float32Array(F * K);
  const bias = new Float32Array(K);
  PROTOTYPES.forEach((p, k) => {
    const pf = featuresOf(p.reflectance);
    pf.forEach((v, fi) => {
      const w = 1 / FEATURES[fi].spread ** 2;
      A[fi * K + k] = w * v;
      bias[k] -= 0.5 * w * v * v;
    });
  });
  const logits = g.op('Add', [g.op('MatMul', [f, g.f32(A, [F, K], 'proto_w')]), g.f32(bias, [K], 'proto_b')]);
  const membership = g.op('Softmax', [logits], { axis: int(-1) }); // [n,h,w,K]

  const C = SPECTRAL_CONCEPTS.length;
  const M = new Float32Array(K * C);
  PROTOTYPES.forEach((p, k) => { M[k * C + SPECTRAL_CONCEPTS.indexOf(p.concept)] = 1; });
  const concepts = g.op('MatMul', [membership, g.f32(M, [K, C], 'concept_of')]); // [n,h,w,C]

  const energy = g.op('ReduceSum', [g.op('Abs', [pixels]), g.i64([1])], { keepdims: int(0) }); // [n,h,w]
  const valid = unsq(g.op('Cast', [g.op('Greater', [energy, g.f32([0], [])])], { to: int(1) })); // [n,h,w,1]
  const summed = g.op('ReduceSum', [g.op('Mul', [concepts, valid]), g.i64([1, 2])], { keepdims: int(0) }); // [n,C]
  const count = g.op('ReduceSum', [valid, g.i64([1, 2])], { keepdims: int(0) }); // [n,1]
  const fractions = g.op('Div', [summed, g.op('Max', [count, g.f32([1], [])])]);
  g.alias(fractions, 'fractions');
  const root = g.op('Sqrt', [fractions]);
  const norm = g.op('Max', [g.op('ReduceL2', [root, g.i64([1])], { keepdims: int(1) }), g.f32([1e-12], [])]);
  g.alias(g.op('Div', [root, norm]), 'embedding');
  g.output('embedding', 'float32', ['n', C]);
  g.output('fractions', 'float32', ['n', C]);
  return g.toBytes({ opset: 18, docString: 'mslens built-in spectral model: land-cover concept fractions from spectral indices' });
}
