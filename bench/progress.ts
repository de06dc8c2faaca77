/**
 * One progress bar on stderr for the phase running now: redrawn in place on a terminal, a line every
 * few seconds otherwise (CI logs, `2> file`), so stdout keeps only the report.
 */
const WIDTH = 28;
const TTY_EVERY_MS = 200;
const LOG_EVERY_MS = 5_000;

export class Progress {
  private readonly started = Date.now();
  private drawnAt = 0;
  private last = '';

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, detail = ''): void {
    const now = Date.now();
    const every = process.stderr.isTTY ? TTY_EVERY_MS : LOG_EVERY_MS;
    if (now - this.drawnAt < every && done < this.total) return;
    this.drawnAt = now;
    this.draw(done, detail);
  }

  /** The last state, kept on screen. */
  finish(done: number, detail = ''): void {
    this.draw(done, detail);
    if (process.stderr.isTTY) process.stderr.write('\n');
  }

  private draw(done: number, detail: string): void {
    const share = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const filled = Math.round(share * WIDTH);
    const seconds = ((Date.now() - this.started) / 1000).toFixed(0);
    const line =
      `${this.label.padEnd(30)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ` +
      `${String(Math.floor(share * 100)).padStart(3)}% ${done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} ` +
      `${seconds}s${detail ? `  ${detail}` : ''}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(this.last.length)}`);
    else process.stderr.write(`${line}\n`);
    this.last = line;
  }
}

/** A line between bars, on stderr like them. */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}
