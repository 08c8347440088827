// `mslens serve`: usage errors exit 2 with a one-line message; --help describes web mode. (The
// server itself is started by the end-to-end tests, as the analyst starts it.)
import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { runCli } from '../../../src-main/cli/main.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (into: string[]) => new Writable({ write(chunk, _enc, cb) { into.push(String(chunk)); cb(); } }) as unknown as NodeJS.WriteStream;
  return { io: { stdout: stream(out), stderr: stream(err) }, out, err };
}

test('serve is listed in the help', async () => {
  const t = io();
  expect(await runCli(['--help'], t.io)).toBe(0);
  expect(t.out.join('')).toMatch(/mslens serve \[--port P\] \[--json\]/);
});

test('serve --help', async () => {
  const t = io();
  expect(await runCli(['serve', '--help'], t.io)).toBe(0);
  expect(t.out.join('')).toMatch(/127\.0\.0\.1.*token/);
});

test.each([
  [['--port', 'eighty'], /--port takes a port number/],
  [['--port', '70000'], /--port takes a port number/],
  [['--host', '0.0.0.0'], /unknown option --host/],
])('serve %j is a usage error', async (args, message) => {
  const t = io();
  expect(await runCli(['serve', ...args], t.io)).toBe(2);
  expect(t.err.join('')).toMatch(message);
  expect(t.err.join('').trim().split('\n')).toHaveLength(1);
});
