/**
 * The restricted unpickler on its own, against pickles CPython's pickle.dumps wrote for plain
 * data (hex below), and on malformed input.
 */
import { describe, expect, test } from 'vitest';
import { PickleError, PyDict, PySet, type PickleHooks, type PickleValue } from '../../../../src-main/core/models/checkpoint/pickle-values.ts';
import { unpickle } from '../../../../src-main/core/models/checkpoint/unpickler.ts';
import { PickleBuilder } from '../../../fixtures/make-torch-checkpoint.ts';

const refuseAll: PickleHooks = {
  resolveGlobal: (m, n) => {
    throw new Error(`global ${m}.${n}`);
  },
  call: () => {
    throw new Error('call');
  },
  build: () => {
    throw new Error('build');
  },
  persistentLoad: () => {
    throw new Error('persistent id');
  },
};

/** A pickle value as plain JSON-able data, for comparison. */
function plain(v: PickleValue): unknown {
  if (v instanceof PyDict) return Object.fromEntries([...v.entries].map(([k, x]) => [String(k), plain(x)]));
  if (v instanceof PySet) return { set: v.items.map(plain) };
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (Array.isArray(v)) return (v as readonly PickleValue[]).map(plain);
  return v;
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

const COMMON = {
  a: [1, -2, 300, 70000, -(2 ** 40), { bigint: (2n ** 70n).toString() }, { bigint: (-(2n ** 70n)).toString() }, 1.5, -0, true, false, null,
    'ünï €', [1], [1, 2], [1, 2, 3], [1, 2, 3, 4], []],
  b: { nested: 'x' },
  7: 'int key',
};

// pickle.dumps(obj, protocol=p) from CPython 3.11
const PICKLES: [number, string, unknown][] = [
  [1, '7d71002858010000006171015d7102284b014afeffffff4d2c014a701101004c2d313039393531313632373737364c0a4c313138303539313632303731373431313330333432344c0a4c2d313138303539313632303731373431313330333432344c0a473ff80000000000004780000000000000004930310a4930300a4e5809000000c3bc6ec3af20e282ac7103284b01747104284b014b02747105284b014b024b03747106284b014b024b034b04747107296558010000006271087d710958060000006e6573746564710a580100000078710b734b075807000000696e74206b6579710c752e', COMMON],
  [2, '80027d71002858010000006171015d7102284b014afeffffff4d2c014a701101008a060000000000ff8a090000000000000000408a090000000000000000c0473ff800000000000047800000000000000088894e5809000000c3bc6ec3af20e282ac71034b018571044b014b028671054b014b024b03877106284b014b024b034b04747107296558010000006271087d710958060000006e6573746564710a580100000078710b734b075807000000696e74206b6579710c752e', COMMON],
  [3, '80037d71002858010000006171015d7102284b014afeffffff4d2c014a701101008a060000000000ff8a090000000000000000408a090000000000000000c0473ff800000000000047800000000000000088894e5809000000c3bc6ec3af20e282ac71034b018571044b014b028671054b014b024b03877106284b014b024b034b04747107296558010000006271087d710958060000006e6573746564710a580100000078710b734b075807000000696e74206b6579710c580100000063710d5d710e43030001ff710f6158010000006471105d7111285d7112284b014b0265681265752e',
    { ...COMMON, c: [{ bytes: [0, 1, 255] }], d: [[1, 2], [1, 2]] }],
  [4, '800495c6000000000000007d94288c0161945d94284b014afeffffff4d2c014a701101008a060000000000ff8a090000000000000000408a090000000000000000c0473ff800000000000047800000000000000088894e8c09c3bc6ec3af20e282ac944b0185944b014b0286944b014b024b038794284b014b024b034b04749429658c0162947d948c066e6573746564948c017894734b078c07696e74206b6579948c0163945d942843030001ff948f94284b034b0490284b059194658c0164945d94285d94284b014b0265681465752e',
    { ...COMMON, c: [{ bytes: [0, 1, 255] }, { set: [3, 4] }, { set: [5] }], d: [[1, 2], [1, 2]] }],
  [5, '800595c6000000000000007d94288c0161945d94284b014afeffffff4d2c014a701101008a060000000000ff8a090000000000000000408a090000000000000000c0473ff800000000000047800000000000000088894e8c09c3bc6ec3af20e282ac944b0185944b014b0286944b014b024b038794284b014b024b034b04749429658c0162947d948c066e6573746564948c017894734b078c07696e74206b6579948c0163945d942843030001ff948f94284b034b0490284b059194658c0164945d94285d94284b014b0265681465752e',
    { ...COMMON, c: [{ bytes: [0, 1, 255] }, { set: [3, 4] }, { set: [5] }], d: [[1, 2], [1, 2]] }],
];

describe('CPython pickles of plain data', () => {
  test.each(PICKLES)('protocol %i', (_p, data, want) => {
    const got = unpickle(hex(data), refuseAll);
    expect(plain(got)).toEqual(want);
  });

  test('memoised objects come back shared; tuples are frozen, lists are not', () => {
    const got = unpickle(hex(PICKLES[4][1]), refuseAll) as PyDict;
    const d = got.entries.get('d') as PickleValue[][];
    expect(d[0]).toBe(d[1]);
    const a = got.entries.get('a') as PickleValue[];
    expect(Object.isFrozen(a[14])).toBe(true);
    expect(Object.isFrozen(a)).toBe(false);
  });
});

describe('malformed or hostile pickles', () => {
  const fail = (bytes: Uint8Array | number[], message: RegExp): void => {
    expect(() => unpickle(Uint8Array.from(bytes), refuseAll)).toThrow(PickleError);
    expect(() => unpickle(Uint8Array.from(bytes), refuseAll)).toThrow(message);
  };

  test('truncated input', () => {
    fail([0x80, 0x02, 0x58, 0x10, 0, 0, 0, 0x61], /ends unexpectedly/);
    fail([0x80, 0x02, 0x4b], /ends unexpectedly/);
    fail([0x80, 0x02, 0x5d], /ends unexpectedly/); // no STOP
  });

  test('stack misuse', () => {
    fail([0x80, 0x02, 0x2e], /empty stack/);
    fail([0x80, 0x02, 0x74, 0x2e], /never opened/);
    fail([0x80, 0x02, 0x68, 0x05, 0x2e], /memo slot 5/);
    fail([0x80, 0x02, 0x29, 0x4b, 0x01, 0x61, 0x2e], /not a list/); // APPEND to a tuple
    fail([0x80, 0x02, 0x5d, 0x4b, 0x01, 0x4b, 0x02, 0x73, 0x2e], /not a dict/);
  });

  test('refused and unknown opcodes', () => {
    fail([0x28, ...Buffer.from('ios\nsystem\n'), 0x2e], /INST opcode/);
    fail([0x80, 0x02, 0x82, 0x01, 0x2e], /EXT1 opcode/);
    fail([0x80, 0x05, 0x97, 0x2e], /NEXT_BUFFER opcode/);
    fail([0x80, 0x02, 0x53, ...Buffer.from("'x'\n"), 0x2e], /opcode 0x53/);
    fail([0x80, 0x06, 0x4e, 0x2e], /protocol 6/);
  });

  test('absurd integers', () => {
    fail([0x80, 0x02, 0x8b, 0x00, 0x01, 0x00, 0x00, ...new Array<number>(256).fill(1), 0x2e], /256-byte integer/);
  });

  test('globals and persistent ids go to the hooks', () => {
    const p = new PickleBuilder().proto(2).global('os', 'system').stop();
    expect(() => unpickle(p.bytes(), refuseAll)).toThrow('global os.system');
    const q = new PickleBuilder().proto(2).str('pid').binpersid().stop();
    expect(() => unpickle(q.bytes(), refuseAll)).toThrow('persistent id');
  });
});
