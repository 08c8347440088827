/**
 * A small ONNX graph builder over onnx-proto. Models are built in code (the built-in spectral
 * model, the open_clip converter), so this is the one place that knows the protobuf layout.
 * Weights go in as raw little-endian bytes; big models can place them in an external data file.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type ElemType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';
export type Dim = number | string;

const DATA_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Attribute values are tagged, because ONNX tells 1 (int) from 1.0 (float). */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string };

export const int = (value: number): Attr => ({ kind: 'int', value });
export const float = (value: number): Attr => ({ kind: 'float', value });
export const ints = (value: readonly number[]): Attr => ({ kind: 'ints', value });
export const floats = (value: readonly number[]): Attr => ({ kind: 'floats', value });
export const str = (value: string): Attr => ({ kind: 'string', value });

type TypedArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

export interface ModelOptions {
  /** Default-domain opset. @default 17 */
  opset?: number;
  /** Extra opset domains, e.g. { 'com.microsoft': 1 } for ONNX Runtime's fused operators. */
  domains?: Record<string, number>;
  producer?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export interface Initializer {
  name: string;
  type: ElemType;
  dims: readonly number[];
  bytes: Uint8Array;
}

function toAttribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'ints': return { name, type: T.INTS, ints: [...a.value] };
    case 'floats': return { name, type: T.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly initializers: Initializer[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  /** A fresh tensor name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Adds a weight or constant; returns its name. */
  tensor(name: string, type: ElemType, dims: readonly number[], data: TypedArray): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(',')}]`);
    this.initializers.push({ name, type, dims, bytes: bytesOf(data) });
    return name;
  }

  f32(data: readonly number[] | Float32Array, dims: readonly number[] = [data.length], prefix = 'c'): string {
    return this.tensor(this.fresh(prefix), 'float32', dims, data instanceof Float32Array ? data : Float32Array.from(data));
  }

  i64(data: readonly number[], dims: readonly number[] = [data.length], prefix = 'c'): string {
    return this.tensor(this.fresh(prefix), 'int64', dims, BigInt64Array.from(data.map((v) => BigInt(v))));
  }

  /** Adds one node; returns its output names (one unless `outputs` > 1). */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, opts: { outputs?: number; domain?: string; name?: string } = {}): string[] {
    const outs = Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({
      opType,
      domain: opts.domain ?? '',
      name: opts.name ?? this.fresh(`n_${opType}`),
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return outs;
  }

  /** Single-output shorthand. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, domain?: string): string {
    return this.node(opType, inputs, attrs, { domain })[0];
  }

  /** Renames the last produced tensor `from` to the graph output name `to` via Identity. */
  alias(from: string, to: string): string {
    this.nodes.push({ opType: 'Identity', name: this.fresh('n_Identity'), input: [from], output: [to] });
    return to;
  }

  /**
   * Serialises the model. With `externalData`, initializers larger than `threshold` bytes are
   * written to that file (ONNX external data, offsets 64-byte aligned) and `writeExternal` is called with each chunk in order.
   */
  toBytes(opts: ModelOptions = {}, external?: { location: string; threshold?: number; write: (chunk: Uint8Array) => void }): Uint8Array {
    let offset = 0;
    const initializer = this.initializers.map((t) => {
      const base = { name: t.name, dataType: DATA_TYPE[t.type], dims: [...t.dims] };
      if (external && t.bytes.byteLength >= (external.threshold ?? 1024)) {
        const pad = (64 - (offset % 64)) % 64;
        if (pad) external.write(new Uint8Array(pad));
        offset += pad;
        external.write(t.bytes);
        const entry = {
          ...base,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: external.location },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(t.bytes.byteLength) },
          ],
        };
        offset += t.bytes.byteLength;
        return entry;
      }
      return { ...base, rawData: t.bytes };
    });
    const opsetImport = [{ domain: '', version: opts.opset ?? 17 }, ...Object.entries(opts.domains ?? {}).map(([domain, version]) => ({ domain, version }))];
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: opts.producer ?? 'mslens',
      docString: opts.docString ?? '',
      opsetImport,
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
