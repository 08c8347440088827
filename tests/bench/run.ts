// `npm run bench`: prints speed and memory figures. `--quick` skips the full-size scene.
import os from 'node:os';
import { benchAccuracy } from './accuracy.bench.ts';
import { benchDecode } from './decode.bench.ts';
import { benchEncoder } from './encoder.bench.ts';
import { benchIndex } from './index.bench.ts';
import { benchSearch } from './search.bench.ts';

const quick = process.argv.includes('--quick');
console.log(`mslens benchmarks — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
benchIndex(quick ? [2240] : [2240, 10980]);
await benchDecode(quick ? 2240 : 10980);
await benchSearch();
await benchAccuracy();
await benchEncoder({ quick });
