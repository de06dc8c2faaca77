/**
 * Memory and CPU of the processes a run starts, read from Linux's /proc: resident memory now (VmRSS),
 * its peak (VmHWM, which the kernel keeps for us), and CPU seconds used (utime + stime), so a phase's
 * CPU share per process shows which one limits it.
 */
import fs from 'node:fs';
import { round } from './stats';

const CLOCK_TICKS = 100; // USER_HZ; 100 on every Linux Node supports

export interface ProcSample {
  rssMb: number;
  peakMb: number;
  cpuSeconds: number;
}

export function sample(pid: number): ProcSample | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024, cpuSeconds: cpuSeconds(pid) };
  } catch {
    return undefined; // gone
  }
}

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Every process below `root` (children, theirs, …) with its command line. */
export function descendants(root = process.pid): { pid: number; command: string }[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited while we looked
    }
  }
  const found: { pid: number; command: string }[] = [];
  const below = (pid: number) => {
    for (const [child, parent] of parentOf) {
      if (parent !== pid) continue;
      found.push({ pid: child, command: commandOf(child) });
      below(child);
    }
  };
  below(root);
  return found;
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** CPU used by each named process between two moments, as a share of one core. */
export class CpuMeter {
  private readonly from = new Map<string, { at: number; cpu: number }>();

  constructor(private readonly pids: () => Record<string, number>) {
    const at = performance.now();
    for (const [name, pid] of Object.entries(pids())) {
      const s = sample(pid);
      if (s) this.from.set(name, { at, cpu: s.cpuSeconds });
    }
  }

  /** `{worker: 0.93, temporal: 0.61, …}`: 1.0 is one core busy the whole time. */
  read(): Record<string, number> {
    const at = performance.now();
    const shares: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const start = this.from.get(name);
      const s = sample(pid);
      if (!start || !s) continue;
      shares[name] = round((s.cpuSeconds - start.cpu) / ((at - start.at) / 1000), 2);
    }
    return shares;
  }
}
