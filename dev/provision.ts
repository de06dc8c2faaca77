/**
 * `npm run provision`: fetches every binary the servers need into `.tools/` ahead of time, so the
 * first `npm start` or test run does not pay for it, and shows where each one came from. Chromium, for
 * the dashboard's browser test, comes from the system's packages instead.
 */
import path from 'node:path';
import {
  findChromium,
  findFerretdb,
  findTemporalCli,
  findTemporalTestServer,
  mongodPath,
  ROOT,
  type Resolution,
} from './tools';

export interface Provisioned {
  tool: string;
  /** Absent when the tool was not needed. */
  resolution?: Resolution;
  ms: number;
}

export async function provisionAll(): Promise<Provisioned[]> {
  const mongod = mongodPath();
  const tools: [string, (() => Promise<Resolution>) | undefined][] = [
    ['Temporal CLI', findTemporalCli],
    ['Temporal test server', findTemporalTestServer],
    [
      'mongod',
      async () => (mongod ? { path: mongod, route: 'path', tried: [] } : { tried: ['mongod on PATH'] }),
    ],
    // startMongo prefers real MongoDB, so with mongod present a FerretDB build would go unused.
    ['FerretDB', mongod ? undefined : findFerretdb],
    // For test/dashboard.test.ts, which drives the dashboard in headless Chromium.
    ['Chromium', findChromium],
  ];
  const results: Provisioned[] = [];
  // One at a time: the installs compete for the same two cores, and the output reads in order.
  for (const [tool, find] of tools) {
    const started = Date.now();
    results.push({ tool, resolution: await find?.(), ms: Date.now() - started });
  }
  return results;
}

const ROUTES = {
  env: 'from its environment variable',
  path: 'on PATH',
  tools: 'already in .tools/',
  installed: 'installed into .tools/ now',
  apt: 'installed with apt-get now',
} as const;

function describe({ tool, resolution, ms }: Provisioned): string {
  const { path: found, route, tried } = resolution ?? { tried: [] };
  const name = tool.padEnd(22);
  if (!resolution) return `${name}not needed`;
  if (!found && tool === 'mongod') return `${name}not on PATH (optional: FerretDB stands in)`;
  if (!found || !route) return `${name}NOT FOUND — tried: ${tried.join('; ')}`;
  const shown = path.relative(ROOT, found).startsWith('..') ? found : path.relative(ROOT, found);
  return `${name}${shown}  (${ROUTES[route]}, ${(ms / 1000).toFixed(1)} s)`;
}

async function main(): Promise<void> {
  const results = await provisionAll();
  for (const result of results) console.log(describe(result));
  const found = (tool: string) => results.some((r) => r.tool === tool && r.resolution?.path);
  const missing = ['Temporal CLI', 'Temporal test server', 'Chromium'].filter((tool) => !found(tool));
  if (!found('mongod') && !found('FerretDB')) missing.push('a MongoDB-compatible server');
  if (missing.length > 0) {
    console.error(`Missing: ${missing.join(', ')}.`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
