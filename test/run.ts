/**
 * `npm test` after the type check and the linter: provisions the servers' binaries, starts one
 * Temporal dev server and one MongoDB-compatible server for the whole run, then runs every
 * test file with node's test runner against them. Files may also be run alone
 * (`node --import tsx --test test/x.test.ts`); they then start servers of their own.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startMongo } from '../dev/mongo';
import { provisionAll } from '../dev/provision';
import { startTemporal } from '../dev/temporal';

async function main(): Promise<number> {
  const provisioned = await provisionAll();
  for (const { tool, resolution } of provisioned) {
    if (resolution?.path) console.log(`# ${tool}: ${resolution.path} (${resolution.route})`);
  }
  const [temporal, mongo] = await Promise.all([startTemporal(), startMongo()]);
  console.log(`# Temporal dev server ${temporal.address}; MongoDB (${mongo.kind}) ${mongo.uri}`);
  try {
    const only = process.argv.slice(2);
    const files = only.length
      ? only
      : readdirSync(__dirname)
          .filter((name) => name.endsWith('.test.ts'))
          .sort()
          .map((name) => path.join('test', name));
    return await runNodeTests(files, {
      TEST_TEMPORAL_ADDRESS: temporal.address,
      TEST_MONGODB_URI: mongo.uri,
    });
  } finally {
    await temporal.stop();
    await mongo.stop();
  }
}

const ROOT = path.resolve(__dirname, '..');
const TAP_FILE = path.join(ROOT, '.data', 'test-results.tap');

/** Readable output on the terminal; a TAP copy whose totals end the run as one plain line. */
async function runNodeTests(files: string[], env: Record<string, string>): Promise<number> {
  mkdirSync(path.dirname(TAP_FILE), { recursive: true });
  const args = ['--import', 'tsx', '--test'];
  args.push('--test-reporter=spec', '--test-reporter-destination=stdout');
  args.push('--test-reporter=tap', `--test-reporter-destination=${TAP_FILE}`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [...args, ...files], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
      cwd: ROOT,
    });
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
  const tap = readFileSync(TAP_FILE, 'utf8');
  const total = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  console.log(`${total('pass')} passed, ${total('fail')} failed, ${total('skipped')} skipped`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
