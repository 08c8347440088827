/**
 * Starting web mode as a program: the real core behind an op runner, the server on 127.0.0.1,
 * the URL printed (as JSON for scripts), the browser opened when asked, and a clean stop on
 * SIGINT/SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultBuiltInModelsDir } from '../core/app-paths.ts';
import { createOpRunner } from '../core/app/index.ts';
import { resolveDataHome } from '../core/data-home.ts';
import { createHandlers } from '../core/handlers/index.ts';
import { startWebServer, type WebServer } from './web-server.ts';

export interface WebModeOptions {
  rendererDir: string;
  port?: number;
  /** Open the URL in the default browser. @default false */
  open?: boolean;
  /** Print `{"url":…}` instead of a sentence. @default false */
  json?: boolean;
  out?: NodeJS.WritableStream;
}

/** Opens a URL in the user's browser; failures are reported, never fatal. */
export function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`mslens: could not open a browser; open ${url} yourself.\n`));
  child.unref();
}

export async function runWebMode(opts: WebModeOptions): Promise<WebServer> {
  const out = opts.out ?? process.stdout;
  if (!existsSync(join(opts.rendererDir, 'index.html'))) {
    throw new Error(`the renderer is not built (no ${join(opts.rendererDir, 'index.html')}): run \`npm run build\` first`);
  }
  const handlers = createHandlers({ home: resolveDataHome(), builtInModels: defaultBuiltInModelsDir(), relativePaths: 'refuse' });
  const runner = createOpRunner(handlers, { log: (e) => console.error(e) });
  const server = await startWebServer({ runner, rendererDir: opts.rendererDir, port: opts.port });
  out.write(opts.json ? `${JSON.stringify({ url: server.url })}\n` : `mslens web mode: ${server.url}\n`);
  if (opts.open) openBrowser(server.url);
  const stop = (): void => { void server.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}
