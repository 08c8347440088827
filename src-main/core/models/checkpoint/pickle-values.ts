/**
 * The values a restricted pickle produces, and the hooks that give meaning to the names and
 * calls in it (see unpickler.ts).
 */

/** A module-level name seen in a GLOBAL / STACK_GLOBAL opcode (and accepted by the hooks). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A Python dict or OrderedDict (insertion order is kept). */
export class PyDict {
  readonly entries = new Map<PickleKey, PickleValue>();
}

/** A Python set or frozenset. */
export class PySet {
  readonly items: PickleValue[] = [];
}

/** Base class for objects the hooks build (tensors, storages, …). */
export abstract class PyObject {}

export type PickleKey = string | number | bigint | boolean | null;
/** Lists are plain arrays; tuples are frozen arrays. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly PickleValue[]
  | PickleValue[]
  | PyDict
  | PySet
  | PyGlobal
  | PyObject;

export interface PickleHooks {
  /** GLOBAL / STACK_GLOBAL. Must throw for any name it does not allow. */
  resolveGlobal(module: string, name: string): PickleValue;
  /** REDUCE (`callable(*args)`) and NEWOBJ (`cls.__new__(cls, *args)`). */
  call(callable: PickleValue, args: readonly PickleValue[], opcode: 'REDUCE' | 'NEWOBJ'): PickleValue;
  /** BUILD: applies `state` to `target`; returns the object that stays on the stack. */
  build(target: PickleValue, state: PickleValue): PickleValue;
  /** BINPERSID / PERSID. */
  persistentLoad(pid: PickleValue): PickleValue;
}

/** The pickle is malformed or uses something this reader does not support. */
export class PickleError extends Error {
  override readonly name = 'PickleError';
}
