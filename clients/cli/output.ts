// What the CLI prints: short lines on stdout for results, errors on stderr with the api's code
// and every problem, and exit codes scripts can rely on (docs/cli.md).
import { TrellisProblem } from '../typescript/index.ts';

/** A mistake in the command line itself: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Rewrites the current line (a progress display); only when stdout is a terminal. */
  status?: (line: string) => void;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  ...(process.stdout.isTTY ? { status: (line: string) => process.stdout.write(`\r\x1b[2K${line}`) } : {}),
};

/** Prints an error the way a user can act on it; returns the exit code. */
export function report(error: unknown, io: Io): number {
  if (error instanceof UsageError) {
    io.err(`trellis: ${error.message}`);
    return EXIT.usage;
  }
  if (error instanceof TrellisProblem) {
    io.err(`trellis: ${error.status} ${error.code}: ${error.detail ?? error.title ?? ''}`);
    for (const problem of error.problems) io.err(`  - ${problem.path || '(request)'}: ${problem.message}`);
    if (error.retryAfter !== undefined) io.err(`  retry after ${error.retryAfter} s`);
    return EXIT.failed;
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = (error as { cause?: { message?: string } }).cause?.message;
    io.err(`trellis: cannot reach the instance${cause ? ` (${cause})` : ''}; check the url given to trellis login`);
    return EXIT.failed;
  }
  io.err(`trellis: ${(error as Error)?.message ?? String(error)}`);
  return EXIT.failed;
}

/** A value in one line, cut to `max` characters. */
export function summarize(value: unknown, max = 80): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Left-aligned columns. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

export function duration(fromIso: string | undefined | null, toIso: string | undefined | null): string {
  if (!fromIso || !toIso) return '';
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  if (!Number.isFinite(ms) || ms < 0) return '';
  return ms < 1_000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1_000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}
