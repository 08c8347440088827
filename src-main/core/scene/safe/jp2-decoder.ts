/**
 * The JPEG 2000 decoder behind one small interface, so it can be swapped: OpenJPEG compiled to
 * WebAssembly (@cornerstonejs/codec-openjpeg, MIT; OpenJPEG itself is BSD-2). It decodes whole
 * codestreams (16-bit single-component included); jp2-codestream.ts cuts big files into
 * one-tile codestreams so that a whole image is never decoded at once.
 *
 * One WebAssembly instance per thread, made on first use: worker threads each get their own
 * (module state is per isolate). Its memory grows to the largest tile decoded and stays there.
 */
import { createRequire } from 'node:module';

export type DecodedPixels = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

export interface DecodedImage {
  width: number;
  height: number;
  /** width × height samples, row-major, copied out of the decoder. */
  pixels: DecodedPixels;
}

export interface J2kDecoder {
  /** Decodes a JPEG 2000 codestream (or JP2 file); throws J2kDecodeError when it cannot. */
  decode(codestream: Uint8Array): DecodedImage;
}

/** The decoder refused the bytes; the message is the decoder's own account. */
export class J2kDecodeError extends Error {
  override readonly name = 'J2kDecodeError';
}

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

interface WasmJ2kDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
}

interface OpenJpegModule {
  J2KDecoder: new () => WasmJ2kDecoder;
}

type OpenJpegFactory = (module: { print?: (s: string) => void; printErr?: (s: string) => void }) => Promise<OpenJpegModule>;

let loading: Promise<J2kDecoder> | null = null;

/** This thread's decoder. */
export function j2kDecoder(): Promise<J2kDecoder> {
  loading ??= makeDecoder().catch((err: unknown) => {
    loading = null;
    throw err;
  });
  return loading;
}

async function makeDecoder(): Promise<J2kDecoder> {
  const require = createRequire(import.meta.url);
  const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as OpenJpegFactory;
  // OpenJPEG reports through stdout ("[INFO] …", "[ERROR] …"): keep the errors of the current
  // decode. Any error fails it, even when OpenJPEG hands back an image (it fills in what is lost).
  let messages: string[] = [];
  const log = (line: string): void => {
    if (line.includes('[ERROR]') && messages.length < 10) messages.push(line.replace(/^.*\[ERROR\]\s*/, '').trim());
  };
  const wasm = await factory({ print: log, printErr: log });
  const decoder = new wasm.J2KDecoder();
  return {
    decode(codestream) {
      messages = [];
      decoder.getEncodedBuffer(codestream.length).set(codestream);
      try {
        decoder.decode();
      } catch (err) {
        throw new J2kDecodeError(messages.join('; ') || String(err));
      }
      if (messages.length) throw new J2kDecodeError(messages.join('; '));
      const info = decoder.getFrameInfo();
      if (!info.width || !info.height || info.componentCount !== 1) {
        throw new J2kDecodeError(messages.join('; ') || `the decoder returned ${info.componentCount} components of ${info.width}×${info.height}`);
      }
      const raw = decoder.getDecodedBuffer();
      const n = info.width * info.height;
      const bytes = info.bitsPerSample <= 8 ? 1 : info.bitsPerSample <= 16 ? 2 : 4;
      if (raw.length < n * bytes) throw new J2kDecodeError(messages.join('; ') || `the decoder returned ${raw.length} bytes for ${n} samples`);
      const copy = raw.slice(0, n * bytes).buffer;
      const pixels: DecodedPixels = bytes === 1
        ? (info.isSigned ? new Int8Array(copy) : new Uint8Array(copy))
        : bytes === 2
          ? (info.isSigned ? new Int16Array(copy) : new Uint16Array(copy))
          : (info.isSigned ? new Int32Array(copy) : new Uint32Array(copy));
      return { width: info.width, height: info.height, pixels };
    },
  };
}
