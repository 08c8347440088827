// Preloaded into the CLI by the bad-input test: writes the process's peak RSS (kB) at exit.
import { writeFileSync } from 'node:fs';

const out = process.env.MSLENS_TEST_RSS_FILE;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
