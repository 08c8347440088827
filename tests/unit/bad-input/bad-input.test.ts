// Every malformed or hostile input of the corpus (tests/fixtures/make-bad-inputs.ts), through the
// real CLI: one `mslens:` line on stderr, a non-zero exit, no stack trace, nothing left in a
// private temp folder, and bounded memory.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { makeBadInputs, type BadCase } from '../../fixtures/make-bad-inputs.ts';
import { REPO } from '../../helpers/harness.ts';

/** Peak resident memory allowed to one CLI run (Node, tsx and ONNX Runtime take ~250 MB). */
const MAX_RSS_MB = 700;
/** A run that takes longer has hung (a named pipe read, an inflate without end). */
const TIMEOUT_MS = 60_000;

// Made while the file is collected, so that each case is a test of its own.
const root = mkdtempSync(join(tmpdir(), 'mslens-bad-'));
const cases: BadCase[] = makeBadInputs(join(root, 'corpus')).cases;

const PROGRESS = /^[A-Z][\w ,.'()-]*(\[[a-z]+\])?: \d+\/\d+ \(\d+ %(, [^)]*)?\)$/;
/** tsx's compile cache (the development runner of bin/mslens.mjs, not mslens), shared by every run. */
const TSX_CACHE = /^tsx-[^/\\]+([/\\]|$)/;

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string; rssMb: number; leftovers: string[]; homeLeftovers: string[] }

function runCli(args: string[]): Promise<Run> {
  const tmp = mkdtempSync(join(root, 'tmp-'));
  const home = mkdtempSync(join(root, 'home-'));
  const rssFile = join(root, `rss-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', join(REPO, 'tests/unit/bad-input/max-rss.mjs'), join(REPO, 'bin/mslens.mjs'), ...args], {
      env: { ...process.env, MSLENS_HOME: home, TMPDIR: tmp, TMP: tmp, TEMP: tmp, MSLENS_TEST_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => {
      let rss = 0;
      try { rss = Number(readFileSync(rssFile, 'utf8')) / 1024; } catch { /* killed before exit */ }
      const leftovers = readdirSync(tmp, { recursive: true, encoding: 'utf8' }).filter((f) => !TSX_CACHE.test(f));
      const homeLeftovers = readdirSync(home, { recursive: true, encoding: 'utf8' }).filter((f) => /staging|\.tmp$|\.partial$/.test(f));
      rmSync(tmp, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
      rmSync(rssFile, { force: true });
      resolve({ code, signal, stdout, stderr, rssMb: rss, leftovers, homeLeftovers });
    });
  });
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The checks every case must pass. */
async function expectOneLineRefusal(c: BadCase): Promise<void> {
  const r = await runCli(c.args);
  const shown = `${c.name}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}, stderr ${JSON.stringify(r.stderr.slice(0, 2000))}`;
  expect(r.signal, shown).toBeNull();
  expect(r.code, shown).not.toBe(0);
  // Progress lines ("Embedding tiles [cpu]: 3/100 (3 %)") may come first; then the one error line.
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => !PROGRESS.test(l));
  expect(errors, shown).toHaveLength(1);
  const line = errors[0];
  expect(line, shown).toMatch(/^mslens: /);
  expect(line, shown).not.toMatch(/^\s+at |\bat .*:\d+:\d+\)?$|Error:|Something went wrong inside mslens/);
  expect(line.length, shown).toBeLessThanOrEqual(600);
  // Nothing a terminal would act on: no control characters but the newline at the end.
  expect(line, shown).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  expect(line, shown).not.toMatch(/\b(E[A-Z]{3,}|Z_[A-Z_]+)\b/);
  if (c.expect) expect(line, shown).toMatch(c.expect);
  expect(r.leftovers, `${c.name}: left in TMPDIR`).toEqual([]);
  expect(r.homeLeftovers, `${c.name}: left in MSLENS_HOME`).toEqual([]);
  expect(r.rssMb, `${c.name}: peak RSS`).toBeLessThan(MAX_RSS_MB);
}

const GROUPS: BadCase['group'][] = ['corrupt blocks', 'absurd sizes', 'georeferencing', 'named pipes', 'zip bombs', 'long input', 'control characters', 'file system', 'cli'];

for (const group of GROUPS) {
  describe(group, () => {
    test.each(cases.filter((c) => c.group === group).map((c) => [c.name, c] as const))('%s', (_name, c) => expectOneLineRefusal(c), TIMEOUT_MS + 10_000);
  });
}

// Absurd model configs: validated against the checkpoint by the model import's own checks.
describe('model configs', () => {
  test.each(cases.filter((c) => c.group === 'model configs').map((c) => [c.name, c] as const))('%s', (_name, c) => expectOneLineRefusal(c), TIMEOUT_MS + 10_000);
});
