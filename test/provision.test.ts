/**
 * The dev servers' plumbing: where each binary is taken from, and that the servers started from them
 * really serve (documents stored and found, namespaces described, an hour skipped in no time).
 */
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { msToTs } from '@temporalio/common/lib/time';
import { MongoClient } from 'mongodb';
import { startMongo, type RunningMongo } from '../dev/mongo';
import { startTemporal, startTimeSkipping, type RunningTemporal } from '../dev/temporal';
import {
  findFerretdb,
  findTemporalCli,
  findTemporalTestServer,
  ferretdbPath,
  mongodPath,
  temporalCliPath,
  temporalTestServerPath,
  TOOLS_DIR,
} from '../dev/tools';
import { waitFor } from './support/wait';

const HOUR = 3_600_000;
// A cold FerretDB build takes minutes on two cores.
const PROVISION_TIMEOUT = 15 * 60_000;

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mailroom-provision-test-'));
  tempDirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(tempDirs.map((dir) => fsp.rm(dir, { recursive: true, force: true })));
});

const ENV_VARS = ['PATH', 'TEMPORAL_CLI_PATH', 'TEMPORAL_TEST_SERVER_PATH', 'FERRETDB_PATH', 'MONGODB_URI'];
let savedEnv: Record<string, string | undefined> = {};
beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_VARS.map((name) => [name, process.env[name]]));
});
afterEach(() => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function fakeExecutable(name: string): Promise<string> {
  const file = path.join(await tempDir(), name);
  await fsp.writeFile(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
}

function prependToPath(file: string): void {
  process.env.PATH = [path.dirname(file), process.env.PATH].join(path.delimiter);
}

// So a developer's own install of a tool cannot stand in for the `.tools/` copy under test.
function removeFromPath(command: string): void {
  process.env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => !fs.existsSync(path.join(dir, command)))
    .join(path.delimiter);
}

const tools = [
  {
    label: 'Temporal CLI',
    envVar: 'TEMPORAL_CLI_PATH',
    command: 'temporal',
    find: findTemporalCli,
    get: temporalCliPath,
  },
  {
    label: 'Temporal test server',
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    command: 'temporal-test-server',
    find: findTemporalTestServer,
    get: temporalTestServerPath,
  },
  { label: 'FerretDB', envVar: 'FERRETDB_PATH', command: 'ferretdb', find: findFerretdb, get: ferretdbPath },
];

void describe('tool resolution', () => {
  for (const tool of tools) {
    void it(`${tool.label}: an explicit path in ${tool.envVar} wins over PATH`, async () => {
      const explicit = await fakeExecutable(tool.command);
      prependToPath(await fakeExecutable(tool.command));
      process.env[tool.envVar] = explicit;

      assert.equal(await tool.get(), explicit);
    });

    void it(`${tool.label}: PATH wins over .tools/`, { timeout: PROVISION_TIMEOUT }, async () => {
      delete process.env[tool.envVar];
      removeFromPath(tool.command);
      const provisioned = await tool.find();
      assert.ok(provisioned.path, `not provisioned; tried: ${provisioned.tried.join('; ')}`);
      assert.ok(provisioned.route === 'tools' || provisioned.route === 'installed', provisioned.route);
      assert.ok(provisioned.path.startsWith(TOOLS_DIR + path.sep), provisioned.path);

      const onPath = await fakeExecutable(tool.command);
      prependToPath(onPath);
      assert.equal(await tool.get(), onPath);
    });
  }

  void it('rejects an explicit path that is not an executable', async () => {
    process.env.TEMPORAL_CLI_PATH = path.join(await tempDir(), 'no-such-temporal');
    await assert.rejects(temporalCliPath(), /TEMPORAL_CLI_PATH=.*no-such-temporal is not an executable/);
  });

  void it('finds mongod on PATH, and only there', async () => {
    removeFromPath('mongod');
    assert.equal(mongodPath(), undefined);
    const fake = await fakeExecutable('mongod');
    prependToPath(fake);
    assert.equal(mongodPath(), fake);
  });
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

void describe('startMongo', () => {
  const running: RunningMongo[] = [];
  const start = async (opts?: Parameters<typeof startMongo>[0]) => {
    const mongo = await startMongo(opts);
    running.push(mongo);
    return mongo;
  };
  after(async () => {
    await Promise.all(running.map((mongo) => mongo.stop()));
  });
  beforeEach(() => {
    delete process.env.MONGODB_URI;
  });

  async function withClient<T>(uri: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
    const client = new MongoClient(uri);
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  }

  void it('starts a local server that stores and finds documents; stop() frees its port', async () => {
    const mongo = await start();
    assert.equal(mongo.kind, mongodPath() ? 'mongod' : 'ferretdb');
    const id = randomUUID();
    const found = await withClient(mongo.uri, async (client) => {
      const messages = client.db('mailroom_test').collection<{ _id: string; to: string }>('messages');
      await messages.insertOne({ _id: id, to: 'a@example.com' });
      return messages.findOne({ _id: id });
    });
    assert.deepEqual(found, { _id: id, to: 'a@example.com' });

    const port = Number(new URL(mongo.uri).port);
    assert.equal(await canListen(port), false, 'the server should hold its port while running');
    await mongo.stop();
    assert.equal(await canListen(port), true, 'stop() should leave the port free');
  });

  void it('keeps data in a given dataDir across a restart', async () => {
    const dataDir = path.join(await tempDir(), 'mongo');
    const id = randomUUID();
    const first = await start({ dataDir });
    await withClient(first.uri, (client) => client.db('mailroom_test').collection('kept').insertOne({ id }));
    await first.stop();

    const second = await start({ dataDir });
    const found = await withClient(second.uri, (client) =>
      client.db('mailroom_test').collection('kept').findOne({ id }),
    );
    assert.equal(found?.id, id);
  });

  void it('uses MONGODB_URI as it is, and leaves that server running on stop()', async () => {
    const local = await start();
    process.env.MONGODB_URI = local.uri;
    const external = await startMongo();
    assert.deepEqual({ kind: external.kind, uri: external.uri }, { kind: 'external', uri: local.uri });

    await external.stop();
    const pong = await withClient(local.uri, (client) => client.db('admin').command({ ping: 1 }));
    assert.equal(pong.ok, 1);
  });
});

void describe('startTemporal', () => {
  const running: RunningTemporal[] = [];
  const start = async (opts?: Parameters<typeof startTemporal>[0]) => {
    const temporal = await startTemporal(opts);
    running.push(temporal);
    return temporal;
  };
  after(async () => {
    await Promise.all(running.map((temporal) => temporal.stop()));
  });

  void it('serves its namespace and the Web UI on local ports', async () => {
    const namespace = `mailroom-test-${randomUUID().slice(0, 8)}`;
    const temporal = await start({ namespace, ui: true });
    assert.match(temporal.address, /^127\.0\.0\.1:\d+$/);
    assert.equal(temporal.namespace, namespace);

    const { workflowService } = temporal.env.client;
    const described = await workflowService.describeNamespace({ namespace });
    assert.equal(described.namespaceInfo?.name, namespace);
    const listed = await workflowService.listNamespaces({});
    assert.ok(listed.namespaces.some((ns) => ns.namespaceInfo?.name === namespace));

    const uiUrl = temporal.uiUrl;
    assert.ok(uiUrl);
    assert.match(uiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    await waitFor(async () => (await fetch(uiUrl)).ok, {
      timeoutMs: 15_000,
      message: `the Web UI at ${uiUrl}`,
    });
  });

  void it('keeps state in dbFile across a restart', async () => {
    const dbFile = path.join(await tempDir(), 'temporal.db');
    const namespace = `mailroom-kept-${randomUUID().slice(0, 8)}`;
    const first = await start({ dbFile });
    await first.env.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await first.stop();
    assert.ok(fs.existsSync(dbFile), 'the server should have written its db file');

    const second = await start({ dbFile });
    const described = await second.env.client.workflowService.describeNamespace({ namespace });
    assert.equal(described.namespaceInfo?.name, namespace);
  });
});

void describe('startTimeSkipping', () => {
  let env: Awaited<ReturnType<typeof startTimeSkipping>> | undefined;
  after(async () => {
    await env?.teardown();
  });

  void it('skips an hour of server time without waiting for it', async () => {
    env = await startTimeSkipping();
    assert.equal(env.supportsTimeSkipping, true);
    const wallStart = Date.now();
    const before = await env.currentTimeMs();
    await env.sleep(HOUR);
    const skipped = (await env.currentTimeMs()) - before;
    assert.ok(skipped >= HOUR, `server clock moved ${skipped} ms`);
    assert.ok(Date.now() - wallStart < HOUR / 60, 'the hour should pass in well under a minute');
  });
});
