/**
 * The reference MS-CLIP-layout checkpoint written by upstream torch (tests/fixtures/openclip-ref).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MslensError } from '../../../../src-main/core/errors.ts';
import { openCheckpoint, type Checkpoint } from '../../../../src-main/core/models/checkpoint/index.ts';
import { readFixtureJson, fixture } from '../../../helpers/fixtures.ts';

interface RefConfig {
  state_dict_layout: {
    prefix_counts: Record<string, number>;
    keys_under_each_prefix: [string, number[], string][];
  };
  checkpoint: { num_storage_records: number };
}

const config = readFixtureJson<RefConfig>('openclip-ref', 'config.json');
const PREFIXES = ['clip_base_model.model.', 'text_encoder.model.', 'image_encoder.model.'];

/**
 * sha256 of the float32 little-endian bytes of some tensors, and the scalar values, computed
 * independently (Python zipfile + numpy on the raw records, no torch) when this test was written.
 */
const DIGESTS: Record<string, string> = {
  temperature: 'e7ced2a1b380f15ba508b543288d3ad46a04916d6b39f138aad242816b27847c',
  'clip_base_model.model.logit_scale': '8c19160a9e20900ca23a37b697b3655f5d2fb0f212c25503477affaf15dd1953',
  'clip_base_model.model.visual.conv1.weight': '8f7a8dfebf80c194325fee96c8c7bf1f618d41a7bb69b445360ea748fd95f626',
  'clip_base_model.model.positional_embedding': '3558c2495b8f52babc6ed951fc1c83e2ecca35f4243f9c6c50eab22476921a49',
  'clip_base_model.model.token_embedding.weight': '14e679e6b973bc21ac68ef1c2cb85380321139bb6a2fff4618caa0f74ac6c1b5',
  'clip_base_model.model.visual.transformer.resblocks.1.attn.in_proj_weight':
    '8df1c8114384855d8878eb4a2d571e0b04b673bdbb8cfaebd5045e0e6a7ee671',
};

function sha256(a: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

describe('openclip-ref checkpoint.pt', () => {
  let ckpt: Checkpoint;
  beforeAll(async () => {
    ckpt = await openCheckpoint(fixture('openclip-ref', 'checkpoint.pt'));
  });
  afterAll(async () => {
    await ckpt?.close();
  });

  test('has the 187 keys of the msclip layout, temperature first', () => {
    const keys = ckpt.keys();
    expect(keys).toHaveLength(187);
    expect(keys[0]).toBe('temperature');
    for (const [prefix, count] of Object.entries(config.state_dict_layout.prefix_counts)) {
      expect(keys.filter((k) => k === prefix || (prefix.endsWith('.') && k.startsWith(prefix)))).toHaveLength(count);
    }
  });

  test('every key has the shape and dtype config.json lists', () => {
    for (const prefix of PREFIXES) {
      for (const [name, shape, dtype] of config.state_dict_layout.keys_under_each_prefix) {
        const info = ckpt.info(prefix + name);
        expect(info.shape, prefix + name).toEqual(shape);
        expect(info.dtype).toBe(dtype);
      }
    }
    expect(ckpt.info('clip_base_model.model.visual.conv1.weight').shape).toEqual([64, 10, 16, 16]);
    expect(ckpt.info('clip_base_model.model.visual.conv1.weight').strides).toEqual([2560, 256, 16, 1]);
    expect(ckpt.info('temperature')).toMatchObject({ shape: [], strides: [], numel: 1, storageOffset: 0 });
    expect(ckpt.info('clip_base_model.model.logit_scale').shape).toEqual([]);
  });

  test('the three prefixes alias the same storage records', async () => {
    const storages = new Set(ckpt.keys().map((k) => ckpt.info(k).storageKey));
    expect(storages.size).toBe(config.checkpoint.num_storage_records);
    for (const [name] of config.state_dict_layout.keys_under_each_prefix) {
      const [a, b, c] = PREFIXES.map((p) => ckpt.info(p + name).storageKey);
      expect(b).toBe(a);
      expect(c).toBe(a);
    }
    const [x, y] = await Promise.all([
      ckpt.readFloat32('clip_base_model.model.visual.conv1.weight'),
      ckpt.readFloat32('image_encoder.model.visual.conv1.weight'),
    ]);
    expect(sha256(y)).toBe(sha256(x));
    expect(y === x).toBe(false); // separate copies
  });

  test('values match digests computed independently from the raw records', async () => {
    for (const [key, digest] of Object.entries(DIGESTS)) {
      const data = await ckpt.readFloat32(key);
      expect(data.length).toBe(ckpt.info(key).numel);
      expect(sha256(data), key).toBe(digest);
    }
    expect((await ckpt.readFloat32('temperature'))[0]).toBe(Math.fround(0.0779302716255188));
    expect((await ckpt.readFloat32('text_encoder.model.logit_scale'))[0]).toBe(Math.fround(2.4949758052825928));
  });

  test('values follow the randomisation recipe in config.json', async () => {
    const conv = await ckpt.readFloat32('clip_base_model.model.visual.conv1.weight');
    const mean = conv.reduce((a, b) => a + b, 0) / conv.length;
    const std = Math.sqrt(conv.reduce((a, b) => a + (b - mean) ** 2, 0) / conv.length);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021); // N(0, 0.02²) over 163840 values
    const ln = await ckpt.readFloat32('clip_base_model.model.ln_final.weight');
    expect(ln.reduce((a, b) => a + b, 0) / ln.length).toBeCloseTo(1, 1); // 1 + N(0, 0.1²)
  });

  test('reads every tensor, concurrently', async () => {
    const all = await Promise.all(ckpt.keys().map((k) => ckpt.readFloat32(k)));
    all.forEach((data, i) => expect(data.length).toBe(ckpt.info(ckpt.keys()[i]).numel));
    expect(all.every((d) => d.every(Number.isFinite))).toBe(true);
  });

  test('an unknown key is a BAD_ARGUMENT', async () => {
    expect(() => ckpt.info('visual.conv1.weight')).toThrow(MslensError);
    await expect(ckpt.readFloat32('nope')).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    expect(ckpt.has('nope')).toBe(false);
    expect(ckpt.has('temperature')).toBe(true);
  });
});

test('reading after close is refused', async () => {
  const ckpt = await openCheckpoint(fixture('openclip-ref', 'checkpoint.pt'));
  await ckpt.close();
  await ckpt.close(); // idempotent
  await expect(ckpt.readFloat32('temperature')).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
});

test('an aborted signal cancels', async () => {
  const ckpt = await openCheckpoint(fixture('openclip-ref', 'checkpoint.pt'));
  try {
    await expect(ckpt.readFloat32('temperature', AbortSignal.abort())).rejects.toMatchObject({ code: 'CANCELLED' });
  } finally {
    await ckpt.close();
  }
  await expect(openCheckpoint(fixture('openclip-ref', 'checkpoint.pt'), AbortSignal.abort())).rejects.toMatchObject({
    code: 'CANCELLED',
  });
});
