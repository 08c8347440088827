/**
 * A command that runs ONNX Runtime leaves nothing in /tmp: ORT's Linux telemetry wrote an empty
 * mat-debug-<pid>.log per process until core turned it off (models/onnx/telemetry-off.ts). ORT
 * writes there whatever TMPDIR says, so the test looks for the file named after the process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeHarness, REPO, type Harness } from '../../helpers/harness.ts';

const CHIP = join(REPO, 'models', 'check-chips', '282D_485L_3_3.tif');
let h: Harness;
beforeAll(async () => { h = await makeHarness(); });
afterAll(async () => { await h.cleanup(); });

function search(env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/mslens.mjs'), 'search', CHIP, 'water', '--json'], { encoding: 'utf8', env: { ...process.env, MSLENS_HOME: h.home, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return `/tmp/mat-debug-${r.pid}.log`;
}

test('searching a scene leaves no mat-debug log behind', () => {
  const { ORT_DISABLE_TELEMETRY: _, ...env } = process.env;
  expect(existsSync(search(env as Record<string, string>))).toBe(false);
});

test('the check finds the log when telemetry is left on', () => {
  const log = search({ ORT_DISABLE_TELEMETRY: '0' });
  expect(existsSync(log)).toBe(true);
  rmSync(log, { force: true });
});
