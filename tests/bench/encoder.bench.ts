// Image-encoder throughput and peak memory of a full-size Llama3-MS-CLIP on CPU: open_clip
// ViT-B/16 with 10 bands, random weights in the real key layout (cached in
// node_modules/.cache/mslens-bench/encoder/), converted by the app's converter to fp32, int8
// (the CPU default when its agreement check passes) and fp16 (for information).
//
// Every measurement runs in its own child process holding one ONNX Runtime session: each
// session has its own intra-op threads, and a finished session's spinning threads slow the
// next one down, so sessions in one process would measure each other. Children also give each
// variant its own peak RSS. The machine may be shared: runs during which other processes used
// more than 10 % of the CPUs (from /proc/stat) are repeated (up to 3 times as many runs) and
// left out of the medians, and the report says how many runs were quiet. Takes 3–5 minutes
// (about 2 with --quick), plus 5 s to write the 600 MB checkpoint the first time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { readDemoTiles } from '../unit/models/openclip/demo-tiles.ts';
import { writeFullSizeCheckpoint } from '../unit/models/openclip/full-size-checkpoint.ts';
import { median, mib, report } from './bench-util.ts';
import { demoPath } from './index.bench.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(REPO, 'node_modules', '.cache', 'mslens-bench', 'encoder');
const SELF = fileURLToPath(import.meta.url);
const TSX = join(REPO, 'node_modules/tsx/dist/cli.mjs');
const TILE_VALUES = 10 * 224 * 224;
const BATCHES = [1, 8, 32] as const;
/** Quiet timed runs wanted per batch size in one child (after one warm-up run each). */
const RUNS: Record<number, number> = { 1: 8, 8: 2, 32: 1 };
/** Runs during which others used more than this share of the CPUs are not counted as quiet. */
const QUIET = 0.1;
/** A contended run is repeated, up to this many times the runs wanted. */
const MAX_ATTEMPTS = 3;

type Variant = 'fp32' | 'int8' | 'fp16';
type Options = ort.InferenceSession.SessionOptions;

/** What the benchmark uses: 2 threads (2-core machine), all graph optimisations, ORT defaults otherwise. */
const BASE: Options = { intraOpNumThreads: 2, graphOptimizationLevel: 'all' };
/** Session options explored on top of BASE. */
const EXPLORE: Record<string, Options> = {
  'arena off (as the app)': { enableCpuMemArena: false },
  'no spinning': { extra: { session: { intra_op: { allow_spinning: '0' } } } },
  'dynamic_block_base 4': { extra: { session: { dynamic_block_base: '4' } } },
  'executionMode parallel': { executionMode: 'parallel', interOpNumThreads: 2 },
  '1 thread': { intraOpNumThreads: 1 },
};

interface ChildRequest { model: string; options: Options; tiles: string; batches: number[]; runs: Record<number, number>; saveEmbeddings?: string }
interface ChildRun { batch: number; tilesPerSecond: number; others: number }
interface ChildResult { loadSeconds: number; runs: ChildRun[]; peakMiB: Record<string, number> }

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

// ------------------------------------------------------------------ child: one session

async function child(req: ChildRequest): Promise<ChildResult> {
  const tiles = readF32(req.tiles);
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(req.model, req.options);
  const loadSeconds = (performance.now() - t0) / 1000;
  const peakMiB: Record<string, number> = { load: Math.round(process.resourceUsage().maxRSS / 1024) };
  const runs: ChildRun[] = [];
  for (const b of req.batches) {
    const feeds = { pixels: new ort.Tensor('float32', tiles.subarray(0, b * TILE_VALUES), [b, 10, 224, 224]) };
    const first = await session.run(feeds); // warm-up
    if (req.saveEmbeddings && b === Math.max(...req.batches)) writeFileSync(req.saveEmbeddings, first.embedding.data as Float32Array);
    const wanted = req.runs[b] ?? 1;
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
    peakMiB[`batch ${b}`] = Math.round(process.resourceUsage().maxRSS / 1024);
  }
  await session.release();
  return { loadSeconds, runs, peakMiB };
}

function runChild(req: ChildRequest): ChildResult {
  const r = spawnSync(process.execPath, [TSX, SELF, '--child', JSON.stringify(req)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`encoder bench child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ChildResult;
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

async function realisticTiles(): Promise<string> {
  const path = join(CACHE, 'demo-2240-tiles-32.f32');
  if (!existsSync(path)) {
    const { pixels } = await readDemoTiles(demoPath(2240), 32);
    writeFileSync(path, pixels);
  }
  return path;
}

function summarise(runs: ChildRun[]): Record<string, string | number> {
  const quiet = runs.filter((r) => !(r.others >= QUIET)); // NaN (not Linux) counts as quiet
  const use = quiet.length > 0 ? quiet : runs;
  const tps = use.map((r) => r.tilesPerSecond);
  return {
    'tiles/s': median(tps),
    range: `${Math.min(...tps).toFixed(1)}–${Math.max(...tps).toFixed(1)}`,
    runs: quiet.length > 0 ? `${quiet.length}/${runs.length} quiet` : `0/${runs.length} quiet (all shown)`,
  };
}

function cosines(a: Float32Array, b: Float32Array, dim: number): { min: number; median: number } {
  const cs: number[] = [];
  for (let i = 0; i < a.length / dim; i++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let k = i * dim; k < (i + 1) * dim; k++) {
      ab += a[k] * b[k];
      aa += a[k] * a[k];
      bb += b[k] * b[k];
    }
    cs.push(ab / Math.sqrt(aa * bb));
  }
  return { min: Math.min(...cs), median: median(cs) };
}

export async function benchEncoder(opts: { quick?: boolean } = {}): Promise<void> {
  const rounds = opts.quick ? 1 : 3;
  console.log(`image encoder, full-size ViT-B/16 10-band (random weights), CPU, ${BASE.intraOpNumThreads} threads; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const checkpoint = await ensureCheckpoint();
  const models = join(CACHE, 'models');
  convert(checkpoint, models);
  const tiles = await realisticTiles();
  const model = (v: Variant) => join(models, `image-encoder.${v}.onnx`);
  const embeddings = (v: Variant) => join(CACHE, `embeddings-${v}.f32`);

  // throughput and peak memory, the variants alternating round by round
  const runs = new Map<string, ChildRun[]>();
  const peak = new Map<Variant, ChildResult['peakMiB']>();
  for (let r = 0; r < rounds; r++) {
    const order: Variant[] = r % 2 === 0 ? ['fp32', 'int8', 'fp16'] : ['int8', 'fp32'];
    for (const v of order) {
      if (v === 'fp16' && r > 0) continue; // once, for information
      const res = runChild({ model: model(v), options: BASE, tiles, batches: [...BATCHES], runs: RUNS, saveEmbeddings: r === 0 ? embeddings(v) : undefined });
      for (const run of res.runs) runs.set(`${v} ${run.batch}`, [...(runs.get(`${v} ${run.batch}`) ?? []), run]);
      if (r === 0) peak.set(v, { ...res.peakMiB, 'load seconds': Number(res.loadSeconds.toFixed(2)) });
    }
  }
  for (const v of ['fp32', 'int8', 'fp16'] as const) {
    for (const b of BATCHES) report(`${v} batch ${b}`, summarise(runs.get(`${v} ${b}`) ?? []));
  }
  for (const v of ['fp32', 'int8', 'fp16'] as const) report(`${v} peak RSS MiB (one process)`, peak.get(v) ?? {});

  // int8 and fp16 against fp32 on 32 demo-scene tiles (the batch-32 outputs)
  const ref = readF32(embeddings('fp32'));
  for (const v of ['int8', 'fp16'] as const) {
    const c = cosines(ref, readF32(embeddings(v)), 512);
    report(`${v} vs fp32 cosine, 32 demo tiles`, { min: c.min.toFixed(5), median: c.median.toFixed(5) });
  }

  // session options, one change at a time, batches 1 and 8 (peak RSS after batch 8)
  for (const v of ['int8', 'fp32'] as const) {
    const explore: [string, Options][] = [['defaults', {}], ...Object.entries(EXPLORE)];
    const byName = new Map<string, ChildRun[]>();
    const peakB8 = new Map<string, number>();
    for (let r = 0; r < (opts.quick ? 1 : 2); r++) {
      for (const [name, extra] of r % 2 === 0 ? explore : [...explore].reverse()) {
        const res = runChild({ model: model(v), options: { ...BASE, ...extra }, tiles, batches: [1, 8], runs: { 1: 8, 8: 2 } });
        byName.set(name, [...(byName.get(name) ?? []), ...res.runs]);
        peakB8.set(name, res.peakMiB['batch 8']);
      }
    }
    for (const [name, rs] of byName) {
      const b1 = summarise(rs.filter((x) => x.batch === 1));
      const b8 = summarise(rs.filter((x) => x.batch === 8));
      report(`  ${v} ${name}`, { 'batch 1 tiles/s': b1['tiles/s'], 'batch 8 tiles/s': b8['tiles/s'], 'peak MiB': peakB8.get(name) ?? NaN, runs: `${b1.runs}; ${b8.runs}` });
    }
  }
  console.log(`load average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

if (process.argv[1] && resolve(process.argv[1]) === SELF && process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(JSON.parse(process.argv[3]) as ChildRequest)));
} else if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  await benchEncoder({ quick: process.argv.includes('--quick') });
}
