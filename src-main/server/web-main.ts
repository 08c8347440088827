/**
 * Entry of the bundled web mode (out/main/web.js), started by `npm start` where Electron's
 * binary is missing: `node out/main/web.js [--port P] [--json] [--no-open]`.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runWebMode } from './web-mode.ts';

// Built-in models sit beside package.json, two folders up from out/main/.
process.env.MSLENS_BUILTIN_MODELS ??= fileURLToPath(new URL('../../models/', import.meta.url));

const { values } = parseArgs({ options: { port: { type: 'string' }, json: { type: 'boolean' }, 'no-open': { type: 'boolean' } }, strict: true });
runWebMode({
  rendererDir: fileURLToPath(new URL('../renderer/', import.meta.url)),
  port: values.port === undefined ? 0 : Number(values.port),
  json: values.json === true,
  open: values['no-open'] !== true,
}).catch((err: unknown) => {
  process.stderr.write(`mslens: ${(err as Error).message}\n`);
  process.exit(1);
});
