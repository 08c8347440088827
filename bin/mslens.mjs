#!/usr/bin/env node
// Runs the CLI from its TypeScript source through tsx, which ships as a dependency.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src-main/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
