// CPU time and memory of benchmarked processes, read from /proc (Linux): a process counts with
// all its descendants (PostgreSQL backends, n8n's task runner), so each figure is "what this
// service cost", whichever of its processes did the work.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

interface Stat { pid: number; ppid: number; ticks: number }

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // state ppid … utime(14) stime(15) cutime(16) cstime(17), numbered from 1 in proc(5).
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    // cutime/cstime: children that exited and were waited for (short-lived helpers) still count.
    return { pid, ppid: Number(fields[1]), ticks: (utime as number) + (stime as number) + (cutime as number) + (cstime as number) };
  } catch {
    return undefined; // gone meanwhile
  }
}

function allStats(): Stat[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map((name) => readStat(Number(name))).filter((s): s is Stat => s !== undefined);
}

/** The process and its descendants. */
function tree(root: number, stats: Stat[]): Stat[] {
  const children = new Map<number, Stat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const out: Stat[] = [];
  const walk = (pid: number) => {
    const self = stats.find((s) => s.pid === pid);
    if (self) out.push(self);
    for (const child of children.get(pid) ?? []) walk(child.pid);
  };
  walk(root);
  return out;
}

/** CPU seconds (user + system) used so far by each named process tree; `self` for this process alone. */
export function cpuSnapshot(processes: Record<string, number>): Record<string, number> {
  const stats = allStats();
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(processes)) {
    if (pid === process.pid) {
      const { user, system } = process.cpuUsage();
      out[name] = (user + system) / 1e6;
    } else {
      out[name] = tree(pid, stats).reduce((sum, s) => sum + s.ticks, 0) / TICKS_PER_SECOND;
    }
  }
  return out;
}

export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, (after[name] as number) - (before[name] ?? 0)]));
}

/** Resident memory of one process (not its children), in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kib * 1024;
}

/** Resident memory of a process and its descendants, in bytes. */
export function treeRssBytes(pid: number): number {
  return tree(pid, allStats()).reduce((sum, s) => {
    try {
      return sum + rssBytes(s.pid);
    } catch {
      return sum;
    }
  }, 0);
}

/** Busy share of the machine's CPUs since the last call (1 = every core busy), from /proc/stat. */
export function machineLoad(): () => number {
  const read = () => {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return { idle, total: cpu.reduce((a, b) => a + b, 0) };
  };
  let last = read();
  return () => {
    const now = read();
    const busy = 1 - (now.idle - last.idle) / Math.max(1, now.total - last.total);
    last = now;
    return busy;
  };
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
