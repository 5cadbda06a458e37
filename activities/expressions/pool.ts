// The expression pool: a few runner processes that evaluate the expressions and templates of
// runs, so a runaway one hurts nobody else. Each evaluation gets a CPU deadline and a memory
// ceiling that really interrupt (the runner is killed, inside a built-in or a regular expression
// too) and teams take turns, so one team's slow evaluations cannot starve another's.
// Why processes and not worker threads: docs/decisions/016-expression-isolation.md.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../core/log.ts';
import { EVALUATION_LIMITS, ExpressionError, ExpressionLimitError, type ExpressionContext, type ExpressionLimit } from '../../workflows/graph/expressions.ts';
import type { EvaluationReply, EvaluationRequest, RunnerLimits } from './protocol.ts';

export interface ExpressionPoolOptions {
  /** Runner processes (each evaluates one request at a time). */
  processes: number;
  /** CPU time one evaluation may use. */
  cpuMs: number;
  /** Resident memory a runner may reach during one evaluation. */
  memoryMb: number;
  /** Caps on values, checked inside the evaluation (see EVALUATION_LIMITS). */
  steps?: number;
  sequenceLength?: number;
  stringLength?: number;
  outputBytes?: number;
  logger?: Logger;
}

export interface EvaluationJob {
  teamId: string;
  mode: 'expression' | 'template';
  value: unknown;
  context: ExpressionContext;
  signal?: AbortSignal;
}

/** The runner itself failed (not the expression): a retry on a fresh runner may succeed. */
export class RunnerFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunnerFailure';
  }
}

interface Pending {
  job: EvaluationJob;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

interface Runner {
  child: ChildProcess;
  ready: boolean;
  /** Killed or exited: takes no more work. */
  dead?: boolean;
  current?: { pending: Pending; id: number; cpuAtStart: number; startedAt: number; timer: NodeJS.Timeout; watch: NodeJS.Timeout };
  stderr: string;
}

const RUNNER = fileURLToPath(new URL('./runner.ts', import.meta.url));
const PAGE = 4096;
const CLOCK_TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux
const WATCH_INTERVAL_MS = 20;

/** CPU time (ms) a process used so far, from /proc; undefined where /proc is unavailable. */
function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_MS;
  } catch {
    return undefined;
  }
}

function rssBytesOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
  } catch {
    return undefined;
  }
}

export type ExpressionPool = ReturnType<typeof createExpressionPool>;

export function createExpressionPool(options: ExpressionPoolOptions) {
  const limits: RunnerLimits = {
    steps: options.steps ?? 1_000_000,
    depth: EVALUATION_LIMITS.depth,
    timeoutMs: options.cpuMs * 5,
    sequenceLength: options.sequenceLength ?? EVALUATION_LIMITS.sequenceLength,
    stringLength: options.stringLength ?? EVALUATION_LIMITS.stringLength,
    outputBytes: options.outputBytes ?? 32 * 1024 * 1024,
  };
  const heapMb = Math.max(32, Math.floor(options.memoryMb / 2));
  const runners: Runner[] = [];
  // One FIFO per team, served in turn: a team with 1,000 queued evaluations delays another
  // team's next one by at most one evaluation per runner.
  const queues = new Map<string, Pending[]>();
  const turn: string[] = [];
  let nextId = 1;
  let closed = false;
  const stats = { evaluations: 0, killed: { cpu_time: 0, memory: 0 }, restarts: 0 };

  function spawnRunner(): Runner {
    const child = fork(RUNNER, [], {
      execArgv: [`--max-old-space-size=${heapMb}`, '--max-semi-space-size=16', '--disable-warning=ExperimentalWarning', '--stack-size=2000'],
      // Nothing of the worker's environment (keys, database URLs) reaches a runner.
      env: {},
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const runner: Runner = { child, ready: false, stderr: '' };
    child.stderr?.on('data', (chunk: Buffer) => {
      runner.stderr = (runner.stderr + chunk.toString()).slice(-2_000);
    });
    child.on('message', (message: EvaluationReply | { ready: true }) => {
      if ('ready' in message) {
        runner.ready = true;
        dispatch();
        return;
      }
      settle(runner, message);
    });
    child.on('exit', (code, signal) => onExit(runner, code, signal));
    child.on('error', (error) => options.logger?.warn({ err: error.message }, 'expression runner error'));
    runners.push(runner);
    return runner;
  }

  function finish(runner: Runner) {
    const current = runner.current;
    if (!current) return undefined;
    clearTimeout(current.timer);
    clearInterval(current.watch);
    runner.current = undefined;
    return current;
  }

  function settle(runner: Runner, reply: EvaluationReply) {
    const current = finish(runner);
    if (!current || current.id !== reply.id) return;
    stats.evaluations++;
    const { pending } = current;
    if (reply.ok) pending.resolve(JSON.parse(reply.json) as unknown);
    else if (reply.limit) pending.reject(new ExpressionLimitError(reply.expression ?? describe(pending.job), reply.limit, stripLimitPrefix(reply.message)));
    else pending.reject(new ExpressionError(reply.expression ?? describe(pending.job), stripSuffix(reply.message)));
    dispatch();
  }

  /** Kills a runner over a limit; its evaluation fails naming the limit. */
  function kill(runner: Runner, limit: Extract<ExpressionLimit, 'cpu_time' | 'memory'>, detail: string) {
    const current = finish(runner);
    runner.dead = true;
    runner.child.kill('SIGKILL');
    if (!current) return;
    stats.killed[limit]++;
    options.logger?.warn({ teamId: current.pending.job.teamId, limit }, 'expression runner killed over a limit');
    current.pending.reject(new ExpressionLimitError(describe(current.pending.job), limit, detail));
  }

  function onExit(runner: Runner, code: number | null, signal: NodeJS.Signals | null) {
    runner.dead = true;
    const index = runners.indexOf(runner);
    if (index >= 0) runners.splice(index, 1);
    const current = finish(runner);
    if (current) {
      // V8 aborts a process whose heap is exhausted: that is the memory ceiling speaking.
      const outOfMemory = /heap out of memory|Reached heap limit|Allocation failed/.test(runner.stderr);
      if (outOfMemory) {
        stats.killed.memory++;
        current.pending.reject(new ExpressionLimitError(describe(current.pending.job), 'memory', `the evaluation needed more than ${options.memoryMb} MB of memory`));
      } else {
        current.pending.reject(new RunnerFailure(`the expression runner stopped (code ${code}, signal ${signal})`));
      }
    }
    if (closed) return;
    stats.restarts++;
    spawnRunner();
  }

  function start(runner: Runner, pending: Pending) {
    const id = nextId++;
    const pid = runner.child.pid;
    const cpuAtStart = cpuMsOf(pid) ?? 0;
    const startedAt = performance.now();
    const memoryBytes = options.memoryMb * 1024 * 1024;
    // The deadline counts CPU time: on a busy machine the wall clock runs ahead of it, so the
    // timer re-arms until the runner has really used its budget (or 5× it in wall time).
    const check = () => {
      const used = (cpuMsOf(pid) ?? cpuAtStart + (performance.now() - startedAt)) - cpuAtStart;
      const wall = performance.now() - startedAt;
      if (used >= options.cpuMs || wall >= options.cpuMs * 5) {
        kill(runner, 'cpu_time', `the evaluation used more than ${options.cpuMs} ms of CPU time`);
      } else if (runner.current) {
        runner.current.timer = setTimeout(check, Math.max(10, options.cpuMs - used));
      }
    };
    const watch = setInterval(() => {
      const rss = rssBytesOf(pid);
      if (rss !== undefined && rss > memoryBytes) kill(runner, 'memory', `the evaluation needed more than ${options.memoryMb} MB of memory`);
    }, WATCH_INTERVAL_MS);
    runner.current = { pending, id, cpuAtStart, startedAt, timer: setTimeout(check, options.cpuMs), watch };
    const request: EvaluationRequest = { id, mode: pending.job.mode, value: pending.job.value, context: pending.job.context, limits };
    runner.child.send(request, (error) => {
      if (error && runner.current?.id === id) {
        finish(runner);
        pending.reject(new RunnerFailure(`could not reach the expression runner: ${error.message}`));
      }
    });
  }

  function nextPending(): Pending | undefined {
    while (turn.length) {
      const teamId = turn.shift() as string;
      const queue = queues.get(teamId);
      const pending = queue?.shift();
      if (queue?.length) turn.push(teamId);
      else queues.delete(teamId);
      if (pending && !pending.job.signal?.aborted) return pending;
      if (pending) pending.reject(new RunnerFailure('cancelled while waiting for an expression runner'));
    }
    return undefined;
  }

  function dispatch() {
    for (const runner of runners) {
      if (!runner.ready || runner.dead || runner.current) continue;
      const pending = nextPending();
      if (!pending) return;
      start(runner, pending);
    }
  }

  for (let i = 0; i < Math.max(1, options.processes); i++) spawnRunner();

  return {
    /** Evaluates an expression, or renders every template in a value, in a runner. */
    evaluate(job: EvaluationJob): Promise<unknown> {
      if (closed) return Promise.reject(new RunnerFailure('the expression pool is closed'));
      return new Promise((resolve, reject) => {
        const queue = queues.get(job.teamId);
        const pending = { job, resolve, reject };
        if (queue) queue.push(pending);
        else {
          queues.set(job.teamId, [pending]);
          turn.push(job.teamId);
        }
        dispatch();
      });
    },
    stats() {
      return { ...stats, runners: runners.length, busy: runners.filter((r) => r.current).length, queued: [...queues.values()].reduce((n, q) => n + q.length, 0) };
    },
    /** Ids of the runner processes ready for work (tests check that a killed one was replaced). */
    pids(): number[] {
      return runners.flatMap((r) => (r.dead || !r.ready || r.child.pid === undefined ? [] : [r.child.pid]));
    },
    async close(): Promise<void> {
      closed = true;
      for (const queue of queues.values()) for (const pending of queue) pending.reject(new RunnerFailure('the expression pool is closed'));
      queues.clear();
      await Promise.all(
        runners.map(
          (runner) =>
            new Promise<void>((resolve) => {
              if (runner.child.exitCode !== null || runner.child.signalCode !== null) return resolve();
              runner.child.once('exit', () => resolve());
              runner.child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}

function describe(job: EvaluationJob): string {
  const text = typeof job.value === 'string' ? job.value : JSON.stringify(job.value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** ExpressionError adds " (in expression `…`)" again; keep one. */
function stripSuffix(message: string): string {
  const at = message.lastIndexOf(' (in expression `');
  return at > 0 ? message.slice(0, at) : message;
}

function stripLimitPrefix(message: string): string {
  return stripSuffix(message).replace(/^expression_limit \([a-z_]+\): /, '');
}
