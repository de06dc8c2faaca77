/**
 * docker-compose.yml, deploy/.env.example and the Dockerfile, checked as far as a machine without a
 * Docker engine allows: the compose file is parsed and interpolated the way Compose does it, and each
 * Mailroom service's environment goes through the real config loaders. `docker compose config` runs
 * too, when a Compose plugin happens to be installed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseDocument } from 'yaml';
import { loadApiConfig } from '../api/config';
import { ConfigError, type Env } from '../lib/env';
import { loadSandboxConfig } from '../sandbox/config';
import { publicKeyFor } from '../sandbox/signing';
import { loadWorkerConfig } from '../worker/config';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

const COMPOSE_TEXT = read('docker-compose.yml');
const ENV_EXAMPLE = parseDotenv(read('deploy/.env.example'));
const PACKAGE = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
const BUILD_INCLUDE = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;

/** The entry points, by the package.json script that runs each in production. */
const ENTRY_POINTS = { api: 'start:api', worker: 'start:worker', sandbox: 'start:sandbox' } as const;
type Part = keyof typeof ENTRY_POINTS;

// ---------------------------------------------------------------------------------------------
// Compose's model, interpolation and .env files
// ---------------------------------------------------------------------------------------------

type Port = string | number | { target: number; published?: string | number };
type Volume = string | { type?: string; source?: string; target?: string };

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string; required?: boolean }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  profiles?: string[];
  ports?: Port[];
  volumes?: Volume[];
  container_name?: string;
  restart?: string;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

type Vars = Record<string, string | undefined>;

class MissingVariable extends Error {}

/**
 * Compose's interpolation: `$$`, `$VAR`, `${VAR}`, and `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, whose argument may nest further.
 */
function interpolate(text: string, vars: Vars): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '$') {
      out += text[i++];
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const close = closingBrace(text, i + 1);
      out += substitute(text.slice(i + 2, close), vars);
      i = close + 1;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      if (name) {
        out += vars[name] ?? '';
        i += 1 + name.length;
      } else {
        out += text[i++];
      }
    }
  }
  return out;
}

function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return i;
  }
  throw new Error(`unclosed \${ in "${text}"`);
}

function substitute(expr: string, vars: Vars): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(expr);
  if (!match) throw new Error(`unsupported interpolation \${${expr}}`);
  const [, name, op, arg = ''] = match;
  const value = vars[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  switch (op) {
    case undefined:
      return value ?? '';
    case ':-':
      return nonEmpty ? value : interpolate(arg, vars);
    case '-':
      return set ? value : interpolate(arg, vars);
    case ':?':
    case '?':
      if (op === ':?' ? !nonEmpty : !set) throw new MissingVariable(`${name}: ${arg || 'required'}`);
      return value as string;
    case ':+':
      return nonEmpty ? interpolate(arg, vars) : '';
    default:
      return set ? interpolate(arg, vars) : '';
  }
}

/** Compose's .env syntax as used here: KEY=value, "double" or 'single' quotes, # comments. */
function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`.env line ${index + 1} is not KEY=value: ${line}`);
    const [, key, rest] = match;
    let value: string;
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const quote = rest[0];
      const end = rest.indexOf(quote, 1);
      if (end < 0) throw new Error(`.env line ${index + 1}: unclosed ${quote}`);
      value = rest.slice(1, end);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    } else {
      value = rest.replace(/\s+#.*$/, '').trim();
    }
    vars[key] = value;
  });
  return vars;
}

/** Every string in the model interpolated, the way Compose does before anything else. */
function interpolateDeep(value: unknown, vars: Vars): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, vars)]));
  }
  return value;
}

function parseCompose(text: string, vars: Vars): Compose {
  const raw: unknown = parse(text, { merge: true });
  assert.ok(raw && typeof raw === 'object', 'the compose file is not a mapping');
  const model = interpolateDeep(raw, vars) as Compose;
  assert.ok(model.services && typeof model.services === 'object', 'the compose file has no services');
  return model;
}

/** A service's environment as its process sees it (entries without a value come from `shell`). */
function environmentOf(service: Service, shell: Vars = {}): Env {
  const env: Env = {};
  const entries = service.environment ?? {};
  if (Array.isArray(entries)) {
    for (const entry of entries) {
      const eq = entry.indexOf('=');
      if (eq < 0) env[entry] = shell[entry];
      else env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    for (const [key, value] of Object.entries(entries))
      env[key] = value === null ? shell[key] : String(value);
  }
  return env;
}

/** The variables a config loader looks at, given `env`. */
function variablesRead(load: (env: Env) => unknown, env: Env): string[] {
  const read = new Set<string>();
  load(
    new Proxy(env, {
      get(target, key) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key) as unknown;
      },
    }),
  );
  return [...read];
}

const argv = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);

const healthcheckText = (service: Service) => argv(service.healthcheck?.test).join(' ');

/** The text of everything a service's containers run: entrypoint, command and healthcheck. */
const commandText = (service: Service) =>
  [argv(service.entrypoint).join(' '), argv(service.command).join(' '), healthcheckText(service)].join('\n');

/** Container ports a service publishes, with the host side if one is fixed. */
function publishedPorts(service: Service): { container: number; host?: string }[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return {
        container: port.target,
        host: port.published === undefined ? undefined : String(port.published),
      };
    }
    const parts = String(port).split('/')[0].split(':');
    const container = Number(parts.pop());
    return { container, host: parts.length ? parts.pop() : undefined };
  });
}

const dependenciesOf = (service: Service): [string, { condition?: string; required?: boolean }][] =>
  Array.isArray(service.depends_on)
    ? service.depends_on.map((name) => [name, {}])
    : Object.entries(service.depends_on ?? {});

// ---------------------------------------------------------------------------------------------
// The checks, as functions returning what is wrong, so that each can be shown to fail
// ---------------------------------------------------------------------------------------------

/** Why an image reference is not pinned to a version, or undefined when it is. */
function imagePinProblem(image: string | undefined, builtHere: boolean): string | undefined {
  if (!image) return builtHere ? undefined : 'has no image';
  const match = /^((?:[^/:@\s]+(?::\d+)?\/)?[^:@\s]+)(?::([\w][\w.-]*))?(@sha256:[0-9a-f]{64})?$/.exec(image);
  if (!match) return `"${image}" is not an image reference`;
  const [, , tag, digest] = match;
  if (tag === 'latest') return `"${image}" uses latest`;
  if (builtHere) return tag ? undefined : `"${image}" has no tag`;
  if (digest) return undefined;
  if (!tag) return `"${image}" has no tag`;
  if (!/^v?\d+\.\d+/.test(tag)) return `"${image}" is not pinned to at least a major.minor version`;
  return undefined;
}

function dependencyProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [dep, { condition = 'service_started', required = true }] of dependenciesOf(service)) {
      const target = compose.services[dep];
      if (!target) {
        problems.push(`${name} depends on ${dep}, which is not a service`);
        continue;
      }
      if (!conditions.includes(condition)) problems.push(`${name} -> ${dep}: unknown condition ${condition}`);
      if (condition === 'service_healthy' && (!target.healthcheck?.test || target.healthcheck.disable))
        problems.push(`${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      if (
        condition === 'service_completed_successfully' &&
        ['always', 'unless-stopped'].includes(target.restart ?? '')
      )
        problems.push(`${name} waits for ${dep} to complete, but ${dep} restarts forever`);
      const missing = (target.profiles ?? []).filter((p) => !(service.profiles ?? []).includes(p));
      if (target.profiles?.length && missing.length === target.profiles.length && required)
        problems.push(`${name} depends on ${dep}, which only runs with profile ${target.profiles.join('/')}`);
    }
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, trail: string[]) => {
    if (done.has(name) || !compose.services[name]) return;
    if (visiting.has(name)) {
      problems.push(`dependency cycle: ${[...trail, name].join(' -> ')}`);
      return;
    }
    visiting.add(name);
    for (const [dep] of dependenciesOf(compose.services[name])) visit(dep, [...trail, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of Object.keys(compose.services)) visit(name, []);
  return problems;
}

/** What stops `docker compose up --scale <service>=N` from starting N containers. */
function scalingProblems(service: Service): string[] {
  const problems: string[] = [];
  if (service.container_name) problems.push(`container_name ${service.container_name}`);
  for (const port of publishedPorts(service)) {
    if (port.host) problems.push(`host port ${port.host} for ${port.container}`);
  }
  return problems;
}

/** `npm run x` that package.json lacks, and `node dist/x.js` whose x.ts is not compiled by the build. */
function commandProblems(text: string, scripts: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [, script] of text.matchAll(/\bnpm run ([\w:.-]+)/g)) {
    if (!scripts[script]) problems.push(`npm run ${script}: no such script`);
  }
  for (const [, file] of text.matchAll(/\bnode\s+(?:--[\w-]+(?:=\S+)?\s+)*(dist\/[\w/.-]+\.js)\b/g)) {
    const source = file.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    if (!existsSync(path.join(ROOT, source))) problems.push(`${file}: there is no ${source}`);
    else if (!BUILD_INCLUDE.includes(source.split('/')[0]))
      problems.push(`${file}: tsconfig.build.json does not compile ${source}`);
  }
  return problems;
}

/** Paths excluded from the build context by .dockerignore patterns (later patterns win; ! re-includes). */
function dockerIgnored(file: string, patterns: string[]): boolean {
  const toRegExp = (glob: string) =>
    new RegExp(
      `^${glob
        .replace(/^\/+|\/+$/g, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\/?/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '(?:.*/)?')}$`,
    );
  const candidates = file.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const regex = toRegExp(negated ? pattern.slice(1) : pattern);
    if (candidates.some((candidate) => regex.test(candidate))) ignored = !negated;
  }
  return ignored;
}

interface Dockerfile {
  args: Record<string, string>;
  stages: { from: string; name?: string; lines: string[] }[];
}

function parseDockerfile(text: string): Dockerfile {
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Dockerfile['stages'] = [];
  for (const line of instructions) {
    const [keyword, ...rest] = line.split(/\s+/);
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const from = rest.filter((word) => !word.startsWith('--'));
      const image = from[0].replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_, name: string) => args[name] ?? '',
      );
      stages.push({ from: image, name: from[2], lines: [] });
    } else if (upper === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.join(' ').split('=');
      args[name] = value.replace(/^"|"$/g, '');
    } else if (stages.length) {
      stages[stages.length - 1].lines.push(line);
    }
  }
  return { args, stages };
}

// ---------------------------------------------------------------------------------------------
// The files in the repository
// ---------------------------------------------------------------------------------------------

const compose = parseCompose(COMPOSE_TEXT, ENV_EXAMPLE);
const bareCompose = parseCompose(COMPOSE_TEXT, {});

/** The one service that runs each Mailroom entry point, found by its command. */
function serviceFor(model: Compose, part: Part): [string, Service] {
  const command = PACKAGE.scripts[ENTRY_POINTS[part]];
  const found = Object.entries(model.services).filter(([, service]) =>
    argv(service.command)
      .join(' ')
      .includes(command.replace(/^node\s+/, '')),
  );
  assert.equal(found.length, 1, `expected one service running ${command}, found ${found.length}`);
  return found[0];
}

const mailroomServices = () => ({
  api: serviceFor(compose, 'api'),
  worker: serviceFor(compose, 'worker'),
  sandbox: serviceFor(compose, 'sandbox'),
});

describe('docker-compose.yml', () => {
  it('is well-formed YAML with services', () => {
    const doc = parseDocument(COMPOSE_TEXT, { merge: true });
    assert.deepEqual(
      [...doc.errors, ...doc.warnings].map((e) => e.message),
      [],
    );
    assert.ok(Object.keys(compose.services).length >= 7, 'fewer services than the stack needs');
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(service.image || service.build, `${name} has neither image nor build`);
    }
  });

  it('runs each of the API, the worker and the sandbox in exactly one service', () => {
    for (const part of Object.keys(ENTRY_POINTS) as Part[])
      assert.doesNotThrow(() => serviceFor(compose, part));
  });

  it('pins every image to a version, never latest', () => {
    const problems = Object.entries(compose.services).flatMap(([name, service]) => {
      const problem = imagePinProblem(service.image, service.build !== undefined);
      return problem ? [`${name}: ${problem}`] : [];
    });
    assert.deepEqual(problems, []);
  });

  it('reads only variables that deploy/.env.example documents, with defaults for all', () => {
    const documented = new Set(
      read('deploy/.env.example')
        .split(/\r?\n/)
        .map((line) => /^#?\s*([A-Za-z_][A-Za-z0-9_]*)=/.exec(line.trim())?.[1])
        .filter((name): name is string => Boolean(name)),
    );
    const referenced = [
      ...COMPOSE_TEXT.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)/g),
    ];
    assert.ok(referenced.length > 0);
    const undocumented = referenced.map(([, name]) => name).filter((name) => !documented.has(name));
    assert.deepEqual([...new Set(undocumented)], [], 'read by docker-compose.yml, missing from .env.example');
    // Without a default Compose warns on every command and substitutes an empty string anyway.
    const bare = referenced.filter(([, , rest]) => !rest.startsWith(':-')).map(([whole]) => `${whole}}`);
    assert.deepEqual(bare, [], 'references without a ${VAR:-default}');
    const unused = Object.keys(ENV_EXAMPLE).filter(
      (name) => !name.startsWith('COMPOSE_') && !referenced.some(([, used]) => used === name),
    );
    assert.deepEqual(unused, [], 'set in .env.example, read by nothing in docker-compose.yml');
  });

  it('gives the API, the worker and the sandbox everything their config loaders require', () => {
    const { api, worker, sandbox } = mailroomServices();
    assert.doesNotThrow(() => loadApiConfig(environmentOf(api[1])));
    assert.doesNotThrow(() => loadWorkerConfig(environmentOf(worker[1])));
    assert.doesNotThrow(() => loadSandboxConfig(environmentOf(sandbox[1])));
  });

  it('passes every variable the config loaders read, so .env can set each of them', () => {
    const { api, worker, sandbox } = mailroomServices();
    const loaders: [string, Service, (env: Env) => unknown][] = [
      ['api', api[1], loadApiConfig],
      ['worker', worker[1], loadWorkerConfig],
      ['sandbox', sandbox[1], loadSandboxConfig],
    ];
    for (const [part, service, load] of loaders) {
      const env = environmentOf(service);
      const notPassed = variablesRead(load, env).filter((name) => !(name in env));
      assert.deepEqual(notPassed, [], `${part} reads these, docker-compose.yml does not pass them`);
    }
  });

  it('commits no secret: without a .env, each part stops on a missing required variable', () => {
    const parts = {
      api: () => loadApiConfig(environmentOf(serviceFor(bareCompose, 'api')[1])),
      worker: () => loadWorkerConfig(environmentOf(serviceFor(bareCompose, 'worker')[1])),
      sandbox: () => loadSandboxConfig(environmentOf(serviceFor(bareCompose, 'sandbox')[1])),
    };
    for (const [part, load] of Object.entries(parts)) {
      assert.throws(load, (err) => err instanceof ConfigError && /is required/.test(err.message), part);
    }
    const secrets = {
      api: ['API_KEYS', 'SENDGRID_WEBHOOK_PUBLIC_KEY'],
      worker: ['SENDGRID_API_KEY'],
      sandbox: ['SANDBOX_API_KEY', 'SANDBOX_SIGNING_KEY'],
    };
    for (const [part, names] of Object.entries(secrets)) {
      const env = environmentOf(serviceFor(bareCompose, part as Part)[1]);
      for (const name of names) assert.equal(env[name], '', `${part}: ${name} has a committed default`);
    }
  });

  it('wires the services to each other: Temporal, MongoDB, sandbox and webhook', () => {
    const { api, worker, sandbox } = mailroomServices();
    const apiConfig = loadApiConfig(environmentOf(api[1]));
    const workerConfig = loadWorkerConfig(environmentOf(worker[1]));
    const sandboxConfig = loadSandboxConfig(environmentOf(sandbox[1]));
    const imageOf = (host: string) => compose.services[host]?.image ?? '';

    for (const { temporal, mongo } of [apiConfig, workerConfig]) {
      const [temporalHost, temporalPort] = temporal.address.split(':');
      assert.match(imageOf(temporalHost), /^temporalio\/(auto-setup|server):/, temporal.address);
      assert.equal(temporalPort, '7233');
      assert.match(imageOf(new URL(mongo.uri).hostname), /^mongo:/, mongo.uri);
    }
    assert.deepEqual(apiConfig.temporal, workerConfig.temporal, 'the API starts workflows elsewhere');
    assert.deepEqual(apiConfig.mongo, workerConfig.mongo, 'the API and the worker use different databases');

    // With .env.example's sandbox profile, the worker sends to the sandbox, with the key it accepts.
    assert.match(ENV_EXAMPLE.COMPOSE_PROFILES ?? '', /(^|,)sandbox(,|$)/);
    const sendgrid = new URL(workerConfig.sendgrid.apiUrl);
    assert.equal(sendgrid.hostname, sandbox[0]);
    assert.equal(sendgrid.port, String(sandboxConfig.port));
    assert.equal(workerConfig.sendgrid.apiKey, sandboxConfig.apiKey);
    // Without .env the worker goes to SendGrid itself.
    assert.equal(
      loadWorkerConfig({ ...environmentOf(serviceFor(bareCompose, 'worker')[1]), SENDGRID_API_KEY: 'SG.x' })
        .sendgrid.apiUrl,
      'https://api.sendgrid.com',
    );

    // The sandbox posts to the API's webhook route, signed with the key the API verifies with.
    assert.ok(sandboxConfig.webhookUrl, 'the sandbox has no SANDBOX_WEBHOOK_URL');
    const webhook = new URL(sandboxConfig.webhookUrl);
    assert.equal(webhook.hostname, api[0]);
    assert.equal(webhook.port, String(apiConfig.port));
    assert.ok(
      read('dev/system.ts').includes(`\${api.url}${webhook.pathname}`),
      `${webhook.pathname} is not the webhook path dev/system.ts uses`,
    );
    assert.ok(apiConfig.webhookPublicKey, 'webhook verification is off');
    assert.equal(
      apiConfig.webhookPublicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      publicKeyFor(sandboxConfig.signingKey),
      'SENDGRID_WEBHOOK_PUBLIC_KEY is not the public half of SANDBOX_SIGNING_KEY',
    );

    // Listening where the other containers and the published ports reach them.
    assert.equal(sandboxConfig.host, '0.0.0.0');
    assert.ok(!['127.0.0.1', 'localhost', '::1'].includes(apiConfig.host), `API HOST ${apiConfig.host}`);
    for (const [[name, service], port] of [
      [api, apiConfig.port],
      [sandbox, sandboxConfig.port],
    ] as const) {
      const published = publishedPorts(service).map((p) => p.container);
      assert.ok(published.includes(port), `${name} listens on ${port} but publishes ${published.join(', ')}`);
      assert.ok(
        healthcheckText(service).includes(`http://127.0.0.1:${port}/healthz`),
        `${name}'s healthcheck does not ask its own port ${port}`,
      );
    }
  });

  it('runs only scripts and entry points that exist', () => {
    const { api, worker, sandbox } = mailroomServices();
    const problems = Object.entries(compose.services).flatMap(([name, service]) =>
      commandProblems(commandText(service), PACKAGE.scripts).map((problem) => `${name}: ${problem}`),
    );
    assert.deepEqual(problems, []);
    // And each entry point is started exactly as its package.json script starts it.
    for (const [part, [name, service]] of Object.entries({ api, worker, sandbox })) {
      assert.equal(argv(service.command).join(' '), PACKAGE.scripts[ENTRY_POINTS[part as Part]], name);
    }
  });

  it('mounts files that exist, and Temporal finds its dynamic config among them', () => {
    const mounts = (service: Service) =>
      (service.volumes ?? []).flatMap((volume) => {
        const [source, target] =
          typeof volume === 'string' ? volume.split(':') : [volume.source ?? '', volume.target ?? ''];
        return source.startsWith('.') || source.startsWith('/') ? [{ source, target }] : [];
      });
    for (const [name, service] of Object.entries(compose.services)) {
      for (const { source } of mounts(service)) {
        assert.ok(existsSync(path.join(ROOT, source)), `${name} mounts ${source}, which does not exist`);
      }
      const named = (service.volumes ?? [])
        .map((volume) => (typeof volume === 'string' ? volume.split(':')[0] : (volume.source ?? '')))
        .filter((source) => source && !source.startsWith('.') && !source.startsWith('/'));
      for (const volume of named)
        assert.ok(compose.volumes && volume in compose.volumes, `${name}: ${volume}`);
    }
    const temporal = Object.values(compose.services).find((s) =>
      s.image?.startsWith('temporalio/auto-setup:'),
    );
    assert.ok(temporal, 'no temporalio/auto-setup service');
    const configPath = path.posix.join(
      '/etc/temporal',
      environmentOf(temporal).DYNAMIC_CONFIG_FILE_PATH ?? '',
    );
    const mount = mounts(temporal).find(({ target }) => configPath.startsWith(`${target}/`));
    assert.ok(mount, `nothing is mounted where ${configPath} is read`);
    const file = path.join(ROOT, mount.source, path.posix.relative(mount.target, configPath));
    assert.ok(existsSync(file) && statSync(file).isFile(), `${configPath} would be missing`);
    assert.doesNotThrow(() => parse(readFileSync(file, 'utf8')));
  });

  it('depends only on services that exist, with conditions they can meet', () => {
    assert.deepEqual(dependencyProblems(compose), []);
  });

  it('lets the worker scale: no container_name, no fixed host port', () => {
    const [, worker] = serviceFor(compose, 'worker');
    assert.deepEqual(scalingProblems(worker), []);
  });

  it('runs the sandbox under the profile "sandbox", and the API and worker always', () => {
    const { api, worker, sandbox } = mailroomServices();
    assert.deepEqual(sandbox[1].profiles, ['sandbox']);
    assert.equal(api[1].profiles, undefined);
    assert.equal(worker[1].profiles, undefined);
  });

  it('builds the API, worker and sandbox from this repository as one image', () => {
    const { api, worker, sandbox } = mailroomServices();
    const images = [api, worker, sandbox].map(([, service]) => service.image);
    assert.equal(new Set(images).size, 1, `different images: ${images.join(', ')}`);
    for (const [name, service] of [api, worker, sandbox]) {
      const build = service.build;
      assert.ok(build !== undefined, `${name} has no build`);
      const context = typeof build === 'string' ? build : (build.context ?? '.');
      const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile');
      assert.equal(path.resolve(ROOT, context, dockerfile), path.join(ROOT, 'Dockerfile'), name);
    }
  });

  const composeCli = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  it(
    'is accepted by `docker compose config`',
    { skip: composeCli.status === 0 ? false : 'no docker compose plugin on this machine' },
    () => {
      const result = spawnSync(
        'docker',
        ['compose', '--env-file', 'deploy/.env.example', '--profile', 'sandbox', 'config', '--quiet'],
        { cwd: ROOT, encoding: 'utf8' },
      );
      assert.equal(result.status, 0, result.stderr);
    },
  );
});

describe('Dockerfile', () => {
  const dockerfile = parseDockerfile(read('Dockerfile'));
  const stageNames = new Set(dockerfile.stages.map((stage) => stage.name).filter(Boolean));
  const runtime = dockerfile.stages[dockerfile.stages.length - 1];
  const allLines = dockerfile.stages.flatMap((stage) => stage.lines);

  it('builds in stages from Node 20 on bookworm-slim, pinned to a minor version', () => {
    assert.ok(dockerfile.stages.length >= 2, 'not a multi-stage build');
    for (const { from } of dockerfile.stages) {
      if (stageNames.has(from)) continue;
      assert.match(from, /^node:20\.\d+(\.\d+)?-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('installs with npm ci, builds, and leaves dev dependencies out of the image', () => {
    const run = allLines.filter((line) => /^RUN\s/i.test(line)).join('\n');
    assert.match(run, /\bnpm ci\b/);
    assert.match(run, /\bnpm run build\b/);
    assert.match(run, /\bnpm prune --omit=dev\b/);
    assert.ok(runtime.lines.some((line) => /^COPY --from=\S+ \S*node_modules/.test(line)));
    assert.ok(
      !runtime.lines.some((line) => /^RUN .*npm (ci|install)\b/.test(line) && !/--omit=dev/.test(line)),
    );
  });

  it('runs as a user other than root', () => {
    const user = runtime.lines
      .filter((line) => /^USER\s/i.test(line))
      .pop()
      ?.split(/\s+/)[1];
    assert.ok(user, 'the final stage sets no USER');
    assert.ok(!['root', '0', '0:0'].includes(user), `USER ${user}`);
  });

  it('references only scripts and entry points that exist', () => {
    assert.deepEqual(commandProblems(allLines.join('\n').replace(/[",[\]]/g, ' '), PACKAGE.scripts), []);
    const cmd = runtime.lines.filter((line) => /^CMD\s/i.test(line)).pop();
    assert.ok(cmd, 'no CMD');
    const command = (JSON.parse(cmd.replace(/^CMD\s+/i, '')) as string[]).join(' ');
    assert.ok(
      Object.values(ENTRY_POINTS).some((script) => PACKAGE.scripts[script] === command),
      command,
    );
  });

  it('copies what the build compiles, and .dockerignore keeps none of it out', () => {
    const ignore = read('.dockerignore')
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const copied = dockerfile.stages[0].lines
      .filter((line) => /^COPY\s/i.test(line) && !/--from=/.test(line))
      .flatMap((line) =>
        line
          .split(/\s+/)
          .slice(1)
          .filter((word) => !word.startsWith('--'))
          .slice(0, -1),
      )
      .map((source) => source.replace(/^\.\//, '').replace(/\/$/, ''));
    for (const source of copied) {
      assert.ok(existsSync(path.join(ROOT, source)), `COPY ${source}: no such file`);
      assert.ok(!dockerIgnored(source, ignore), `COPY ${source}, but .dockerignore excludes it`);
    }
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      assert.ok(copied.includes(needed), `${needed} is not copied`);
    }
    const missing = BUILD_INCLUDE.filter((dir) => !copied.includes(dir));
    assert.deepEqual(missing, [], 'compiled by tsconfig.build.json but not copied');
    for (const secret of ['.env', 'node_modules', '.git']) {
      assert.ok(dockerIgnored(secret, ignore), `.dockerignore lets ${secret} into the context`);
    }
  });
});

describe('the checks themselves', () => {
  it('interpolate the way Compose does', () => {
    const vars = { SET: 'x', EMPTY: '' };
    assert.equal(interpolate('${SET:-d} ${EMPTY:-d} ${UNSET:-d} ${EMPTY-d}', vars), 'x d d ');
    assert.equal(interpolate('$$HOME $SET ${UNSET:-${SET}}', vars), '$HOME x x');
    assert.equal(interpolate('${SET:+alt}${EMPTY:+alt}', vars), 'alt');
    assert.throws(() => interpolate('${EMPTY:?needed}', vars), MissingVariable);
    assert.throws(() => interpolate('${SET/x/y}', vars), /unsupported/);
  });

  it('read .env files, quotes and comments included', () => {
    assert.deepEqual(parseDotenv('# c\nA=1 # note\nB="x <y@z>"\nC=\'$D\'\nE=a=b\n'), {
      A: '1',
      B: 'x <y@z>',
      C: '$D',
      E: 'a=b',
    });
    assert.throws(() => parseDotenv('not a pair'), /not KEY=value/);
  });

  it('catch unpinned images', () => {
    for (const image of ['mongo', 'mongo:latest', 'mongo:7', 'temporalio/ui:latest', 'node:lts-slim']) {
      assert.ok(imagePinProblem(image, false), image);
    }
    for (const image of [
      'mongo:7.0.14',
      'postgres:16.4',
      'ghcr.io/a/b:1.2.3',
      `x/y@sha256:${'a'.repeat(64)}`,
    ]) {
      assert.equal(imagePinProblem(image, false), undefined, image);
    }
    assert.ok(imagePinProblem('mailroom:latest', true));
    assert.equal(imagePinProblem('mailroom:local', true), undefined);
  });

  it('catch broken dependencies', () => {
    const broken: Compose = {
      services: {
        a: { image: 'x:1.0', depends_on: { ghost: {}, b: { condition: 'service_healthy' } } },
        b: { image: 'x:1.0', depends_on: ['c'] },
        c: { image: 'x:1.0', profiles: ['extra'], depends_on: ['b'], restart: 'always' },
        d: { image: 'x:1.0', depends_on: { c: { condition: 'service_completed_successfully' } } },
      },
    };
    const problems = dependencyProblems(broken).join('\n');
    assert.match(problems, /a depends on ghost, which is not a service/);
    assert.match(problems, /b has no healthcheck/);
    assert.match(problems, /b depends on c, which only runs with profile extra/);
    assert.match(problems, /c restarts forever/);
    assert.match(problems, /cycle: (.* -> )?b -> c -> b/);
  });

  it('catch what stops a service from scaling', () => {
    assert.equal(scalingProblems({ container_name: 'w', ports: ['8000:3000', '3000'] }).length, 2);
    assert.deepEqual(scalingProblems({ ports: ['3000', { target: 3000 }] }), []);
  });

  it('catch missing scripts and entry points', () => {
    const problems = commandProblems(
      'npm run start:api && npm run nope; node dist/nowhere/main.js; node dist/api/main.js; node dist/test/run.js',
      PACKAGE.scripts,
    );
    assert.deepEqual(problems, [
      'npm run nope: no such script',
      'dist/nowhere/main.js: there is no nowhere/main.ts',
      'dist/test/run.js: tsconfig.build.json does not compile test/run.ts',
    ]);
  });

  it('read .dockerignore the way Docker does', () => {
    const patterns = ['node_modules', '*.log', 'docs/**/*.md', '!docs/keep.md', 'test'];
    assert.ok(dockerIgnored('node_modules/x/y.js', patterns));
    assert.ok(dockerIgnored('a.log', patterns));
    assert.ok(dockerIgnored('docs/a/b.md', patterns));
    assert.ok(!dockerIgnored('docs/keep.md', patterns));
    assert.ok(!dockerIgnored('api', patterns));
    assert.ok(!dockerIgnored('testing', patterns));
  });
});
