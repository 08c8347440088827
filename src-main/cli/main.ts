/**
 * The `mslens` command: a thin adapter that turns words into api.ts operations through
 * dispatch, prints results (JSON with --json) on stdout, progress on stderr, and exits non-zero
 * with a one-line message on bad input.
 */
import { statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { extname } from 'node:path';
import type { Handlers, OpName, Reply } from '../core/api.ts';
import { defaultBuiltInModelsDir } from '../core/app-paths.ts';
import { resolveDataHome } from '../core/data-home.ts';
import { argumentError, dispatch } from '../core/dispatch.ts';
import { tidyMessage, type WireError } from '../core/errors.ts';
import { createHandlers } from '../core/handlers/index.ts';
import { isHttpUrl } from '../core/scene/open-scene.ts';
import { errorInCliTerms } from './cli-actions.ts';
import { COMMANDS, type AnyCommand, type Parsed } from './commands.ts';
import { UsageError, parseFlags } from './parse-flags.ts';
import { makeProgressPrinter } from './progress.ts';
import { SERVE_SUMMARY, SERVE_USAGE, runServe } from './serve-command.ts';

function help(): string {
  return [
    'mslens: search, classify and explore Sentinel-2 scenes with multispectral CLIP, offline.',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.summary}`),
    `  ${SERVE_USAGE}\n      ${SERVE_SUMMARY}`,
    '',
    'Every command takes --json (machine-readable stdout). INDEX may also be a scene (a GeoTIFF, a SAFE product: its .SAFE folder or .zip, a folder of per-band files, or a STAC item: its URL or .json file): it is indexed first, or taken from the cache.',
    'Data folder: MSLENS_HOME, or the platform app-data folder.',
  ].join('\n');
}

function findCommand(argv: string[]): { name: string; command: AnyCommand; rest: string[] } | null {
  const two = `${argv[0]} ${argv[1]}`;
  if (COMMANDS[two]) return { name: two, command: COMMANDS[two], rest: argv.slice(2) };
  if (argv[0] && COMMANDS[argv[0]]) return { name: argv[0], command: COMMANDS[argv[0]], rest: argv.slice(1) };
  return null;
}

const SCENE_EXT = new Set(['.tif', '.tiff', '.json', '.zip']);

/**
 * Shows a model's licence before installing it, and takes --accept-licence or a "y" typed at a
 * terminal as acceptance. Returns true, or the message to fail with.
 */
async function confirmLicence(arg: Record<string, unknown>, io: CliIo, install: (a: unknown) => Promise<Reply<unknown>>): Promise<true | string> {
  const probe = await install({ ...arg, acceptLicence: false });
  if (probe.ok || probe.error.code !== 'LICENCE_NOT_ACCEPTED') return probe.ok ? true : errorInCliTerms(probe.error);
  const notice = probe.error.message;
  io.stderr.write(`${notice}\n`);
  if (arg.acceptLicence === true) return true;
  if (!process.stdin.isTTY) return `the licence above was not accepted; to accept it and install, run \`mslens models install ${String(arg.id)} --accept-licence\`.`;
  const rl = createInterface({ input: process.stdin, output: io.stderr });
  const answer = await rl.question('Accept this licence and install? [y/N] ');
  rl.close();
  return /^y(es)?$/i.test(answer.trim()) ? true : 'The licence was not accepted; nothing was installed.';
}

/**
 * An error in the CLI's terms: a bad argument is named by the flag it came from (`--max-cloud`),
 * not its operation field (`maxCloud`); one given as a word (the query) loses the field name
 * and gains the usage line; an action is worded as a command or flag.
 */
function inFlagTerms(error: WireError, command: AnyCommand): string {
  const field = error.detail.field;
  if (error.code !== 'BAD_ARGUMENT' || typeof field !== 'string' || !error.message.startsWith(`${field}: `)) return errorInCliTerms(error);
  const top = field.split('.')[0];
  const flag = command.flagFor?.[top] ?? top.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const what = error.message.slice(field.length + 2);
  if (!Object.hasOwn(command.flags, flag)) return `${what.replace(/\.$/, '')}. Usage: ${command.usage}`;
  return `--${flag} ${what}`;
}

/** A phrase ended as a sentence ("missing SCENE." but "did you mean --top-k?"). */
const sentence = (s: string): string => (/[.?!]$/.test(s) ? s : `${s}.`);

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export async function runCli(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }, handlers?: Handlers): Promise<number> {
  const fail = (message: string, code: number): number => {
    io.stderr.write(`mslens: ${tidyMessage(message)}\n`);
    return code;
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(`${help()}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === 'serve') return runServe(argv.slice(1), io);
  const found = findCommand(argv);
  if (!found) return fail(`unknown command "${argv.slice(0, 2).join(' ')}". Run \`mslens --help\` for the list.`, 2);
  const { command, rest } = found;

  let parsed: Parsed & { json: boolean };
  try {
    const { values, positionals } = parseFlags(rest.map((a) => (a === '-h' ? '--help' : a)), { ...command.flags, json: 'boolean', help: 'boolean' });
    if (values.help) {
      io.stdout.write(`usage: ${command.usage}\n${command.summary}\n`);
      return 0;
    }
    parsed = { positionals, flags: values as Parsed['flags'], json: values.json === true };
  } catch (err) {
    if (err instanceof UsageError) return fail(`${sentence(err.message)} Usage: ${command.usage}`, 2);
    throw err;
  }

  const h = handlers ?? createHandlers({ home: resolveDataHome(), builtInModels: defaultBuiltInModelsDir() });
  const progress = makeProgressPrinter(io.stderr);
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const ctx = { signal: controller.signal, emit: progress.emit };
  const call = async <N extends OpName>(name: N, arg: unknown): Promise<Reply<unknown>> => {
    const reply = await dispatch(h, name, arg, ctx);
    progress.end();
    return reply;
  };

  try {
    let arg: Record<string, unknown>;
    try {
      arg = command.toArg(parsed) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof UsageError) return fail(`${sentence(err.message)} Usage: ${command.usage}`, 2);
      throw err;
    }
    // INDEX given as a scene: index it first with the default model (the cache makes this free
    // the second time). A query that model cannot embed is refused before, not after, indexing.
    if (arg.index !== undefined) {
      // Flags are checked before a scene is indexed, not after.
      const early = argumentError(command.op, { ...arg, index: 'index.parquet' });
      if (early) return fail(inFlagTerms(early, command), 1);
      const given = Array.isArray(arg.index) ? (arg.index as string[]) : [arg.index as string];
      const isFolder = (p: string): boolean => { try { return statSync(p, { throwIfNoEntry: false })?.isDirectory() === true; } catch { return false; } };
      const isScene = (p: string): boolean => isHttpUrl(p) || SCENE_EXT.has(extname(p).toLowerCase()) || isFolder(p);
      if (command.op === 'search' && typeof arg.text === 'string' && arg.text.trim() && given.some(isScene)) {
        const probe = await call('embedText', { texts: [arg.text] });
        if (!probe.ok && probe.error.code === 'QUERY_NOT_UNDERSTOOD') return fail(errorInCliTerms(probe.error), 1);
      }
      const paths: string[] = [];
      for (const p of given) {
        if (!isScene(p)) { paths.push(p); continue; }
        const built = await call('buildIndex', { scene: p });
        if (!built.ok) return fail(errorInCliTerms(built.error), 1);
        paths.push((built.value as { path: string }).path);
      }
      arg = { ...arg, index: paths.length === 1 ? paths[0] : paths };
    }
    if (command.op === 'installModel') {
      const accepted = await confirmLicence(arg, io, (a) => call('installModel', a));
      if (accepted !== true) return fail(accepted, 1);
      arg = { ...arg, acceptLicence: true };
    }
    const reply = await call(command.op, arg);
    if (!reply.ok) return fail(inFlagTerms(reply.error, command), 1);
    const value = reply.value as never;
    io.stdout.write(parsed.json ? `${JSON.stringify(command.json ? command.json(value) : value)}\n` : `${command.human(value)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
