#!/usr/bin/env node
// `npm start [-- --no-open | --open]`: builds the app, then opens the desktop window. Where
// Electron's binary is not installed, it says so in one line and starts web mode instead: the
// same UI in the browser, on 127.0.0.1 with a per-run token (it opens the browser unless
// --no-open; --open, as `mslens serve` takes it, is accepted too).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'electron-vite';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

function electronBinary() {
  if (process.env.MSLENS_NO_ELECTRON) return null;
  try {
    const path = require('electron'); // the binary's path, once installed
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

await build({ root, logLevel: 'warn' });

const electron = electronBinary();
const [cmd, cmdArgs] = electron
  ? [electron, [root, ...args.filter((a) => a !== '--no-open' && a !== '--open')]]
  : [process.execPath, [fileURLToPath(new URL('../out/main/web.js', import.meta.url)), ...args]];
if (!electron) console.log("mslens: Electron's binary is not installed (run `npm run fetch-electron` when online), so mslens starts in web mode.");
const child = spawn(cmd, cmdArgs, { stdio: 'inherit', cwd: root });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
