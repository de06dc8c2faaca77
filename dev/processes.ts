/**
 * Long-running child servers (mongod, FerretDB) whose output goes to a log file rather than the
 * terminal, and polling with a deadline that gives up early, with the log's tail, if the child dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DATA_DIR } from './tools';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the child exits, however that happens. */
  readonly exited: Promise<ExitStatus>;
  exitStatus(): ExitStatus | undefined;
  /** The last lines this child wrote, not earlier runs sharing the log file. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  logFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

// A crash of this process must not leave servers holding ports and data dirs.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killLiveChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

export async function spawnLogged(
  name: string,
  command: string,
  args: string[],
  opts: SpawnOptions = {},
): Promise<ManagedProcess> {
  const logFile = opts.logFile ?? path.join(DATA_DIR, 'logs', `${name}.log`);
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  await fsp.appendFile(logFile, `\n--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  const startOffset = (await fsp.stat(logFile)).size;

  // The child writes to the file itself, so its log survives us and costs our event loop nothing.
  const fd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }

  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      status = { code, signal };
      resolve(status);
    });
  });
  try {
    await once(child, 'spawn');
  } catch (err) {
    throw new Error(`Could not start ${name} (${command}): ${(err as Error).message}`, { cause: err });
  }
  live.add(child);
  if (!exitHookInstalled) {
    process.once('exit', killLiveChildren);
    exitHookInstalled = true;
  }

  return {
    name,
    pid: child.pid ?? -1,
    logFile,
    exited,
    exitStatus: () => status,
    logTail: (lines = 30) => readTail(logFile, startOffset, lines),
    async stop(graceMs = 5_000) {
      if (status) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function readTail(logFile: string, startOffset: number, lines: number): string {
  try {
    const size = fs.statSync(logFile).size;
    const from = Math.max(startOffset, size - 16 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - from));
    const fd = fs.openSync(logFile, 'r');
    try {
      fs.readSync(fd, buffer, 0, buffer.length, from);
    } finally {
      fs.closeSync(fd);
    }
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the error: "FerretDB to answer ping". */
  what: string;
  /** When it exits, waiting stops at once and the error carries its log tail. */
  child?: ManagedProcess;
}

/** Calls `probe` until it returns a value; a throw or `undefined` means "not yet". */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, opts: PollOptions): Promise<T> {
  const { timeoutMs, intervalMs = 100, what, child } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const status = child?.exitStatus();
    if (child && status) throw childDied(child, status, what);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const tail = child ? `\nLast lines of ${child.logFile}:\n${child.logTail()}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}${tail}`);
    }
    await (child ? Promise.race([delay(intervalMs), child.exited]) : delay(intervalMs));
  }
}

function childDied(child: ManagedProcess, status: ExitStatus, what: string): Error {
  const how = status.signal ? `signal ${status.signal}` : `code ${status.code}`;
  return new Error(
    `${child.name} exited (${how}) before ${what}. Last lines of ${child.logFile}:\n${child.logTail()}`,
  );
}

export async function waitForTcp(
  host: string,
  port: number,
  opts: { timeoutMs?: number; child?: ManagedProcess } = {},
): Promise<void> {
  await pollUntil(() => connectOnce(host, port), {
    timeoutMs: opts.timeoutMs ?? 30_000,
    what: `${host}:${port} to accept connections`,
    child: opts.child,
  });
}

function connectOnce(host: string, port: number): Promise<true> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}
