/**
 * A command that runs ONNX Runtime leaves nothing in the temp folder: ORT's Linux telemetry wrote
 * an empty mat-debug-<pid>.log (and a .ses file) per process until core turned it off
 * (models/onnx/telemetry-off.ts). ORT writes them under TMPDIR, or /tmp without it, and stays
 * quiet by itself when CI is set, so both runs here leave CI out: the control run, with telemetry
 * on, shows that the check can see the file on this machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeHarness, REPO, type Harness } from '../../helpers/harness.ts';

const CHIP = join(REPO, 'models', 'check-chips', '282D_485L_3_3.tif');
let h: Harness;
beforeAll(async () => { h = await makeHarness(); });
afterAll(async () => { await h.cleanup(); });

/** Runs a search and returns the mat-debug logs it left. */
function search(telemetry: string | undefined): string[] {
  const { CI: _ci, ORT_DISABLE_TELEMETRY: _ort, ...env } = process.env;
  if (telemetry !== undefined) env.ORT_DISABLE_TELEMETRY = telemetry;
  const r = spawnSync(process.execPath, [join(REPO, 'bin/mslens.mjs'), 'search', CHIP, 'water', '--json'], { encoding: 'utf8', env: { ...env, MSLENS_HOME: h.home } });
  expect(r.status, r.stderr).toBe(0);
  const logs = [...new Set([tmpdir(), '/tmp'])].map((dir) => join(dir, `mat-debug-${r.pid}.log`)).filter((f) => existsSync(f));
  for (const log of logs) rmSync(log, { force: true });
  return logs;
}

test('searching a scene leaves no mat-debug log behind (control: telemetry on leaves one)', () => {
  expect(search('0').length, 'with telemetry on, ORT leaves its log').toBe(1);
  expect(search(undefined)).toEqual([]);
});
