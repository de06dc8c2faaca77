/** `npm run bench -- --n 2000 --skip-capped`: what one run measures, and how much of it. */
export interface BenchArgs {
  /** Emails sent through Mailroom (one campaign), and by the baseline, in each sending run. */
  n: number;
  /** The capped run's provider limit, mail/send requests per second. */
  cap: number;
  /** Recipients of the campaign whose acceptance is timed against a plain insertMany. */
  campaignSize: number;
  /** Single POST /v1/emails whose accept latency is measured, and how many are in flight at once. */
  singles: number;
  singlesConcurrency: number;
  /** Requests the baseline keeps in flight: the send worker's activity slots (the SDK's default, 100). */
  concurrency: number;
  /** Events posted per webhook ingest pass, in batches of `ingestBatch`, `ingestConcurrency` at once. */
  ingestEvents: number;
  ingestBatch: number;
  ingestConcurrency: number;
  /** Time box of each mode's ingest, split over two passes. */
  ingestSeconds: number;
  /** A sending run stops following its campaign after this long and reports what got done. */
  maxSeconds: number;
  /** Writes CPU profiles of the API and the worker into the run's directory. */
  profile: boolean;
  skip: { accept: boolean; uncapped: boolean; capped: boolean; ingest: boolean };
}

const DEFAULTS: BenchArgs = {
  n: 10_000,
  cap: 150,
  campaignSize: 100_000,
  singles: 1_000,
  singlesConcurrency: 8,
  concurrency: 100,
  ingestEvents: 20_000,
  ingestBatch: 100,
  ingestConcurrency: 4,
  ingestSeconds: 40,
  maxSeconds: 180,
  profile: false,
  skip: { accept: false, uncapped: false, capped: false, ingest: false },
};

const NUMBERS: Record<string, keyof BenchArgs> = {
  '--n': 'n',
  '--cap': 'cap',
  '--campaign-size': 'campaignSize',
  '--singles': 'singles',
  '--singles-concurrency': 'singlesConcurrency',
  '--concurrency': 'concurrency',
  '--ingest-events': 'ingestEvents',
  '--ingest-batch': 'ingestBatch',
  '--ingest-concurrency': 'ingestConcurrency',
  '--ingest-seconds': 'ingestSeconds',
  '--max-seconds': 'maxSeconds',
};

export const USAGE = `npm run bench -- [options]
  --n <count>                  emails per sending run, Mailroom and baseline each (${DEFAULTS.n})
  --cap <per second>           the capped run's mail/send limit at the sandbox (${DEFAULTS.cap})
  --campaign-size <count>      recipients of the campaign timed against insertMany (${DEFAULTS.campaignSize})
  --singles <count>            single POST /v1/emails timed for accept latency (${DEFAULTS.singles})
  --singles-concurrency <n>    of them in flight at once (${DEFAULTS.singlesConcurrency})
  --concurrency <n>            baseline requests in flight: the worker's send slots (${DEFAULTS.concurrency})
  --ingest-events <count>      webhook events per ingest pass (${DEFAULTS.ingestEvents})
  --ingest-batch <count>       events per webhook post (${DEFAULTS.ingestBatch})
  --ingest-concurrency <n>     webhook posts in flight at once (${DEFAULTS.ingestConcurrency})
  --ingest-seconds <s>         time box per mode, over two passes (${DEFAULTS.ingestSeconds})
  --max-seconds <s>            stop following a campaign after this long, report the share done (${DEFAULTS.maxSeconds})
  --profile                    CPU profiles (--cpu-prof) of the API and the worker
  --skip-accept --skip-uncapped --skip-capped --skip-ingest   leave a part out (without uncapped, ingest runs on a fresh database)`;

export function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { ...DEFAULTS, skip: { ...DEFAULTS.skip } };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const key = NUMBERS[flag];
    if (key) {
      const raw = inline ?? argv[++i];
      const value = Number(raw);
      const least = key === 'singles' ? 0 : 1;
      if (!Number.isInteger(value) || value < least)
        throw new Error(`${flag} needs a whole number of at least ${least}, got "${raw}"`);
      (args as unknown as Record<string, number>)[key] = value;
    } else if (flag === '--profile') {
      args.profile = true;
    } else if (flag.startsWith('--skip-') && flag.slice(7) in args.skip) {
      args.skip[flag.slice(7) as keyof BenchArgs['skip']] = true;
    } else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else {
      throw new Error(`unknown option ${argv[i]}\n${USAGE}`);
    }
  }
  return args;
}
