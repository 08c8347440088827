/**
 * Checkpoints written by tests/fixtures/make-torch-checkpoint.ts: dtypes, views, zip variants,
 * and files that must be refused.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MslensError } from '../../../../src-main/core/errors.ts';
import { openCheckpoint } from '../../../../src-main/core/models/checkpoint/index.ts';
import {
  PickleBuilder,
  randomFill,
  roundTo,
  simpleStateDict,
  stateDictPickle,
  writeTorchCheckpoint,
  writeZip,
  type StorageSpec,
  type TensorSpec,
} from '../../../fixtures/make-torch-checkpoint.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mslens-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(path: string): Promise<Map<string, Float32Array>> {
  const ckpt = await openCheckpoint(path);
  try {
    const out = new Map<string, Float32Array>();
    for (const k of ckpt.keys()) out.set(k, await ckpt.readFloat32(k));
    return out;
  } finally {
    await ckpt.close();
  }
}

/** The float value of binary16 bits, straight from the IEEE 754 definition. */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * 2 ** (e - 15) * (1 + m / 1024);
}

async function expectLoadFailure(path: string, message: RegExp): Promise<MslensError> {
  const err = await openCheckpoint(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MslensError);
  expect((err as MslensError).code).toBe('MODEL_LOAD_FAILED');
  expect((err as MslensError).message).toMatch(message);
  return err as MslensError;
}

describe('dtypes', () => {
  test('float16: every finite bit pattern widens exactly', async () => {
    const values = new Float32Array(65536 - 2 * 1024 + 2); // all but NaNs, plus ±Inf
    let n = 0;
    for (let h = 0; h < 65536; h++) {
      const v = halfValue(h);
      if (!Number.isNaN(v)) values[n++] = v;
    }
    const path = join(dir, 'half.pt');
    const sd = simpleStateDict([{ name: 'h', shape: [n], dtype: 'float16', values: values.subarray(0, n) }]);
    await writeTorchCheckpoint(path, sd.storages, sd.tensors);
    const ckpt = await openCheckpoint(path);
    expect(ckpt.info('h').dtype).toBe('float16');
    const got = await ckpt.readFloat32('h');
    await ckpt.close();
    const want = values.subarray(0, n);
    expect(got).toHaveLength(n);
    expect(got.findIndex((v, i) => !Object.is(v, want[i]))).toBe(-1); // -0 included
  });

  test('float16 and bfloat16: known roundings, NaN and infinities', async () => {
    const src = Float32Array.from([0.1, 1 / 3, -2, 65504, 1e-7, 2 ** -24, 0, -0, Infinity, -Infinity, NaN, 70000]);
    const path = join(dir, 'mixed.pt');
    const sd = simpleStateDict([
      { name: 'half', shape: [src.length], dtype: 'float16', values: src },
      { name: 'bf16', shape: [src.length], dtype: 'bfloat16', values: src },
      { name: 'f32', shape: [src.length], values: src },
    ]);
    await writeTorchCheckpoint(path, sd.storages, sd.tensors);
    const t = await readAll(path);
    expect(Array.from(t.get('half')!)).toEqual([
      0.0999755859375, 0.333251953125, -2, 65504, 1.1920928955078125e-7, 2 ** -24, 0, -0, Infinity, -Infinity, NaN, Infinity,
    ]);
    expect(Array.from(t.get('bf16')!)).toEqual([
      0.10009765625, 0.333984375, -2, 65536, 1.0011717677116394e-7, 2 ** -24, 0, -0, Infinity, -Infinity, NaN, 70144,
    ]);
    expect(Array.from(t.get('f32')!)).toEqual(Array.from(src));
  });

  test('bfloat16: bulk random values round-trip', async () => {
    const path = join(dir, 'bf16.pt');
    const sd = simpleStateDict([{ name: 'w', shape: [300, 7], dtype: 'bfloat16', values: randomFill(3, 10) }]);
    await writeTorchCheckpoint(path, sd.storages, sd.tensors);
    const got = (await readAll(path)).get('w')!;
    const ref = new Float32Array(2100);
    randomFill(3, 10)(ref, 0);
    expect(got).toEqual(ref.map((v) => roundTo('bfloat16', v)));
  });
});

describe('views', () => {
  const base = Float32Array.from({ length: 120 }, (_, i) => i);
  const storages: StorageSpec[] = [
    { key: '0', dtype: 'float32', numel: 120, values: base },
    { key: '1', dtype: 'float16', numel: 120, values: base },
  ];
  /** What a strided view holds, from the definition. */
  function gather(shape: number[], strides: number[], offset: number): number[] {
    const out: number[] = [];
    const rec = (d: number, at: number): void => {
      if (d === shape.length) {
        out.push(base[at]);
        return;
      }
      for (let i = 0; i < shape[d]; i++) rec(d + 1, at + i * strides[d]);
    };
    rec(0, offset);
    return out;
  }
  const views: (TensorSpec & { strides: number[]; offset: number })[] = [
    { name: 'full', storage: '0', shape: [2, 3, 4, 5], strides: [60, 20, 5, 1], offset: 0 },
    { name: 'transposed', storage: '0', shape: [5, 24], strides: [1, 5], offset: 0 },
    { name: 'permuted', storage: '0', shape: [5, 2, 4, 3], strides: [1, 60, 5, 20], offset: 0 },
    { name: 'row-slice', storage: '0', shape: [3, 10], strides: [10, 1], offset: 50 },
    { name: 'column-slice', storage: '0', shape: [4, 3], strides: [10, 2], offset: 7 },
    { name: 'expanded', storage: '0', shape: [4, 6], strides: [0, 1], offset: 100 },
    { name: 'scalar-view', storage: '0', shape: [], strides: [], offset: 119 },
    { name: 'empty', storage: '0', shape: [0, 4], strides: [4, 1], offset: 0 },
    { name: 'half-transposed', storage: '1', shape: [10, 12], strides: [1, 10], offset: 0 },
    { name: 'half-slice', storage: '1', shape: [2, 2], strides: [12, 3], offset: 13 },
  ];

  test('non-contiguous views come out contiguous row-major', async () => {
    const path = join(dir, 'views.pt');
    await writeTorchCheckpoint(path, storages, views);
    const ckpt = await openCheckpoint(path);
    try {
      for (const v of views) {
        expect(ckpt.info(v.name)).toMatchObject({ shape: v.shape, strides: v.strides, storageOffset: v.offset });
        expect(Array.from(await ckpt.readFloat32(v.name)), v.name).toEqual(gather(v.shape as number[], v.strides, v.offset));
      }
      expect(ckpt.info('empty').numel).toBe(0);
    } finally {
      await ckpt.close();
    }
  });

  test('a view reaching past its storage is refused', async () => {
    const path = join(dir, 'overrun.pt');
    await writeTorchCheckpoint(path, storages, [{ name: 'bad', storage: '0', shape: [11, 11], strides: [11, 1] }]);
    await expectLoadFailure(path, /bad reaches past the end of its data/);
  });
});

describe('zip and pickle variants', () => {
  const sd = simpleStateDict([
    { name: 'a.weight', shape: [3, 4], values: randomFill(1) },
    { name: 'a.bias', shape: [3], dtype: 'float16', values: randomFill(2) },
    { name: 'logit_scale', shape: [], values: Float32Array.of(4.6052) },
  ]);
  let expected: Map<string, Float32Array>;
  beforeAll(async () => {
    const path = join(dir, 'plain.pt');
    await writeTorchCheckpoint(path, sd.storages, sd.tensors);
    expected = await readAll(path);
    expect(expected.get('logit_scale')).toEqual(Float32Array.of(4.6052));
  });

  test.each([
    ['zip64 records everywhere', { forceZip64: true }],
    ['torch 1.x layout (no extra records, no _metadata)', { torch2Records: false, metadata: false }],
    ['any top folder name', { topFolder: 'Llama3_MS_CLIP_weights' }],
    ['parameters (_rebuild_parameter)', { asParameters: true }],
  ])('%s', async (_label, opts) => {
    const path = join(dir, `variant-${Math.random().toString(36).slice(2)}.pt`);
    await writeTorchCheckpoint(path, sd.storages, sd.tensors, opts);
    const got = await readAll(path);
    expect([...got.keys()]).toEqual(['a.weight', 'a.bias', 'logit_scale']);
    for (const [k, v] of expected) expect(got.get(k)).toEqual(v);
  });

  test('protocol 4 with STACK_GLOBAL and MEMOIZE, nested dicts are flattened', async () => {
    const p = new PickleBuilder().proto(4);
    p.raw([0x95, 0, 0, 0, 0, 0, 0, 0, 0]); // FRAME (ignored)
    p.emptyDict().raw([0x94]); // EMPTY_DICT MEMOIZE
    p.mark().str('epoch').int(3).str('state_dict');
    p.stackGlobal('collections', 'OrderedDict').emptyTuple().reduce().raw([0x94]);
    p.str('w').stackGlobal('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').stackGlobal('torch', 'FloatStorage').str('0').str('cpu').int(12).tuple().binpersid();
    p.int(0).intTuple([3, 4]).intTuple([4, 1]).bool(false).stackGlobal('collections', 'OrderedDict').emptyTuple().reduce();
    p.tuple().reduce().setitem().setitems().stop();
    const values = new Float32Array(12);
    randomFill(1)(values, 0);
    const path = join(dir, 'proto4.pt');
    await writeZip(path, [
      { name: 'archive/data.pkl', size: p.bytes().length, data: p.bytes() },
      { name: 'archive/data/0', size: 48, data: new Uint8Array(values.buffer) },
      { name: 'archive/version', size: 2, data: Buffer.from('3\n') },
    ]);
    const got = await readAll(path);
    expect([...got.keys()]).toEqual(['state_dict.w']);
    expect(got.get('state_dict.w')).toEqual(values);
  });
});

describe('refused files', () => {
  async function zipWithPickle(name: string, pickle: Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeZip(path, [
      { name: 'x/data.pkl', size: pickle.length, data: pickle },
      { name: 'x/data/0', size: 4, data: new Uint8Array(4) },
    ]);
    return path;
  }

  test('os.system via GLOBAL', async () => {
    const p = new PickleBuilder().proto(2).global('os', 'system').mark().str('touch /tmp/pwned').tuple().reduce().stop();
    const path = await zipWithPickle('os-system.pt', p.bytes());
    await expectLoadFailure(
      path,
      /^os-system\.pt contains os\.system, which is not a plain PyTorch state_dict; mslens only loads state_dicts and never runs code from a checkpoint\.$/,
    );
  });

  test('builtins.eval via STACK_GLOBAL, hidden inside a state_dict', async () => {
    const p = new PickleBuilder().proto(4).global('collections', 'OrderedDict').emptyTuple().reduce();
    p.str('w').stackGlobal('builtins', 'eval').str('1+1').raw([0x85]).reduce().setitem().stop();
    await expectLoadFailure(await zipWithPickle('eval.pt', p.bytes()), /contains builtins\.eval, which is not a plain PyTorch state_dict/);
  });

  test.each([
    ['torch.load', 'torch', 'load'],
    ['a torch function outside the whitelist', 'torch._utils', '_rebuild_device_tensor_from_numpy'],
    ['numpy', 'numpy.core.multiarray', '_reconstruct'],
    ['a lookalike module', 'collections.abc', 'OrderedDict'],
  ])('%s', async (_label, module, name) => {
    const p = new PickleBuilder().proto(2).global(module, name).emptyTuple().reduce().stop();
    await expectLoadFailure(await zipWithPickle(`g-${name}.pt`, p.bytes()), new RegExp(`contains ${module}\\.${name}, which`));
  });

  test('calling a storage type or using INST is refused', async () => {
    const call = new PickleBuilder().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop();
    await expectLoadFailure(await zipWithPickle('call-storage.pt', call.bytes()), /not a readable state_dict: the pickle calls torch\.FloatStorage/);
    const inst = new PickleBuilder().mark().raw(Buffer.from('ios\nsystem\n')).stop();
    await expectLoadFailure(await zipWithPickle('inst.pt', inst.bytes()), /INST opcode/);
  });

  test('a pickle that is not a dict of tensors', async () => {
    const list = new PickleBuilder().proto(2).emptyList().stop();
    await expectLoadFailure(await zipWithPickle('list.pt', list.bytes()), /does not hold a state_dict/);
    const empty = new PickleBuilder().proto(2).emptyDict().stop();
    await expectLoadFailure(await zipWithPickle('empty.pt', empty.bytes()), /holds no tensors/);
  });

  test('a dict that contains itself', async () => {
    const p = new PickleBuilder().proto(2).emptyDict().put().str('self').get(0).setitem().stop();
    await expectLoadFailure(await zipWithPickle('cycle.pt', p.bytes()), /nest too deeply or contain themselves/);
  });

  test('a truncated checkpoint', async () => {
    const sd = simpleStateDict([{ name: 'w', shape: [64, 64], values: randomFill(5) }]);
    const whole = join(dir, 'whole.pt');
    await writeTorchCheckpoint(whole, sd.storages, sd.tensors);
    const bytes = await readFile(whole);
    for (const keep of [bytes.length - 10, Math.floor(bytes.length / 2), 100, 3]) {
      const cut = join(dir, `cut-${keep}.pt`);
      await writeFile(cut, bytes.subarray(0, keep));
      await expectLoadFailure(cut, keep >= 4 ? /incomplete/ : /not a PyTorch checkpoint/);
    }
  });

  test('a truncated data.pkl', async () => {
    const pickle = stateDictPickle([{ key: '0', dtype: 'float32', numel: 1, values: Float32Array.of(1) }], [
      { name: 'w', storage: '0', shape: [] },
    ]);
    await expectLoadFailure(await zipWithPickle('short-pickle.pt', pickle.subarray(0, pickle.length - 20)), /ends unexpectedly/);
  });

  test('a missing storage record', async () => {
    const pickle = stateDictPickle([{ key: '7', dtype: 'float32', numel: 1, values: Float32Array.of(1) }], [
      { name: 'w', storage: '7', shape: [] },
    ]);
    await expectLoadFailure(await zipWithPickle('missing-record.pt', pickle), /record 7 is missing/);
  });

  test('a compressed entry', async () => {
    const sd = simpleStateDict([{ name: 'w', shape: [4], values: randomFill(5) }]);
    const path = join(dir, 'deflated.pt');
    await writeTorchCheckpoint(path, sd.storages, sd.tensors);
    const bytes = await readFile(path);
    // mark the data.pkl entry as DEFLATE in the central directory
    const cd = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt16LE(8, cd + 10);
    await writeFile(path, bytes);
    await expectLoadFailure(path, /data\.pkl is compressed \(zip method 8\)/);
  });

  test('files that are not checkpoints', async () => {
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'just some text, long enough to look like a file\n'.repeat(20));
    await expectLoadFailure(text, /notes\.txt is not a PyTorch checkpoint/);
    const legacy = join(dir, 'legacy.pt');
    await writeFile(legacy, new PickleBuilder().proto(2).int(0x1950a86a20f9469cfc6c).stop().bytes());
    await expectLoadFailure(legacy, /legacy PyTorch format/);
    const otherZip = join(dir, 'other.zip');
    await writeZip(otherZip, [{ name: 'readme.txt', size: 2, data: Buffer.from('hi') }]);
    await expectLoadFailure(otherZip, /has no data\.pkl record/);
    const script = join(dir, 'ViT-B-16.pt');
    const code = new PickleBuilder().proto(2).global('__torch__.model', 'CLIP').emptyTuple().reduce().stop().bytes();
    await writeZip(script, [
      { name: 'ViT-B-16/data.pkl', size: code.length, data: code },
      { name: 'ViT-B-16/constants.pkl', size: 3, data: Uint8Array.of(0x80, 0x02, 0x2e) },
      { name: 'ViT-B-16/code/__torch__/model.py', size: 2, data: Buffer.from('#\n') },
    ]);
    await expectLoadFailure(script, /is a TorchScript model \(torch\.jit\.save\), not a state_dict/);
    await expectLoadFailure(join(dir, 'does-not-exist.pt'), /does not exist/);
    await expectLoadFailure(dir, /is a folder or device/);
  });
});
