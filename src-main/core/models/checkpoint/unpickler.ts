/**
 * A restricted pickle reader. It understands the data opcodes of protocols 0–5 that a
 * `torch.save` state_dict uses, and hands every GLOBAL, REDUCE, NEWOBJ, BUILD and persistent
 * id to the caller's hooks, which decide what each means. Nothing in a pickle is ever run:
 * the opcodes that would import or call something unknown (INST, OBJ, EXT*, out-of-band
 * buffers) are refused outright, and the hooks refuse any global they do not know.
 */
import { OP, REFUSED } from './pickle-opcodes.ts';
import { PickleError, PyDict, PySet, type PickleHooks, type PickleKey, type PickleValue } from './pickle-values.ts';

const utf8 = new TextDecoder('utf-8');

/** Longest LONG1/LONG4 integer accepted, in bytes (state_dicts hold small integers). */
const MAX_LONG_BYTES = 64;

function tuple(items: PickleValue[]): readonly PickleValue[] {
  return Object.freeze(items);
}

function asKey(v: PickleValue): PickleKey {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  // Tuples or objects as dict keys never occur in a state_dict.
  throw new PickleError('a dict key is not a plain value');
}

/** Little-endian two's-complement integer of `bytes`, as a number when it is safe, else a bigint. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  if (bytes.length > MAX_LONG_BYTES) throw new PickleError(`the pickle holds a ${bytes.length}-byte integer, far too large for a state_dict`);
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * Unpickles `data`. Every GLOBAL, call, BUILD and persistent id goes through `hooks`.
 * Throws PickleError for malformed input or refused opcodes; hook errors pass through.
 */
export function unpickle(data: Uint8Array, hooks: PickleHooks): PickleValue {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  // Like Python's Unpickler: MARK moves the current stack onto `marks` and starts a new one.
  let stack: PickleValue[] = [];
  const marks: PickleValue[][] = [];
  const memo = new Map<number, PickleValue>();

  const need = (n: number): number => {
    if (n < 0 || pos + n > data.length) throw new PickleError('the pickle ends unexpectedly (the file is probably truncated)');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => data[need(1)];
  const u16 = (): number => dv.getUint16(need(2), true);
  const i32 = (): number => dv.getInt32(need(4), true);
  const u32 = (): number => dv.getUint32(need(4), true);
  const u64 = (): number => {
    const v = dv.getBigUint64(need(8), true);
    if (v > BigInt(data.length)) throw new PickleError('the pickle ends unexpectedly (the file is probably truncated)');
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    const at = need(n);
    return data.subarray(at, at + n);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError('the pickle ends unexpectedly (the file is probably truncated)');
    const s = utf8.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };

  const pop = (): PickleValue => {
    if (stack.length === 0) throw new PickleError('the pickle pops from an empty stack');
    return stack.pop() as PickleValue;
  };
  const top = (): PickleValue => {
    if (stack.length === 0) throw new PickleError('the pickle has no value on the stack where one is needed');
    return stack[stack.length - 1];
  };
  const popMark = (): PickleValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) throw new PickleError('the pickle closes a MARK it never opened');
    stack = prev;
    return items;
  };
  const push = (v: PickleValue): void => {
    stack.push(v);
  };
  const memoGet = (i: number): PickleValue => {
    const v = memo.get(i);
    if (v === undefined) throw new PickleError(`the pickle refers to memo slot ${i}, which was never set`);
    return v;
  };
  const setItems = (target: PickleValue, kv: PickleValue[]): void => {
    if (!(target instanceof PyDict)) throw new PickleError('the pickle sets an item on something that is not a dict');
    if (kv.length % 2 !== 0) throw new PickleError('the pickle has an odd number of dict items');
    for (let i = 0; i < kv.length; i += 2) target.entries.set(asKey(kv[i]), kv[i + 1]);
  };
  const appendItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(target) || Object.isFrozen(target)) throw new PickleError('the pickle appends to something that is not a list');
    for (const item of items) (target as PickleValue[]).push(item);
  };
  const textInt = (s: string): number | bigint | boolean => {
    if (s === '00') return false;
    if (s === '01') return true;
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[+-]?\d+$/.test(t)) throw new PickleError(`the pickle has a malformed integer "${s}"`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case OP.PROTO: {
        const v = u8();
        if (v > 5) throw new PickleError(`the pickle uses protocol ${v}, newer than 5`);
        break;
      }
      case OP.FRAME:
        u64(); // framing is only a read-ahead hint; the whole pickle is in memory
        break;
      case OP.STOP:
        return pop();
      case OP.MARK:
        marks.push(stack);
        stack = [];
        break;
      case OP.POP:
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        push(top());
        break;

      case OP.NONE:
        push(null);
        break;
      case OP.NEWTRUE:
        push(true);
        break;
      case OP.NEWFALSE:
        push(false);
        break;
      case OP.BININT:
        push(i32());
        break;
      case OP.BININT1:
        push(u8());
        break;
      case OP.BININT2:
        push(u16());
        break;
      case OP.LONG1:
        push(decodeLong(bytes(u8())));
        break;
      case OP.LONG4: {
        const n = i32();
        if (n < 0) throw new PickleError('the pickle has a negative LONG4 length');
        push(decodeLong(bytes(n)));
        break;
      }
      case OP.INT:
      case OP.LONG:
        push(textInt(line()));
        break;
      case OP.BINFLOAT:
        push(dv.getFloat64(need(8), false));
        break;
      case OP.FLOAT: {
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/nan/i.test(s)) throw new PickleError(`the pickle has a malformed float "${s}"`);
        push(v);
        break;
      }

      case OP.BINUNICODE:
        push(utf8.decode(bytes(u32())));
        break;
      case OP.SHORT_BINUNICODE:
        push(utf8.decode(bytes(u8())));
        break;
      case OP.BINUNICODE8:
        push(utf8.decode(bytes(u64())));
        break;
      case OP.BINSTRING: {
        const n = i32();
        if (n < 0) throw new PickleError('the pickle has a negative BINSTRING length');
        push(utf8.decode(bytes(n))); // torch.load decodes Python 2 strings as UTF-8
        break;
      }
      case OP.SHORT_BINSTRING:
        push(utf8.decode(bytes(u8())));
        break;
      case OP.BINBYTES:
        push(bytes(u32()).slice());
        break;
      case OP.SHORT_BINBYTES:
        push(bytes(u8()).slice());
        break;
      case OP.BINBYTES8:
      case OP.BYTEARRAY8:
        push(bytes(u64()).slice());
        break;

      case OP.EMPTY_DICT:
        push(new PyDict());
        break;
      case OP.EMPTY_LIST:
        push([]);
        break;
      case OP.EMPTY_TUPLE:
        push(tuple([]));
        break;
      case OP.EMPTY_SET:
        push(new PySet());
        break;
      case OP.TUPLE:
        push(tuple(popMark()));
        break;
      case OP.TUPLE1: {
        const a = pop();
        push(tuple([a]));
        break;
      }
      case OP.TUPLE2: {
        const b = pop();
        const a = pop();
        push(tuple([a, b]));
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        const a = pop();
        push(tuple([a, b, c]));
        break;
      }
      case OP.LIST:
        push(popMark());
        break;
      case OP.DICT: {
        const d = new PyDict();
        setItems(d, popMark());
        push(d);
        break;
      }
      case OP.FROZENSET: {
        const s = new PySet();
        for (const item of popMark()) s.items.push(item);
        push(s);
        break;
      }
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case OP.SETITEMS: {
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case OP.APPEND: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case OP.ADDITEMS: {
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) throw new PickleError('the pickle adds items to something that is not a set');
        for (const item of items) s.items.push(item);
        break;
      }

      case OP.BINPUT:
        memo.set(u8(), top());
        break;
      case OP.LONG_BINPUT:
        memo.set(u32(), top());
        break;
      case OP.PUT:
        memo.set(Number(textInt(line())), top());
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
        push(memoGet(u8()));
        break;
      case OP.LONG_BINGET:
        push(memoGet(u32()));
        break;
      case OP.GET:
        push(memoGet(Number(textInt(line()))));
        break;

      case OP.GLOBAL: {
        const module = line();
        const name = line();
        push(hooks.resolveGlobal(module, name));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError('STACK_GLOBAL needs two strings');
        push(hooks.resolveGlobal(module, name));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        const fn = pop();
        if (!Array.isArray(args)) throw new PickleError('REDUCE needs an argument tuple');
        push(hooks.call(fn, args, 'REDUCE'));
        break;
      }
      case OP.NEWOBJ: {
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) throw new PickleError('NEWOBJ needs an argument tuple');
        push(hooks.call(cls, args, 'NEWOBJ'));
        break;
      }
      case OP.NEWOBJ_EX: {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) throw new PickleError('NEWOBJ_EX needs an argument tuple');
        if (!(kwargs instanceof PyDict) || kwargs.entries.size > 0) throw new PickleError('NEWOBJ_EX with keyword arguments is not supported');
        push(hooks.call(cls, args, 'NEWOBJ'));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const target = pop();
        push(hooks.build(target, state));
        break;
      }
      case OP.BINPERSID:
        push(hooks.persistentLoad(pop()));
        break;
      case OP.PERSID:
        push(hooks.persistentLoad(line()));
        break;

      default: {
        const refused = REFUSED[op];
        if (refused) throw new PickleError(`the pickle uses the ${refused} opcode, which can run code; it is refused`);
        throw new PickleError(`the pickle uses opcode 0x${op.toString(16).padStart(2, '0')}, which mslens does not support`);
      }
    }
  }
}
