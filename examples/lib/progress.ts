// A one-line progress bar: redrawn in place on a terminal, printed every so often elsewhere
// (CI logs, pipes), so a log never fills with carriage returns.

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export class Progress {
  private readonly tty: boolean;
  private lastPrint = 0;
  private readonly start: number;
  private readonly startStep: number;

  constructor(
    private readonly total: number,
    startStep = 0,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly everySeconds = 5,
  ) {
    this.tty = Boolean(out.isTTY);
    this.start = performance.now();
    this.startStep = startStep;
  }

  update(step: number, fields: Record<string, string>): void {
    const now = performance.now();
    const elapsed = (now - this.start) / 1000;
    const rate = (step - this.startStep) / Math.max(elapsed, 1e-9);
    const eta = (this.total - step) / rate;
    const width = 24;
    const filled = Math.round((width * step) / this.total);
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join("  ");
    const line = `step ${String(step).padStart(String(this.total).length)}/${this.total} ${bar} ${extra}  ${rate.toFixed(2)} steps/s  ETA ${formatDuration(eta)}`;
    if (this.tty) this.out.write(`\r${line}\x1b[K`);
    else if (now - this.lastPrint > this.everySeconds * 1000 || step === this.total) {
      this.out.write(line + "\n");
      this.lastPrint = now;
    }
  }

  /** Prints a message on its own line without tearing the bar. */
  log(message: string): void {
    this.out.write(this.tty ? `\r\x1b[K${message}\n` : message + "\n");
  }

  done(): void {
    if (this.tty) this.out.write("\n");
  }
}

/** A stream that drops what is written to it: the progress bar of a quiet run. */
export function devNull(): NodeJS.WriteStream {
  return { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
}
