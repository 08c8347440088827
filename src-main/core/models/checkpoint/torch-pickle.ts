/**
 * What the names in a `torch.save` state_dict pickle mean. Only a whitelist is accepted:
 * OrderedDict, the tensor/parameter rebuild functions, storage types and dtypes. They are
 * interpreted here as plain records; nothing from the checkpoint is ever executed.
 */
import { PickleError, PyDict, PyGlobal, PyObject, type PickleHooks, type PickleValue } from './pickle-values.ts';
import type { TensorDtype } from './tensor-data.ts';

/** A storage record (`<top>/data/<key>` in the zip), as named by a persistent id. */
export class StorageRecord extends PyObject {
  constructor(
    readonly key: string,
    readonly dtype: TensorDtype,
    /** Number of elements of `dtype` in the record. */
    readonly numel: number,
  ) {
    super();
  }
}

/** A tensor view over a storage record, from `_rebuild_tensor_v2`. */
export class TensorRecord extends PyObject {
  constructor(
    readonly storage: StorageRecord,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
  ) {
    super();
  }
}

/** A name outside the whitelist: the checkpoint is not a plain state_dict. */
export class ForbiddenGlobalError extends Error {
  override readonly name = 'ForbiddenGlobalError';
  constructor(readonly qualifiedName: string) {
    super(`forbidden global ${qualifiedName}`);
  }
}

const STORAGE_TYPES: Readonly<Record<string, TensorDtype>> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

const DTYPES: Readonly<Record<string, TensorDtype>> = {
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  double: 'float64',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

const FUNCTIONS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

/** A storage type or dtype global, carrying its element type. */
class DtypeGlobal extends PyGlobal {
  constructor(module: string, name: string, readonly dtype: TensorDtype) {
    super(module, name);
  }
}

function resolveGlobal(module: string, name: string): PickleValue {
  const qualified = `${module}.${name}`;
  if (FUNCTIONS.has(qualified)) return new PyGlobal(module, name);
  if ((module === 'torch' || module === 'torch.storage') && Object.hasOwn(STORAGE_TYPES, name)) {
    return new DtypeGlobal(module, name, STORAGE_TYPES[name]);
  }
  if (module === 'torch' && Object.hasOwn(DTYPES, name)) return new DtypeGlobal(module, name, DTYPES[name]);
  throw new ForbiddenGlobalError(qualified);
}

function isInt(v: PickleValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function intTuple(v: PickleValue, what: string): number[] {
  if (!Array.isArray(v)) throw new PickleError(`${what} is not a tuple`);
  const items = v as readonly PickleValue[];
  return items.map((x) => {
    if (!isInt(x) || x < 0) throw new PickleError(`${what} holds something other than a non-negative integer`);
    return x;
  });
}

function rebuildTensor(args: readonly PickleValue[]): TensorRecord {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRecord)) throw new PickleError('a tensor is not backed by a storage record');
  if (!isInt(offset) || offset < 0) throw new PickleError('a tensor has an invalid storage offset');
  const shape = intTuple(size, 'a tensor size');
  const strides = intTuple(stride, 'a tensor stride');
  if (shape.length !== strides.length) throw new PickleError('a tensor has different numbers of sizes and strides');
  return new TensorRecord(storage, offset, shape, strides);
}

/** Pickle hooks for a state_dict; `storages` collects every storage record by key. */
export function stateDictHooks(storages: Map<string, StorageRecord>): PickleHooks {
  return {
    resolveGlobal,
    call(callable, args) {
      if (!(callable instanceof PyGlobal) || callable instanceof DtypeGlobal) {
        throw new PickleError(`the pickle calls ${callable instanceof PyGlobal ? callable.qualifiedName : 'a non-function'}`);
      }
      switch (callable.qualifiedName) {
        case 'collections.OrderedDict': {
          const d = new PyDict();
          if (args.length > 0) {
            const items = args[0];
            if (args.length > 1 || !Array.isArray(items)) throw new PickleError('OrderedDict is built from something other than a list of pairs');
            for (const pair of items as readonly PickleValue[]) {
              if (!Array.isArray(pair) || pair.length !== 2) throw new PickleError('OrderedDict is built from something other than pairs');
              const [k, v] = pair as readonly PickleValue[];
              if (typeof k !== 'string' && !isInt(k)) throw new PickleError('a dict key is not a plain value');
              d.entries.set(k, v);
            }
          }
          return d;
        }
        case 'torch._utils._rebuild_tensor_v2':
          return rebuildTensor(args);
        case 'torch._utils._rebuild_parameter':
        case 'torch._utils._rebuild_parameter_with_state': {
          const data = args[0];
          if (!(data instanceof TensorRecord)) throw new PickleError('a parameter does not wrap a tensor');
          return data;
        }
        default:
          throw new PickleError(`the pickle calls ${callable.qualifiedName}`);
      }
    },
    build(target, _state) {
      // An OrderedDict's state carries `_metadata` (module versions); tensors may carry
      // Python attributes. Neither changes the weights.
      if (target instanceof PyDict || target instanceof TensorRecord) return target;
      throw new PickleError('the pickle sets the state of an object that is not a dict or tensor');
    },
    persistentLoad(pid) {
      if (!Array.isArray(pid)) throw new PickleError('a persistent id is not a tuple');
      const [tag, type, key, , numel] = pid as readonly PickleValue[];
      if (tag !== 'storage' || pid.length !== 5) throw new PickleError(`a persistent id is not a storage reference`);
      if (!(type instanceof DtypeGlobal)) throw new PickleError('a storage has an unknown type');
      if (typeof key !== 'string' || key.length === 0 || key.includes('/') || key.includes('..')) {
        throw new PickleError('a storage has an invalid key');
      }
      if (!isInt(numel) || numel < 0) throw new PickleError('a storage has an invalid size');
      const known = storages.get(key);
      if (known) {
        if (known.dtype !== type.dtype || known.numel !== numel) throw new PickleError(`storage ${key} is described inconsistently`);
        return known;
      }
      const record = new StorageRecord(key, type.dtype, numel);
      storages.set(key, record);
      return record;
    },
  };
}
