/**
 * The reports side of the SQL state (core/state-store.ts `StateReports`): plan verifications without a job, dry-run
 * reports, and the listing `ferry reports` shows. The store delegates here; both share one driver.
 */
import type { DryRunReportRecord, PlanVerifyResultRecord, PlanVerifyRun, StoredReportSummary } from '../../core/state-store.js';
import { newJobId } from '../ids.js';
import { toJson } from '../records.js';
import type { SqlDriver } from './driver.js';

/** What the reports need of the store: its driver and clock. */
export interface SqlAccess {
  readonly db: SqlDriver;
  now(): number;
  iso(ms?: number): string;
}

type VerifyRow = { stream: string; verifier: string; outcome: string; report: string; at: string };

/** Blockers and warnings among a dry-run report's findings, and its streams (read from its JSON). */
function dryRunCounts(json: string): { blockers: number; warnings: number; streams: number } {
  const r = JSON.parse(json) as { findings?: { severity?: unknown }[]; streams?: unknown[] };
  const findings = Array.isArray(r.findings) ? r.findings : [];
  return {
    blockers: findings.filter((f) => f?.severity === 'blocker').length,
    warnings: findings.filter((f) => f?.severity === 'warning').length,
    streams: Array.isArray(r.streams) ? r.streams.length : 0,
  };
}

export class SqlReports {
  constructor(private readonly s: SqlAccess) {}

  // ---- plan verifications (no job) ------------------------------------------------------------------------------

  /** A new id for one `ferry verify PLAN` run: `vr-` + a job-style id. */
  async newPlanVerifyRunId(): Promise<string> {
    return `vr-${newJobId(this.s.now())}`;
  }

  /** One result of `ferry verify PLAN` (a plan verified without a job), under its run. */
  async savePlanVerifyResult(run: PlanVerifyRun, result: { stream: string; verifier: string; outcome: string; report: unknown }): Promise<void> {
    await this.s.db.tx('save plan verify result', (q) =>
      q.run(
        'INSERT INTO plan_verify_results (run_id, plan_name, plan_hash, plan_path, stream, verifier, outcome, report, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [run.runId, run.planName, run.planHash, run.planPath ?? null, result.stream, result.verifier, result.outcome, toJson(result.report), this.s.iso()],
      ),
    );
  }

  /** Results of plan verifications, oldest first: of one plan, or of one run. */
  async planVerifyResults(filter: { planName?: string; runId?: string } = {}): Promise<PlanVerifyResultRecord[]> {
    return this.s.db.read('read plan verify results', async (q) => {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.planName !== undefined) {
        where.push('plan_name = ?');
        params.push(filter.planName);
      }
      if (filter.runId !== undefined) {
        where.push('run_id = ?');
        params.push(filter.runId);
      }
      const rows = await q.all<{ run_id: string; plan_name: string; plan_hash: string; plan_path: string | null } & VerifyRow>(
        `SELECT run_id, plan_name, plan_hash, plan_path, stream, verifier, outcome, report, at FROM plan_verify_results ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id`,
        params,
      );
      return rows.map((r) => ({
        runId: r.run_id,
        planName: r.plan_name,
        planHash: r.plan_hash,
        ...(r.plan_path !== null ? { planPath: r.plan_path } : {}),
        stream: r.stream,
        verifier: r.verifier,
        outcome: r.outcome,
        report: JSON.parse(r.report) as unknown,
        at: r.at,
      }));
    });
  }

  // ---- dry runs -------------------------------------------------------------------------------------------------

  /**
   * Record one `ferry plan dry-run` report (the only row a dry run writes: no job). The report is stored as JSON as
   * given; the caller keeps secrets out of it. Returns the row's id (`dr-` + a job-style id).
   */
  async saveDryRunReport(input: { planName: string; planHash: string; verdict: 'ready' | 'blocked'; report: unknown }): Promise<DryRunReportRecord> {
    return this.s.db.tx('save dry-run report', async (q) => {
      const createdAt = this.s.iso();
      for (let attempt = 0; ; attempt++) {
        const id = `dr-${newJobId(this.s.now())}`;
        const taken = await q.get('SELECT 1 AS one FROM dry_run_reports WHERE id = ?', [id]);
        if (taken && attempt < 5) continue;
        await q.run('INSERT INTO dry_run_reports (id, plan_name, plan_hash, created_at, verdict, report_json) VALUES (?, ?, ?, ?, ?, ?)', [
          id,
          input.planName,
          input.planHash,
          createdAt,
          input.verdict,
          toJson(input.report),
        ]);
        return { id, planName: input.planName, planHash: input.planHash, createdAt, verdict: input.verdict };
      }
    });
  }

  /** Dry-run reports, newest first (without their JSON), optionally of one plan. */
  async listDryRunReports(opts: { planName?: string; limit?: number } = {}): Promise<DryRunReportRecord[]> {
    return this.s.db.read('list dry-run reports', async (q) => {
      const where = opts.planName !== undefined ? 'WHERE plan_name = ?' : '';
      const params: unknown[] = opts.planName !== undefined ? [opts.planName] : [];
      params.push(Math.max(1, Math.floor(opts.limit ?? 1000)));
      const rows = await q.all<{ id: string; plan_name: string; plan_hash: string; created_at: string; verdict: 'ready' | 'blocked' }>(
        `SELECT id, plan_name, plan_hash, created_at, verdict FROM dry_run_reports ${where} ORDER BY created_at DESC, id DESC LIMIT ?`,
        params,
      );
      return rows.map((r) => ({ id: r.id, planName: r.plan_name, planHash: r.plan_hash, createdAt: r.created_at, verdict: r.verdict }));
    });
  }

  /** One stored dry-run report with its JSON, or undefined. */
  async getDryRunReport(id: string): Promise<(DryRunReportRecord & { report: unknown }) | undefined> {
    return this.s.db.read('read dry-run report', async (q) => {
      const r = await q.get<{ id: string; plan_name: string; plan_hash: string; created_at: string; verdict: 'ready' | 'blocked'; report_json: string }>(
        'SELECT id, plan_name, plan_hash, created_at, verdict, report_json FROM dry_run_reports WHERE id = ?',
        [id],
      );
      if (!r) return undefined;
      return { id: r.id, planName: r.plan_name, planHash: r.plan_hash, createdAt: r.created_at, verdict: r.verdict, report: JSON.parse(r.report_json) as unknown };
    });
  }

  // ---- stored reports (ferry reports) ---------------------------------------------------------------------------

  /**
   * Dry runs, plan verification runs and job verifications in one list, newest first (ties: id descending), so
   * `--limit` cuts the merged list rather than each kind. The outcome of a verification combines its results as
   * `overallOutcome` does (differ, else inconclusive, else match). A dry run's counts come from its JSON, read for
   * the rows listed only.
   */
  async listStoredReports(opts: { planName?: string; kind?: 'dry-run' | 'verify'; limit?: number } = {}): Promise<StoredReportSummary[]> {
    return this.s.db.read('list stored reports', async (q) => {
      const has = (o: string): string => `sum(CASE WHEN outcome = '${o}' THEN 1 ELSE 0 END) > 0`;
      const combined = `CASE WHEN ${has('differ')} THEN 'differ' WHEN ${has('inconclusive')} THEN 'inconclusive' ELSE 'match' END`;
      const parts: string[] = [];
      if (opts.kind === undefined || opts.kind === 'dry-run') {
        parts.push(`SELECT id, 'dry-run' AS kind, CAST(NULL AS TEXT) AS job_id, plan_name, created_at AS at, verdict AS outcome,
            0 AS streams, CAST(NULL AS INTEGER) AS checks
          FROM dry_run_reports`);
      }
      if (opts.kind === undefined || opts.kind === 'verify') {
        parts.push(`SELECT run_id AS id, 'verify' AS kind, CAST(NULL AS TEXT) AS job_id, min(plan_name) AS plan_name, max(at) AS at, ${combined} AS outcome,
            count(DISTINCT stream) AS streams, count(*) AS checks
          FROM plan_verify_results GROUP BY run_id`);
        // A job's current state: the newest row of each (stream, verifier), as a re-verification replaces it.
        parts.push(`SELECT l.job_id AS id, 'verify' AS kind, l.job_id AS job_id, j.plan_name AS plan_name, max(l.at) AS at, ${combined} AS outcome,
            count(DISTINCT l.stream) AS streams, count(*) AS checks
          FROM (SELECT job_id, stream, outcome, at,
                  row_number() OVER (PARTITION BY job_id, stream, verifier ORDER BY id DESC) AS rn
                FROM verify_results) l
          JOIN jobs j ON j.id = l.job_id
          WHERE l.rn = 1 GROUP BY l.job_id, j.plan_name`);
      }
      const params: unknown[] = [];
      let where = '';
      if (opts.planName !== undefined) {
        where = 'WHERE plan_name = ?';
        params.push(opts.planName);
      }
      params.push(Math.max(1, Math.floor(opts.limit ?? 1000)));
      const rows = await q.all<{ id: string; kind: 'dry-run' | 'verify'; job_id: string | null; plan_name: string; at: string; outcome: string; streams: number; checks: number | null }>(
        `SELECT * FROM (${parts.join('\n UNION ALL \n')}) AS reports ${where} ORDER BY at DESC, id DESC LIMIT ?`,
        params,
      );
      const out: StoredReportSummary[] = [];
      for (const r of rows) {
        const base = { id: r.id, kind: r.kind, ...(r.job_id !== null ? { jobId: r.job_id } : {}), planName: r.plan_name, at: r.at, outcome: r.outcome };
        if (r.kind === 'dry-run') {
          const json = await q.get<{ report_json: string }>('SELECT report_json FROM dry_run_reports WHERE id = ?', [r.id]);
          out.push({ ...base, ...dryRunCounts(json?.report_json ?? '{}') });
        } else {
          out.push({ ...base, streams: Number(r.streams), ...(r.checks !== null ? { checks: Number(r.checks) } : {}) });
        }
      }
      return out;
    });
  }

  /** A job's latest verify result of each stream and verifier (what `ferry status` combines), oldest first. */
  async latestVerifyResults(jobId: string): Promise<{ stream: string; verifier: string; outcome: string; report: unknown; at: string }[]> {
    return this.s.db.read('read latest verify results', async (q) =>
      (
        await q.all<VerifyRow>(
          `SELECT stream, verifier, outcome, report, at FROM verify_results v
           WHERE job_id = ? AND id = (SELECT max(id) FROM verify_results w WHERE w.job_id = v.job_id AND w.stream = v.stream AND w.verifier = v.verifier)
           ORDER BY id`,
          [jobId],
        )
      ).map((r) => ({ ...r, report: JSON.parse(r.report) as unknown })),
    );
  }
}
