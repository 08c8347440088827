// Image-encoder speed and agreement of a full-size Llama3-MS-CLIP on CPU: open_clip ViT-B/16
// with 10 bands, random weights in the real key layout (cached in
// node_modules/.cache/mslens-bench/encoder/), converted by the app's converter, plus the int8
// schemes kept for comparison (built from the same checkpoint) and, when Python with
// onnxruntime is at hand, ONNX Runtime's own `quantize_dynamic` of the float32 file.
//
// For every variant one table row: tiles/s at batch 1 and 8, the minimum cosine to float32 on
// the five real chips (tests/fixtures/msclip-examples) and on 32 demo-scene tiles, zero-shot
// top-1 agreement with float32 (10 land-cover classes, the converted text encoder), and how far
// a tile's embedding moves between being embedded alone and inside a batch of 8.
//
// Random weights are a proxy: activations have open_clip's initial scales but none of the
// outlier channels a trained model has, and the random text tower makes class vectors nearly
// parallel (zero-shot margins are tiny, so top-1 flips are near-ties).
//
// Every measurement runs in its own child process holding one ONNX Runtime session (sessions
// in one process slow each other down through their spinning threads; children also give each
// variant its own peak RSS). Variants alternate round by round, so a busy spell on a shared
// machine spreads over all of them; runs during which other processes used more than 10 % of
// the CPUs (from /proc/stat) are repeated and left out of the medians. Python is used only
// here (never by tests): set MSLENS_BENCH_PYTHON to a python with onnxruntime, or the row is
// skipped with a note.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from '../../src-main/core/models/onnx/runtime.ts';
import { compareImageEmbeddings } from '../../src-main/core/models/openclip/check-variant.ts';
import {
  buildImageEncoder, openCheckpointWeightSource, openClipWeights, parseOpenClipConfig, VIT_B_16_CONFIG, writeOnnxModel,
} from '../../src-main/core/models/openclip/index.ts';
import type { Int8Options } from '../../src-main/core/models/openclip/transformer-graph.ts';
import { createClipTokenizer } from '../../src-main/core/models/tokenizer/index.ts';
import { readDemoTiles } from '../unit/models/openclip/demo-tiles.ts';
import { writeFullSizeCheckpoint } from '../unit/models/openclip/full-size-checkpoint.ts';
import { preprocessChip, readExpected } from '../unit/models/openclip/reference-fixtures.ts';
import { median, mib, report } from './bench-util.ts';
import { demoPath } from './index.bench.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(REPO, 'node_modules', '.cache', 'mslens-bench', 'encoder');
const SELF = fileURLToPath(import.meta.url);
const TSX = join(REPO, 'node_modules/tsx/dist/cli.mjs');
const TILE_VALUES = 10 * 224 * 224;
const CHIPS = 5;
const DEMO = 32;
/** Quiet timed runs wanted per batch size in one child (after one warm-up run each). */
const RUNS: Record<number, number> = { 1: 6, 8: 2 };
/** Runs during which others used more than this share of the CPUs are not counted as quiet. */
const QUIET = 0.1;
/** A contended run is repeated, up to this many times the runs wanted. */
const MAX_ATTEMPTS = 3;
const CLASSES = ['water', 'forest', 'cropland', 'grassland', 'urban area', 'bare soil', 'snow', 'clouds', 'wetland', 'shrubland'];
const OPTIONS: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 2, graphOptimizationLevel: 'all' };

/** A variant in the comparison: the app's files, another int8 scheme, or ORT's quantize_dynamic. */
interface Variant {
  name: string;
  file: string;
  note: string;
  /** Build options for int8 schemes built here. */
  int8?: Int8Options;
  python?: true;
}

const VARIANTS: Variant[] = [
  { name: 'fp32', file: 'image-encoder.fp32.onnx', note: 'the reference' },
  { name: 'int8 (app default)', file: 'image-encoder.int8.onnx', note: 'per-token, weights 7-bit (w7)' },
  { name: 'int8 per-tensor', file: 'cmp-int8-tensor.onnx', note: 'before: DynamicQuantizeMatMul + QAttention', int8: { activations: 'tensor' } },
  { name: 'int8 token a7', file: 'cmp-int8-token-a7.onnx', note: 'per-token, activations 7-bit', int8: { activations: 'token', levels: 'a7' } },
  { name: 'int8 token, last fp32', file: 'cmp-int8-token-last.onnx', note: 'per-token a7, block 11 float32', int8: { activations: 'token', levels: 'a7', floatBlocks: [11] } },
  { name: 'int8 token, first fp32', file: 'cmp-int8-token-first.onnx', note: 'per-token a7, block 0 float32', int8: { activations: 'token', levels: 'a7', floatBlocks: [0] } },
  { name: 'ORT quantize_dynamic', file: 'cmp-ort-quantize-dynamic.onnx', note: 'per_channel, QInt8 weights', python: true },
];

type ChildRequest =
  | { kind: 'build'; checkpoint: string; out: string; int8: Int8Options }
  | { kind: 'run'; model: string; tiles: string; n: number; embeddings?: string };
interface ChildRun { batch: number; tilesPerSecond: number; others: number }
interface RunResult { runs: ChildRun[]; peakMiB: number; loadSeconds: number }

/** A file of raw little-endian float32 values. */
function readF32(path: string): Float32Array {
  const bytes = readFileSync(path);
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

// ------------------------------------------------------------------ CPU use by others

interface CpuSample { busyMs: number; ownMs: number; t: number }

function cpuSample(): CpuSample | null {
  if (process.platform !== 'linux') return null;
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  const own = process.cpuUsage();
  return { busyMs: (user + nice + system + irq + softirq + (steal ?? 0)) * 10, ownMs: (own.user + own.system) / 1000, t: performance.now() };
}

/** Share of all CPUs that other processes used between two samples (NaN when unknown). */
function othersShare(a: CpuSample | null, b: CpuSample | null): number {
  if (!a || !b) return NaN;
  return Math.max(0, (b.busyMs - a.busyMs - (b.ownMs - a.ownMs)) / ((b.t - a.t) * cpus().length));
}

// ------------------------------------------------------------------ children

async function buildVariant(req: Extract<ChildRequest, { kind: 'build' }>): Promise<void> {
  const cfg = parseOpenClipConfig(VIT_B_16_CONFIG);
  const opened = await openCheckpointWeightSource(req.checkpoint);
  try {
    writeOnnxModel(await buildImageEncoder(openClipWeights(opened.source, cfg), cfg, { precision: 'int8', int8: req.int8 }), req.out);
  } finally {
    await opened.close();
  }
}

/**
 * One session: embeds every tile alone (written to `embeddings`, then each tile of the first 8
 * again inside a batch of 8, written after them), then times batches of 1 and 8.
 */
async function runVariant(req: Extract<ChildRequest, { kind: 'run' }>): Promise<RunResult> {
  const tiles = readF32(req.tiles);
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(req.model, OPTIONS);
  const loadSeconds = (performance.now() - t0) / 1000;
  const feed = (start: number, b: number) => ({ pixels: new ort.Tensor('float32', tiles.subarray(start * TILE_VALUES, (start + b) * TILE_VALUES), [b, 10, 224, 224]) });
  if (req.embeddings) {
    const dim = 512;
    const out = new Float32Array((req.n + 8) * dim);
    for (let i = 0; i < req.n; i++) out.set((await session.run(feed(i, 1))).embedding.data as Float32Array, i * dim);
    out.set((await session.run(feed(0, 8))).embedding.data as Float32Array, req.n * dim);
    writeFileSync(req.embeddings, out);
  }
  const runs: ChildRun[] = [];
  for (const b of [1, 8]) {
    const feeds = feed(CHIPS, b); // demo tiles
    await session.run(feeds); // warm-up
    const wanted = RUNS[b];
    let quiet = 0;
    for (let attempt = 0; quiet < wanted && attempt < MAX_ATTEMPTS * wanted; attempt++) {
      const c0 = cpuSample();
      const t = performance.now();
      await session.run(feeds);
      const seconds = (performance.now() - t) / 1000;
      const others = othersShare(c0, cpuSample());
      runs.push({ batch: b, tilesPerSecond: b / seconds, others });
      if (!(others >= QUIET)) quiet++; // NaN (not Linux) counts as quiet
    }
  }
  await session.release();
  return { runs, peakMiB: Math.round(process.resourceUsage().maxRSS / 1024), loadSeconds };
}

function child<T>(req: ChildRequest): T {
  const r = spawnSync(process.execPath, [TSX, SELF, '--child', JSON.stringify(req)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`encoder bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)! || 'null') as T;
}

// ------------------------------------------------------------------ parent

async function ensureCheckpoint(): Promise<string> {
  const path = join(CACHE, 'msclip-vit-b16-10band-random-v1.pt');
  if (existsSync(path)) return path;
  mkdirSync(CACHE, { recursive: true });
  const t = performance.now();
  await writeFullSizeCheckpoint(`${path}.tmp`);
  renameSync(`${path}.tmp`, path);
  report('full-size checkpoint written', { seconds: (performance.now() - t) / 1000, MB: Math.round(statSync(path).size / 1e6) });
  return path;
}

function convert(checkpoint: string, outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [TSX, join(REPO, 'tests/unit/models/openclip/convert-full-size.child.ts'), checkpoint, outDir, 'fp32,fp16,int8'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`conversion failed: ${r.stderr}`);
  const c = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; peakBytes: number; fileSeconds: Record<string, number>; files: Record<string, number> };
  report('convert fp32+fp16+int8 (5 files)', { seconds: c.seconds, 'peak RSS MiB': mib(c.peakBytes) });
  for (const [file, bytes] of Object.entries(c.files)) report(`  ${file}`, { seconds: c.fileSeconds[file] ?? NaN, MB: Math.round(bytes / 1e6) });
}

/** The five real chips, then 32 demo-scene tiles, as one float32 file. */
async function benchTiles(): Promise<string> {
  const path = join(CACHE, 'chips-5-demo-2240-32.f32');
  if (!existsSync(path)) {
    const expected = readExpected();
    const pixels = new Float32Array((CHIPS + DEMO) * TILE_VALUES);
    for (let i = 0; i < CHIPS; i++) pixels.set(await preprocessChip(expected.images[i].file), i * TILE_VALUES);
    pixels.set((await readDemoTiles(demoPath(2240), DEMO)).pixels, CHIPS * TILE_VALUES);
    writeFileSync(path, pixels);
  }
  return path;
}

async function classVectors(models: string): Promise<Float32Array> {
  const ids = createClipTokenizer().tokenize(CLASSES.map((c) => `a satellite image of ${c}.`));
  const s = await ort.InferenceSession.create(join(models, 'text-encoder.fp32.onnx'), OPTIONS);
  const out = await s.run({ tokens: new ort.Tensor('int64', BigInt64Array.from(Array.from(ids, (v) => BigInt(v))), [CLASSES.length, 77]) });
  await s.release();
  return out.embedding.data as Float32Array;
}

/** A python that can import onnxruntime.quantization, or why not. */
function findPython(): { python: string } | { note: string } {
  const python = process.env.MSLENS_BENCH_PYTHON ?? 'python3';
  const r = spawnSync(python, ['-c', 'import onnxruntime, onnxruntime.quantization; print(onnxruntime.__version__)'], { encoding: 'utf8' });
  if (r.status === 0) return { python };
  return { note: `${python} has no onnxruntime: make one with \`python3 -m venv v && v/bin/pip install onnxruntime\` (PIP_INDEX_URL=file:///opt/pypi/simple offline) and set MSLENS_BENCH_PYTHON=v/bin/python` };
}

function ortQuantizeDynamic(python: string, fp32: string, out: string): void {
  const code = [
    'import sys',
    'from onnxruntime.quantization import quantize_dynamic, QuantType',
    'quantize_dynamic(sys.argv[1], sys.argv[2], per_channel=True, weight_type=QuantType.QInt8, use_external_data_format=True)',
  ].join('\n');
  const r = spawnSync(python, ['-c', code, fp32, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`quantize_dynamic failed: ${r.stderr}`);
}

function cpuName(): string {
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
  const vnni = flags.has('avx512_vnni') ? 'AVX-512 VNNI' : flags.has('avx_vnni') ? 'AVX-VNNI' : 'no VNNI';
  const isa = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2' : 'no AVX2';
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} (${isa}, ${vnni})`;
}

function summarise(runs: ChildRun[], batch: number): number {
  const mine = runs.filter((r) => r.batch === batch);
  const quiet = mine.filter((r) => !(r.others >= QUIET));
  return median((quiet.length > 0 ? quiet : mine).map((r) => r.tilesPerSecond));
}

export async function benchEncoder(opts: { quick?: boolean } = {}): Promise<void> {
  const rounds = opts.quick ? 1 : 3;
  console.log(`image encoder, full-size ViT-B/16 10-band (random weights), ${cpuName()}, ORT ${OPTIONS.intraOpNumThreads} threads; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const checkpoint = await ensureCheckpoint();
  const models = join(CACHE, 'models');
  convert(checkpoint, models);
  const tiles = await benchTiles();
  const vectors = await classVectors(models);

  const variants: Variant[] = [];
  const py = findPython();
  for (const v of VARIANTS) {
    const out = join(models, v.file);
    if (v.int8) child({ kind: 'build', checkpoint, out, int8: v.int8 });
    if (v.python) {
      if ('note' in py) {
        console.log(`${v.name}: skipped, ${py.note}`);
        continue;
      }
      ortQuantizeDynamic(py.python, join(models, 'image-encoder.fp32.onnx'), out);
    }
    variants.push(v);
  }

  const n = CHIPS + DEMO;
  const runs = new Map<string, ChildRun[]>();
  const peak = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      const res = child<RunResult>({ kind: 'run', model: join(models, v.file), tiles, n, embeddings: r === 0 ? join(CACHE, `embeddings-${v.file}.f32`) : undefined });
      runs.set(v.name, [...(runs.get(v.name) ?? []), ...res.runs]);
      peak.set(v.name, Math.max(peak.get(v.name) ?? 0, res.peakMiB));
    }
  }

  const dim = 512;
  const ref = readF32(join(CACHE, `embeddings-${VARIANTS[0].file}.f32`));
  const base = summarise(runs.get('int8 per-tensor') ?? [], 8);
  const rows: Record<string, string>[] = [];
  for (const v of variants) {
    const e = readF32(join(CACHE, `embeddings-${v.file}.f32`));
    const part = (a: Float32Array, from: number, count: number) => a.subarray(from * dim, (from + count) * dim);
    const chips = compareImageEmbeddings(part(ref, 0, CHIPS), part(e, 0, CHIPS), vectors, CLASSES.length).check;
    const demo = compareImageEmbeddings(part(ref, CHIPS, DEMO), part(e, CHIPS, DEMO), vectors, CLASSES.length).check;
    let batchShift = 0;
    for (let k = 0; k < 8 * dim; k++) batchShift = Math.max(batchShift, Math.abs(e[k] - e[n * dim + k]));
    const b1 = summarise(runs.get(v.name) ?? [], 1);
    const b8 = summarise(runs.get(v.name) ?? [], 8);
    rows.push({
      variant: v.name,
      'b1 tiles/s': b1.toFixed(2),
      'b8 tiles/s': b8.toFixed(2),
      'b8 vs int8 before': (b8 / base).toFixed(2),
      'min cos chips': chips.minCosine.toFixed(5),
      'min cos demo': demo.minCosine.toFixed(5),
      'top-1 chips': `${Math.round(chips.top1Agreement * CHIPS)}/${CHIPS}`,
      'top-1 demo': `${Math.round(demo.top1Agreement * DEMO)}/${DEMO}`,
      'alone vs batch max|Δ|': batchShift.toExponential(1),
      'peak MiB': String(peak.get(v.name)),
      scheme: v.note,
    });
  }
  printTable(rows);
  const quiet = [...runs.values()].flat();
  console.log(`${quiet.filter((r) => !(r.others >= QUIET)).length}/${quiet.length} timed runs quiet; ${rounds} interleaved round(s); load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

/** A Markdown table (it goes into the README as is). */
function printTable(rows: Record<string, string>[]): void {
  const cols = Object.keys(rows[0]);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i])).join(' | ')} |`;
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => r[c])));
}

if (process.argv[1] && resolve(process.argv[1]) === SELF && process.argv[2] === '--child') {
  const req = JSON.parse(process.argv[3]) as ChildRequest;
  console.log(JSON.stringify(req.kind === 'build' ? (await buildVariant(req), null) : await runVariant(req)));
} else if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  await benchEncoder({ quick: process.argv.includes('--quick') });
}
