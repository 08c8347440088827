/**
 * `mslens serve [--port P] [--json] [--open | --no-open]`: web mode, the desktop UI in a browser,
 * on 127.0.0.1 with a per-run token (the browser is not opened unless asked). Not an operation,
 * so it sits beside the op commands.
 */
import { fileURLToPath } from 'node:url';
import { runWebMode } from '../server/web-mode.ts';
import type { CliIo } from './main.ts';
import { UsageError, parseFlags } from './parse-flags.ts';

export const SERVE_USAGE = 'mslens serve [--port P] [--json] [--open | --no-open]';
export const SERVE_SUMMARY = 'web mode: the app in a browser, on 127.0.0.1 with a per-run token (prints {"url":…} with --json)';

/** Starts the server and resolves once it is listening (0), or with an exit code on bad input. */
export async function runServe(argv: string[], io: CliIo): Promise<number> {
  let values: { port?: string; json?: boolean; open?: boolean; help?: boolean };
  try {
    ({ values } = parseFlags(argv.map((a) => (a === '-h' ? '--help' : a)), { port: 'string', json: 'boolean', open: 'boolean', help: 'boolean' }, { positionals: false }) as { values: typeof values });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`mslens: ${err.message}${/[.?]$/.test(err.message) ? '' : '.'} Usage: ${SERVE_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`usage: ${SERVE_USAGE}\n${SERVE_SUMMARY}\n`);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.stderr.write(`mslens: --port takes a port number (0 picks a free one), not "${values.port}". Usage: ${SERVE_USAGE}\n`);
    return 2;
  }
  try {
    await runWebMode({ rendererDir: fileURLToPath(new URL('../../out/renderer/', import.meta.url)), port, json: values.json === true, open: values.open === true, out: io.stdout });
    return 0;
  } catch (err) {
    io.stderr.write(`mslens: ${(err as Error).message}\n`);
    return 1;
  }
}
