// Draws resources/icon.png (1024 × 1024): the app's spectral-wheel mark on a dark rounded tile.
// Run once when the mark changes: `node scripts/make-icon.mjs`.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const N = 1024;
const px = Buffer.alloc(N * (N * 4 + 1));
const stops = [[56, 189, 248], [34, 197, 94], [250, 204, 21], [249, 115, 22], [56, 189, 248]];
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));
for (let y = 0; y < N; y++) {
  px[y * (N * 4 + 1)] = 0;
  for (let x = 0; x < N; x++) {
    const o = y * (N * 4 + 1) + 1 + x * 4;
    const cx = x - N / 2 + 0.5;
    const cy = y - N / 2 + 0.5;
    // Rounded square tile.
    const r = 200;
    const dx = Math.max(Math.abs(cx) - (N / 2 - 40 - r), 0);
    const dy = Math.max(Math.abs(cy) - (N / 2 - 40 - r), 0);
    const tile = Math.hypot(dx, dy) - r;
    let c = [13, 17, 23];
    let a = tile < 0 ? 255 : tile < 1.5 ? Math.round(255 * (1 - tile / 1.5)) : 0;
    const d = Math.hypot(cx, cy);
    if (d < 300 && d > 120) {
      const t = ((Math.atan2(cy, cx) / (2 * Math.PI) + 1.05) % 1) * (stops.length - 1);
      c = mix(stops[Math.floor(t)], stops[Math.floor(t) + 1], t - Math.floor(t));
    } else if (d <= 120) {
      c = [228, 233, 239];
    }
    px[o] = c[0]; px[o + 1] = c[1]; px[o + 2] = c[2]; px[o + 3] = a;
  }
}
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4); ihdr[8] = 8; ihdr[9] = 6;
writeFileSync(new URL('../resources/icon.png', import.meta.url), Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(px, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
]));
