/** The run's figures as a readable report, and each target of the issue judged met or missed. */
import type { AcceptResult } from './accept';
import type { BaselineResult } from './baseline';
import type { IngestPass } from './ingest';
import type { MemoryPoint, SendingResult } from './mailroom';
import { round } from './stats';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  temporal: string;
  ferretdb: string;
}

export interface SendingRun {
  label: string;
  rateLimit: number | null;
  baseline: BaselineResult;
  mailroom: SendingResult;
  /** Mailroom's emails per second to sent over the baseline's. */
  ratio: number;
}

export interface IngestSummary {
  events: number;
  batchSize: number;
  concurrency: number;
  passes: IngestPass[];
  on: IngestMode;
  off: IngestMode;
  ratio: number;
}

export interface IngestMode {
  events: number;
  /** Stored and answered: what SendGrid sees. */
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Applied by the relay after the answer (suppression, counters, signals); null if it did not finish. */
  appliedPerSecond: number | null;
}

export interface BenchResult {
  startedAt: string;
  minutes: number;
  machine: Machine;
  args: unknown;
  accept?: AcceptResult;
  runs: SendingRun[];
  ingest?: IngestSummary;
  targets: TargetResult[];
}

export interface TargetResult {
  target: string;
  met: boolean;
  figure: string;
}

export function judge(result: Omit<BenchResult, 'targets'>): TargetResult[] {
  const targets: TargetResult[] = [];
  const { accept, ingest } = result;
  if (accept) {
    const times = accept.acceptMs / accept.insertManyMs;
    targets.push({
      target: `${accept.recipients.toLocaleString('en-US')}-recipient campaign accepted (202) in under 2 s`,
      met: accept.acceptMs < 2000,
      figure: `${seconds(accept.acceptMs)}`,
    });
    targets.push({
      target: 'campaign accept within 3x of a plain insertMany of the same recipients',
      met: times <= 3,
      figure: `${times.toFixed(1)}x (${seconds(accept.acceptMs)} vs ${seconds(accept.insertManyMs)})`,
    });
  }
  const capped = result.runs.find((r) => r.rateLimit !== null);
  if (capped) {
    targets.push({
      target: `under the ${capped.rateLimit} req/s cap, Mailroom ≥ 0.8x the direct-send baseline`,
      met: capped.ratio >= 0.8 && !capped.mailroom.incomplete,
      figure: `${capped.ratio}x (${capped.mailroom.sentPerSecond}/s vs ${capped.baseline.perSecond}/s)`,
    });
  }
  const uncapped = result.runs.find((r) => r.rateLimit === null);
  if (uncapped) {
    targets.push({
      target: 'uncapped, ≥ 100 emails/s sustained from queued to sent',
      met: uncapped.mailroom.sustainedSentPerSecond >= 100 && !uncapped.mailroom.incomplete,
      figure: `${uncapped.mailroom.sustainedSentPerSecond}/s sustained (${uncapped.mailroom.sentPerSecond}/s overall)`,
    });
  }
  if (ingest) {
    targets.push({
      target: 'webhook ingest ≥ 2,000 events/s with p99 < 100 ms',
      met: ingest.on.eventsPerSecond >= 2000 && ingest.on.p99Ms < 100,
      figure: `${ingest.on.eventsPerSecond} events/s, p99 ${ingest.on.p99Ms} ms per ${ingest.batchSize}-event post`,
    });
    targets.push({
      target: 'ingest with signatures verified ≥ 0.8x ingest without',
      met: ingest.ratio >= 0.8,
      figure: `${ingest.ratio.toFixed(2)}x (${ingest.on.eventsPerSecond} vs ${ingest.off.eventsPerSecond} events/s)`,
    });
  }
  for (const run of result.runs) {
    const growth = memoryGrowth(run.mailroom.memory.points);
    if (!growth) {
      targets.push({
        target: `memory does not grow with finished emails (${run.label})`,
        met: false,
        figure: 'not measured: too few emails finished',
      });
      continue;
    }
    const worst = Object.entries(growth).sort((a, b) => b[1].share - a[1].share)[0];
    targets.push({
      target: `memory does not grow with finished emails (${run.label}: < 10% from half to all finished)`,
      met: Object.values(growth).every((g) => g.share < 0.1),
      figure: Object.entries(growth)
        .map(([name, g]) => `${name} ${g.mb >= 0 ? '+' : ''}${g.mb} MB`)
        .join(', ')
        .concat(worst ? ` (most: ${worst[0]} ${(worst[1].share * 100).toFixed(0)}%)` : ''),
    });
  }
  return targets;
}

/** RSS change of Mailroom's own processes between half and all of the emails finished. */
function memoryGrowth(points: MemoryPoint[]) {
  const reached = Math.max(...points.slice(0, -1).map((p) => p.finished));
  // A handful of finished emails says nothing about growth.
  if (reached < 100) return undefined;
  const half = points.find((p) => p.finished >= reached / 2);
  const all = points.find((p) => p.finished >= reached);
  if (!half || !all || half === all) return undefined;
  const growth: Record<string, { mb: number; share: number }> = {};
  for (const name of ['api', 'worker', 'sandbox']) {
    const from = half.rssMb[name];
    const to = all.rssMb[name];
    if (from === undefined || to === undefined) continue;
    growth[name] = { mb: round(to - from), share: (to - from) / from };
  }
  return growth;
}

export function render(result: BenchResult): string {
  const out: string[] = [];
  const m = result.machine;
  out.push(
    `Mailroom benchmark, ${result.startedAt} (${result.minutes} min)`,
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB RAM, Node ${m.node}, ${m.temporal}, FerretDB ${m.ferretdb} (SQLite)`,
    '',
  );
  if (result.accept) {
    const a = result.accept;
    out.push(
      `Accepting a blast: ${a.recipients.toLocaleString('en-US')} recipients, ${a.bodyMb} MB of JSON`,
      table([
        ['POST /v1/campaigns until 202', seconds(a.acceptMs)],
        ['insertMany, _id index only', seconds(a.insertManyMs)],
        ['insertMany, with the indexes of emails', seconds(a.insertManyIndexedMs)],
        ['accept / plain insertMany', `${(a.acceptMs / a.insertManyMs).toFixed(1)}x`],
        ['API peak memory', `${a.apiPeakMb} MB`],
      ]),
      '',
    );
  }
  const singles = result.accept?.singles;
  if (singles) {
    out.push(
      `Accept latency, POST /v1/emails (${singles.count.toLocaleString('en-US')} emails, ${singles.concurrency} in flight): ` +
        `p50 ${singles.p50Ms} ms, p99 ${singles.p99Ms} ms, max ${singles.maxMs} ms`,
      '',
    );
  }
  if (result.runs.length > 0) {
    const n = result.runs[0].mailroom.emails;
    const head = ['', ...result.runs.map((r) => (r.rateLimit ? `capped ${r.rateLimit}/s` : 'uncapped'))];
    const row = (label: string, f: (r: SendingRun) => string) => [label, ...result.runs.map(f)];
    out.push(
      `Sending ${n.toLocaleString('en-US')} emails (one campaign), against a plain @sendgrid/mail loop`,
      table([
        head,
        row(
          'baseline, emails/s',
          (r) => `${r.baseline.perSecond} (${r.baseline.seconds} s, ${r.baseline.concurrency} in flight)`,
        ),
        row('baseline 429s waited out', (r) => r.baseline.throttled.toLocaleString('en-US')),
        row('Mailroom campaign 202', (r) => seconds(r.mailroom.campaignAcceptMs)),
        row(
          'Mailroom to sent, emails/s',
          (r) => `${r.mailroom.sentPerSecond} (${r.mailroom.secondsToSent} s)`,
        ),
        row('  sustained (10%–90%)', (r) => `${r.mailroom.sustainedSentPerSecond}`),
        row(
          'Mailroom to final, emails/s',
          (r) => `${r.mailroom.finalPerSecond} (${r.mailroom.secondsToFinal} s)`,
        ),
        row('Mailroom / baseline', (r) => `${r.ratio}x`),
        row('mail/send requests', (r) => r.mailroom.sendAttempts.toLocaleString('en-US')),
        row('outcomes', (r) =>
          Object.entries(r.mailroom.outcomes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ),
        row('CPU, cores (POST → all final)', (r) => cpu(r.mailroom.cpu)),
        row('peak memory, MB', (r) => mb(r.mailroom.memory.peakMb)),
        row('baseline sandbox peak, MB', (r) => `${r.baseline.sandboxPeakMb}`),
      ]),
      '',
    );
    for (const run of result.runs) {
      if (run.mailroom.incomplete) out.push(`INCOMPLETE (${run.label}): ${run.mailroom.incomplete}`, '');
      const names = Object.keys(run.mailroom.memory.peakMb);
      out.push(
        `Memory (RSS, MB) against finished emails, ${run.label}`,
        table([
          ['finished', ...names],
          ...run.mailroom.memory.points.map((p, i, all) => [
            i === all.length - 1
              ? `${p.finished.toLocaleString('en-US')} (+5 s idle)`
              : p.finished.toLocaleString('en-US'),
            ...names.map((name) => String(p.rssMb[name] ?? '')),
          ]),
          ['peak', ...names.map((name) => String(run.mailroom.memory.peakMb[name]))],
        ]),
        '',
      );
    }
  }
  if (result.ingest) {
    const i = result.ingest;
    out.push(
      `Webhook ingest: ${i.events.toLocaleString('en-US')} events per mode, posts of ${i.batchSize}, ${i.concurrency} in flight`,
      table([
        ['', 'verify on', 'verify off'],
        ['events/s', `${i.on.eventsPerSecond}`, `${i.off.eventsPerSecond}`],
        ['p50 per post', `${i.on.p50Ms} ms`, `${i.off.p50Ms} ms`],
        ['p99 per post', `${i.on.p99Ms} ms`, `${i.off.p99Ms} ms`],
        [
          'applied by the relay, events/s',
          `${i.on.appliedPerSecond ?? 'unfinished'}`,
          `${i.off.appliedPerSecond ?? 'unfinished'}`,
        ],
        ...i.passes.map((p, k) => [
          `pass ${k + 1} (verify ${p.verify ? 'on' : 'off'})`,
          `${p.eventsPerSecond}/s, p99 ${p.latency.p99Ms} ms${p.failed ? `, ${p.failed} posts failed` : ''}, applied in ${p.appliedSeconds ?? '>600'} s`,
          cpu(p.cpu),
        ]),
        ['on / off', `${i.ratio.toFixed(2)}x`, ''],
      ]),
      '',
    );
  }
  out.push(
    'Targets',
    ...result.targets.map((t) => `  ${t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${t.figure}`),
  );
  return out.join('\n');
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length)));
  return rows
    .map(
      (r) =>
        '  ' +
        r
          .map((cell, col) => cell.padEnd(widths[col]))
          .join('   ')
          .trimEnd(),
    )
    .join('\n');
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cpu = (shares: Record<string, number>) =>
  Object.entries(shares)
    .map(([name, share]) => `${name} ${share.toFixed(2)}`)
    .join(', ');
const mb = (values: Record<string, number>) =>
  Object.entries(values)
    .map(([name, value]) => `${name} ${Math.round(value)}`)
    .join(', ');
