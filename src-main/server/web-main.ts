/**
 * Entry of the bundled web mode (out/main/web.js), started by `npm start` where Electron's
 * binary is missing: `node out/main/web.js [--port P] [--json] [--open | --no-open]` (it opens
 * the browser unless --no-open).
 */
import { fileURLToPath } from 'node:url';
import { UsageError, parseFlags } from '../cli/parse-flags.ts';
import { runWebMode } from './web-mode.ts';

// Built-in models sit beside package.json, two folders up from out/main/.
process.env.MSLENS_BUILTIN_MODELS ??= fileURLToPath(new URL('../../models/', import.meta.url));

let values: { port?: string; json?: boolean; open?: boolean };
try {
  ({ values } = parseFlags(process.argv.slice(2), { port: 'string', json: 'boolean', open: 'boolean' }, { positionals: false }) as { values: typeof values });
} catch (err) {
  process.stderr.write(`mslens: ${err instanceof UsageError ? err.message : String(err)}. Usage: node out/main/web.js [--port P] [--json] [--open | --no-open]\n`);
  process.exit(2);
}
runWebMode({
  rendererDir: fileURLToPath(new URL('../renderer/', import.meta.url)),
  port: values.port === undefined ? 0 : Number(values.port),
  json: values.json === true,
  open: values.open !== false,
}).catch((err: unknown) => {
  process.stderr.write(`mslens: ${(err as Error).message}\n`);
  process.exit(1);
});
