/**
 * Child process for the full-size conversion test and the encoder benchmark: converts a
 * checkpoint and prints one JSON line with the time, this process's peak RSS and the files.
 * Usage: tsx convert-full-size.child.ts <checkpoint.pt> <outDir> <fp32,fp16,int8>
 */
import { convertOpenClipCheckpoint, VIT_B_16_CONFIG, type Precision } from '../../../../src-main/core/models/openclip/index.ts';

const [checkpoint, outDir, variants = 'fp32,fp16,int8'] = process.argv.slice(2);
const t0 = performance.now();
const fileSeconds: Record<string, number> = {};
let current = '';
let started = t0;
const r = await convertOpenClipCheckpoint({
  source: checkpoint,
  config: VIT_B_16_CONFIG,
  outDir,
  variants: variants.split(',') as Precision[],
  onProgress: (p) => {
    if (p.file === current) return;
    const now = performance.now();
    if (current) fileSeconds[current] = (now - started) / 1000;
    current = p.file;
    started = now;
  },
});
const end = performance.now();
if (current) fileSeconds[current] = (end - started) / 1000;
const files: Record<string, number> = {};
for (const e of [...Object.values(r.imageEncoders), ...Object.values(r.textEncoders)]) {
  if (e) files[e.file] = e.bytes + (e.dataFile?.bytes ?? 0);
}
console.log(JSON.stringify({ seconds: (end - t0) / 1000, peakBytes: process.resourceUsage().maxRSS * 1024, fileSeconds, files }));
