// infra/monitoring: the Prometheus config and rules pass promtool's checks, the alerts pass their
// unit tests (`promtool test rules`), and every series the rules and the Grafana dashboard read is
// one the api or the worker exports (or a recording rule, or Prometheus's own `up`), so a renamed
// metric cannot leave a silent alert or an empty panel behind.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMetrics } from '../../api/metrics.ts';
import { createOrm, type Orm } from '../../core/db/orm.ts';
import { createWorkerMetrics } from '../../worker/metrics.ts';
import { tempDir } from '../support/env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MONITORING = join(ROOT, 'infra', 'monitoring');
const RULE_FILES = ['recording.yml', 'alerts.yml'].map((name) => join(MONITORING, 'rules', name));

/** promtool from .tools/bin (the bootstrap puts it there) or PATH. */
function promtool(args: string[], cwd = ROOT): { status: number | null; output: string } {
  const local = join(ROOT, '.tools', 'bin', 'promtool');
  const command = existsSync(local) ? local : 'promtool';
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw new Error(`promtool could not run (${result.error.message}): \`npm run setup -- --for-tests\` installs it`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The `expr:` values of a rules file (inline, or a `|` block), with the `record:` names. */
function parseRules(text: string): { exprs: string[]; records: string[] } {
  const lines = text.split('\n');
  const exprs: string[] = [];
  const records: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const record = /^\s*-?\s*record:\s*(\S+)/.exec(line);
    if (record) records.push(record[1] as string);
    const expr = /^(\s*)-?\s*expr:\s*(.*)$/.exec(line);
    if (!expr) continue;
    const inline = (expr[2] as string).trim();
    if (inline !== '|' && inline !== '>') {
      exprs.push(inline);
      continue;
    }
    const indent = (expr[1] as string).length;
    const block: string[] = [];
    while (i + 1 < lines.length && ((lines[i + 1] as string).trim() === '' || /^\s*/.exec(lines[i + 1] as string)![0].length > indent)) block.push((lines[++i] as string).trim());
    exprs.push(block.join(' ').trim());
  }
  return { exprs, records };
}

const KEYWORDS = new Set(['by', 'without', 'and', 'or', 'unless', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan']);

/**
 * Metric names an expression reads: what is left once strings, label matchers, grouping clauses,
 * durations, numbers, function names and keywords are taken out.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b\d+(\.\d+)?([smhdwy]|ms)?\b/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice((match.index ?? 0) + match[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** Series names the api and the worker export (histograms with their _bucket, _sum, _count). */
async function exportedNames(orm: Orm): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [createMetrics({ orm }).registry, createWorkerMetrics().registry]) {
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    }
  }
  return names;
}

/** The Temporal SDK's metrics are named in its native library; Prometheus adds the `temporal_` prefix. */
function sdkExports(name: string): boolean {
  const releases = join(ROOT, 'node_modules', '@temporalio', 'core-bridge', 'releases');
  const library = readdirSync(releases).map((dir) => join(releases, dir, 'index.node')).find(existsSync);
  return library !== undefined && readFileSync(library).includes(name.replace(/^temporal_/, ''));
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(join(MONITORING, 'grafana', 'trellis.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}

describe('infra/monitoring', () => {
  it('passes promtool check config, with the rule files it names', () => {
    // The scrape token is mounted beside the config in a deployment; a placeholder stands in here.
    const dir = mkdtempSync(join(tmpdir(), 'trellis-monitoring-'));
    try {
      cpSync(MONITORING, dir, { recursive: true });
      mkdirSync(join(dir, 'secrets'), { recursive: true });
      writeFileSync(join(dir, 'secrets', 'metrics-token'), 'a-placeholder-scrape-token');
      const result = promtool(['check', 'config', join(dir, 'prometheus.yml')]);
      expect(result.output).toContain('is valid prometheus config file syntax');
      expect(result.output).toMatch(/SUCCESS: 2 rule files found/);
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes promtool check rules', () => {
    const result = promtool(['check', 'rules', ...RULE_FILES]);
    expect(result.status).toBe(0);
    expect(result.output).not.toContain('FAILED');
  });

  it('alerts pass their unit tests (promtool test rules)', () => {
    const tests = readdirSync(join(MONITORING, 'tests')).filter((name) => name.endsWith('.yml'));
    expect(tests.length).toBeGreaterThan(0);
    const result = promtool(['test', 'rules', ...tests.map((name) => join('tests', name))], MONITORING);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('promtool test rules fails when an alert stops firing (the unit tests can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-monitoring-'));
    try {
      cpSync(MONITORING, dir, { recursive: true });
      const alerts = join(dir, 'rules', 'alerts.yml');
      writeFileSync(alerts, readFileSync(alerts, 'utf8').replace('max(trellis_queue_oldest_seconds) > 600', 'max(trellis_queue_oldest_seconds) > 60000'));
      const result = promtool(['test', 'rules', join('tests', 'alerts.test.yml')], dir);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain('TrellisQueuedRunWaiting');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('series', () => {
    let orm: Orm;
    let exported: Set<string>;
    const rules = RULE_FILES.map((file) => parseRules(readFileSync(file, 'utf8')));
    const recorded = new Set(rules.flatMap((r) => r.records));

    beforeAll(async () => {
      orm = await createOrm(`sqlite:${join(tempDir('monitoring'), 'app.sqlite')}`);
      exported = await exportedNames(orm);
    });

    afterAll(async () => {
      await orm.close();
    });

    const unknown = (exprs: string[]) =>
      exprs.flatMap((expr) => metricNames(expr).filter((name) => !(exported.has(name) || recorded.has(name) || name === 'up' || (name.startsWith('temporal_') && sdkExports(name)))).map((name) => `${name} in ${expr}`));

    it('the exported names include every metric of docs/api.md', () => {
      const documented = /Names: (.*)\./.exec(readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8'))?.[1]?.match(/trellis_[a-z_]+/g) ?? [];
      expect(documented.length).toBeGreaterThanOrEqual(11);
      expect(documented.filter((name) => !exported.has(name))).toEqual([]);
    });

    it('every series the rules read is exported or recorded', () => {
      const exprs = rules.flatMap((r) => r.exprs);
      expect(exprs.length).toBeGreaterThan(15);
      expect(unknown(exprs)).toEqual([]);
    });

    it('every series the Grafana dashboard reads is exported or recorded, in valid PromQL', () => {
      const exprs = dashboardExprs();
      expect(exprs.length).toBeGreaterThan(15);
      expect(unknown(exprs)).toEqual([]);
      // promtool parses each expression (as a recording rule) and rejects bad PromQL.
      const dir = mkdtempSync(join(tmpdir(), 'trellis-dashboard-'));
      try {
        const file = join(dir, 'dashboard.rules.yml');
        writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${exprs.map((expr, i) => `      - record: dashboard:panel_${i}\n        expr: ${JSON.stringify(expr)}\n`).join('')}`);
        const result = promtool(['check', 'rules', file]);
        expect(result.output).not.toContain('FAILED');
        expect(result.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the name check catches a misspelt metric', () => {
      expect(metricNames('sum by (status) (rate(trellis_runs_finished_total{status="failed"}[5m])) / ignoring(x) trellis:ai_cost_usd:increase1h > 20')).toEqual([
        'trellis_runs_finished_total',
        'trellis:ai_cost_usd:increase1h',
      ]);
      expect(unknown(['rate(trellis_run_finished_total[5m])', 'temporal_no_such_metric_anywhere'])).toHaveLength(2);
    });
  });
});
