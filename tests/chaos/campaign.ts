// The fault campaign (issue 11): steady load of runs whose http nodes write to a ledger, then
// SIGKILL of each part of the stack in turn, and after each recovery the checks: every accepted
// run (202) reaches a final state, none is lost or left "running", no completed node's side
// effect was made more often than its attempts, and no 5xx once the api has recovered.
// Used by `npm run chaos` (tests/chaos/chaos.ts) and, with a small load, by faults.test.ts.
import { randomUUID } from 'node:crypto';
import { Team } from '../../core/teams/entities.ts';
import { createOrm } from '../../core/db/orm.ts';
import type { TestSmtp } from '../support/smtp.ts';
import type { Ledger } from './ledger.ts';
import type { ChaosStack, Part } from './stack.ts';

export interface LoadOptions {
  /** Concurrent clients starting runs. */
  starters: number;
  /** Pause of each client between two starts (the load's pace). */
  intervalMs: number;
  /** Runs accepted in a phase before the kill, and after the recovery. */
  acceptedBefore: number;
  acceptedAfter: number;
  /** Start attempts made while the part is down before it is started again. */
  attemptsDuringOutage: number;
  /** Longest wait for the runs of a phase to end (activity heartbeat time-outs are 30 s). */
  settleTimeoutMs: number;
}

export interface FaultResult {
  fault: Part;
  accepted: number;
  succeeded: number;
  failed: number;
  /** Accepted runs the api no longer knows, or that never reached a final state. */
  lost: number;
  /** Runs whose record still says "running" after their execution ended. */
  stuck: number;
  /** Keys of completed nodes the ledger saw more often than the node's attempts. */
  duplicated: number;
  /** Keys seen more than once for a node that was retried after an attempt cut short by the kill (at-least-once, expected). */
  retriedInFlight: number;
  /** Run records the api created without answering 202 (killed mid-request, or Temporal down: the row is closed as failed), and how they ended. */
  unanswered: number;
  unansweredStatuses: string[];
  /** Completed http nodes whose call never reached the ledger. */
  missingEffects: number;
  /** 5xx answers and failed connections while the part was down, and after the recovery. */
  errorsDuringOutage: number;
  errorsAfterRecovery: number;
  /** From the restart until the api answered 2xx to /readyz and to a run start. */
  recoveryMs: number;
  /** From the restart until a run started after it succeeded. */
  firstRunMs: number;
  /** GET /login on the web app answers 200 again (undefined: the web app is not built). */
  webOk: boolean | undefined;
  notes: string[];
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
const POLL_MS = 250;
const DETAIL_CONCURRENCY = 4;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** Every request the campaign makes, with its start time: 5xx and failed connections are judged against the recovery time. */
interface Exchange {
  at: number;
  status: number;
}

export function ledgerGraph(ledgerUrl: string) {
  const call = (id: string) => ({
    id,
    type: 'http',
    config: { method: 'POST', url: `${ledgerUrl}/effects/${id}`, headers: { 'Idempotency-Key': `{{ run.id }}-${id}` }, body: { node: id, run: '{{ run.id }}' } },
  });
  return {
    nodes: [
      call('a'),
      { id: 't', type: 'transform', config: { expression: 'steps.a.output.body.seen' } },
      call('b'),
      { id: 'out', type: 'output', config: { value: { a: '{{ steps.t.output }}', b: '{{ steps.b.output.body.seen }}' } } },
    ],
    edges: [{ from: 'a', to: 't' }, { from: 't', to: 'b' }, { from: 'b', to: 'out' }],
  };
}
const EFFECT_NODES = ['a', 'b'];

export class Campaign {
  readonly exchanges: Exchange[] = [];
  private token = '';
  private teamId = '';
  private workflowId = '';
  private readonly known = new Set<string>();

  private readonly stack: ChaosStack;
  private readonly ledger: Ledger;
  private readonly smtp: TestSmtp;
  private readonly load: LoadOptions;
  private readonly log: (line: string) => void;

  constructor(stack: ChaosStack, ledger: Ledger, smtp: TestSmtp, load: LoadOptions, log: (line: string) => void = () => undefined) {
    this.stack = stack;
    this.ledger = ledger;
    this.smtp = smtp;
    this.load = load;
    this.log = log;
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const at = Date.now();
    try {
      const response = await fetch(`${this.stack.apiUrl}${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      this.exchanges.push({ at, status: response.status });
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        parsed = { text };
      }
      return { status: response.status, body: parsed };
    } catch {
      this.exchanges.push({ at, status: 0 });
      return { status: 0, body: {} };
    }
  }

  /** Registers through the API (verification link from the SMTP server), signs in, moves the team to the pro plan, saves the graph. */
  async prepare(): Promise<void> {
    const email = `chaos-${randomUUID().slice(0, 8)}@example.test`;
    const password = 'plum-orbit-cactus-7';
    const registered = await this.call('POST', '/api/v1/auth/register', { email, password, name: 'Chaos' });
    if (registered.status !== 202) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
    const link = await this.smtp.linkFor(email, '/verify-email', { timeoutMs: 120_000 });
    const verified = await this.call('POST', '/api/v1/auth/verify-email', { token: link.searchParams.get('token') });
    if (verified.status !== 200) throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`);
    const login = await this.call('POST', '/api/v1/auth/login', { email, password });
    if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
    this.token = login.body.token as string;
    const me = await this.call('GET', '/api/v1/me');
    const team = (me.body.teams as { id: string; personal: boolean }[] | undefined)?.find((t) => t.personal);
    if (!team) throw new Error(`no personal team: ${JSON.stringify(me.body)}`);
    this.teamId = team.id;
    // The free plan admits 2 concurrent runs; the load needs more room than that.
    const orm = await createOrm(this.stack.databaseUrl);
    await orm.em.fork().nativeUpdate(Team, { id: this.teamId }, { plan: 'pro' });
    await orm.close();
    const created = await this.call('POST', `/api/v1/teams/${this.teamId}/workflows`, { name: 'chaos ledger', graph: ledgerGraph(this.ledger.url) });
    if (created.status !== 201) throw new Error(`create workflow: ${created.status} ${JSON.stringify(created.body)}`);
    this.workflowId = created.body.id as string;
  }

  private async startRun(): Promise<string | undefined> {
    const answer = await this.call('POST', `/api/v1/teams/${this.teamId}/workflows/${this.workflowId}/runs`, { input: {} }, { 'Idempotency-Key': randomUUID() });
    return answer.status === 202 ? (answer.body.runId as string) : undefined;
  }

  private async runDetail(runId: string): Promise<Answer> {
    return this.call('GET', `/api/v1/teams/${this.teamId}/runs/${runId}`);
  }

  /** One fault: load, kill, outage, restart, recovery, more load, then the checks. */
  async fault(part: Part): Promise<FaultResult> {
    const notes: string[] = [];
    const accepted = new Map<string, number>();
    let attempts = 0;
    let loading = true;
    const starter = async () => {
      while (loading) {
        attempts++;
        const runId = await this.startRun();
        if (runId) accepted.set(runId, Date.now());
        await pause(this.load.intervalMs);
      }
    };
    const starters = Array.from({ length: this.load.starters }, starter);
    const exitsBefore = this.stack.unexpectedExits.length;
    try {
      return await this.faultUnderLoad(part, accepted, () => attempts, notes, exitsBefore, async () => {
        loading = false;
        await Promise.all(starters);
      });
    } finally {
      loading = false;
      await Promise.all(starters);
    }
  }

  private async faultUnderLoad(
    part: Part, accepted: Map<string, number>, attemptsMade: () => number, notes: string[], exitsBefore: number, stopLoad: () => Promise<void>,
  ): Promise<FaultResult> {

    await this.until(`${this.load.acceptedBefore} runs accepted before the kill`, () => accepted.size >= this.load.acceptedBefore, 120_000, notes);
    this.log(`${part}: ${accepted.size} runs accepted, SIGKILL`);
    const killedAt = Date.now();
    await this.stack.kill(part);
    const attemptsAtKill = attemptsMade();
    await this.until('start attempts during the outage', () => attemptsMade() - attemptsAtKill >= this.load.attemptsDuringOutage, 60_000, notes);

    const restartAt = Date.now();
    await this.stack.restart(part);
    this.log(`${part}: restarted in ${Date.now() - restartAt} ms; waiting for /readyz and a run start`);
    let probeRun: string | undefined;
    await this.until('the api to answer /readyz and a run start', async () => {
      if ((await this.call('GET', '/readyz')).status !== 200) return false;
      probeRun = await this.startRun();
      return probeRun !== undefined;
    }, 180_000, notes);
    const recoveredAt = Date.now();
    if (probeRun) accepted.set(probeRun, recoveredAt);
    let firstRunMs = NaN;
    if (probeRun) {
      const run = probeRun;
      await this.until('the first run after the restart to succeed', async () => (await this.runDetail(run)).body.status === 'succeeded', this.load.settleTimeoutMs, notes);
      firstRunMs = Date.now() - restartAt;
    }
    let webOk: boolean | undefined;
    if (this.stack.webUrl) {
      const url = `${this.stack.webUrl}/login`;
      webOk = await this.until('the web app to serve /login', async () => (await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined))?.status === 200, 60_000, notes);
    }

    const acceptedAtRecovery = accepted.size;
    await this.until(`${this.load.acceptedAfter} runs accepted after the recovery`, () => accepted.size - acceptedAtRecovery >= this.load.acceptedAfter, 120_000, notes);
    await stopLoad();
    this.log(`${part}: ${accepted.size} runs accepted; waiting for each to end`);

    const result = await this.check(part, accepted, notes);
    for (const exit of this.stack.unexpectedExits.slice(exitsBefore)) notes.push(`${exit.part} exited by itself (code ${exit.code}) and was restarted`);
    const errors = (from: number, to: number) => this.exchanges.filter((e) => e.at >= from && e.at < to && (e.status === 0 || e.status >= 500)).length;
    return {
      ...result,
      errorsDuringOutage: errors(killedAt, recoveredAt),
      errorsAfterRecovery: errors(recoveredAt, Infinity),
      recoveryMs: recoveredAt - restartAt,
      firstRunMs,
      webOk,
      notes,
    };
  }

  private async check(part: Part, accepted: Map<string, number>, notes: string[]) {
    const details = new Map<string, Record<string, unknown>>();
    const pending = new Set(accepted.keys());
    const deadline = Date.now() + this.load.settleTimeoutMs;
    while (pending.size && Date.now() < deadline) {
      // A few at a time: each detail asks Temporal and the worker (a query).
      const queue = [...pending];
      await Promise.all(Array.from({ length: DETAIL_CONCURRENCY }, async () => {
        for (let runId = queue.shift(); runId; runId = queue.shift()) {
          const answer = await this.runDetail(runId);
          if (answer.status === 200) details.set(runId, answer.body);
          if (answer.status === 200 && FINAL.has(answer.body.status as string)) pending.delete(runId);
        }
      }));
      if (pending.size) await pause(POLL_MS);
    }
    let succeeded = 0, failed = 0, lost = 0, duplicated = 0, retriedInFlight = 0, missingEffects = 0;
    for (const runId of accepted.keys()) {
      const detail = details.get(runId);
      if (!detail || pending.has(runId)) {
        lost++;
        notes.push(`run ${runId}: ${detail ? `still ${String(detail.status)}` : 'unknown to the api'}`);
        continue;
      }
      if (detail.status === 'succeeded') succeeded++;
      else {
        failed++;
        notes.push(`run ${runId} ${String(detail.status)}: ${JSON.stringify(detail.error)}`);
      }
      const nodes = detail.nodes as Record<string, { status: string; attempts: number }>;
      for (const id of EFFECT_NODES) {
        const node = nodes[id];
        if (node?.status !== 'succeeded') continue;
        const seen = this.ledger.count(`${runId}-${id}`);
        if (seen === 0) {
          missingEffects++;
          notes.push(`run ${runId} node ${id}: succeeded but the ledger never saw its call`);
        } else if (seen > node.attempts) {
          duplicated++;
          notes.push(`run ${runId} node ${id}: ${seen} calls for ${node.attempts} attempt(s)`);
        } else if (seen > 1) retriedInFlight++;
      }
    }
    // The run list (the database's records): nothing of this workflow may stay "running", including
    // runs the api created but whose 202 was lost with a killed process.
    const stuckIds = new Set<string>();
    const listDeadline = Date.now() + Math.max(90_000, deadline - Date.now());
    for (;;) {
      stuckIds.clear();
      const listed = await this.call('GET', `/api/v1/teams/${this.teamId}/runs?workflowId=${this.workflowId}&status=running&limit=100`);
      for (const item of (listed.body.items as { runId: string }[] | undefined) ?? []) stuckIds.add(item.runId);
      if (listed.status === 200 && stuckIds.size === 0) break;
      if (Date.now() > listDeadline) break;
      await pause(POLL_MS);
    }
    for (const id of stuckIds) notes.push(`run ${id}: its record still says running`);
    const unansweredStatuses: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const listed = await this.call('GET', `/api/v1/teams/${this.teamId}/runs?workflowId=${this.workflowId}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      for (const item of (listed.body.items as { runId: string; status: string }[] | undefined) ?? []) {
        if (this.known.has(item.runId)) continue;
        this.known.add(item.runId);
        if (accepted.has(item.runId)) continue;
        unansweredStatuses.push(item.status);
        notes.push(`run ${item.runId} (created, answered without 202): ${item.status}`);
      }
      cursor = (listed.body.nextCursor as string | null | undefined) ?? undefined;
      if (!cursor) break;
    }
    void part;
    return { fault: part, accepted: accepted.size, succeeded, failed, lost, stuck: stuckIds.size, duplicated, retriedInFlight, missingEffects, unanswered: unansweredStatuses.length, unansweredStatuses };
  }

  /** Polls until the condition holds; on time-out notes it and goes on (the checks then show what is missing). */
  private async until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, notes: string[]): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await condition()) return true;
      if (Date.now() > deadline) {
        notes.push(`gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`);
        return false;
      }
      await pause(POLL_MS);
    }
  }
}

/** The campaign's result as a plain-text table (the same in the terminal and in docs/reliability.md). */
export function formatTable(results: FaultResult[]): string {
  const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '—');
  const rows = [
    ['fault (SIGKILL)', 'runs accepted', 'finished', 'lost', 'stuck running', 'duplicated side effects', 'retried in flight', 'starts without 202', '5xx during outage', '5xx after recovery', 'recovery time', 'first run done', 'web'],
    ...results.map((r) => [
      r.fault, String(r.accepted), `${r.succeeded + r.failed} (${r.failed} failed)`, String(r.lost), String(r.stuck), String(r.duplicated + r.missingEffects),
      String(r.retriedInFlight), r.unanswered ? `${r.unanswered} (${[...new Set(r.unansweredStatuses)].join(', ')})` : '0', String(r.errorsDuringOutage), String(r.errorsAfterRecovery), seconds(r.recoveryMs), seconds(r.firstRunMs),
      r.webOk === undefined ? 'not built' : r.webOk ? '200' : 'FAILED',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** True when a fault broke one of the campaign's promises. */
export function violations(result: FaultResult): string[] {
  const found: string[] = [];
  if (result.accepted === 0) found.push('no run was accepted');
  if (result.lost) found.push(`${result.lost} run(s) lost`);
  if (result.failed) found.push(`${result.failed} run(s) failed`);
  if (result.stuck) found.push(`${result.stuck} run(s) stuck running`);
  if (result.duplicated) found.push(`${result.duplicated} duplicated side effect(s)`);
  if (result.missingEffects) found.push(`${result.missingEffects} missing side effect(s)`);
  if (result.errorsAfterRecovery) found.push(`${result.errorsAfterRecovery} 5xx/failed request(s) after the recovery`);
  if (result.webOk === false) found.push('the web app did not serve /login again');
  return found;
}
