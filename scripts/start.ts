// `npm start` until the desktop UI lands: the CLI demo (write the demo scene, index it, search it).
import { runCli } from '../src-main/cli/main.ts';

const step = async (args: string[]): Promise<void> => {
  process.stderr.write(`\n$ mslens ${args.join(' ')}\n`);
  const code = await runCli(args);
  if (code !== 0) process.exit(code);
};

const demoJson: string[] = [];
const capture = Object.assign(Object.create(process.stdout) as NodeJS.WriteStream, { write: (s: string) => (demoJson.push(s), true) });
process.stderr.write('$ mslens demo --json\n');
if ((await runCli(['demo', '--json'], { stdout: capture, stderr: process.stderr })) !== 0) process.exit(1);
const { scenePath } = JSON.parse(demoJson.join('')) as { scenePath: string };
await step(['index', scenePath]);
await step(['search', scenePath, 'water', '--top-k', '5']);
await step(['classify', scenePath, '--classes', 'water,forest,cropland,built-up,snow']);
