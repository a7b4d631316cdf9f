/**
 * Schedule slots in the SQL state (SQLite or the shared PostgreSQL one): the (job, slot) primary key is the
 * exactly-once guarantee — an INSERT that finds the row taken changes nothing — and a lease (token + expiry, renewed
 * while the run lives) lets a later tick take over the slot of a taker that died, never one that is alive.
 */
import { randomBytes } from 'node:crypto';
import type { ScheduleSlots, SlotLease, SlotRecord, SlotStatus } from '../../core/schedule-store.js';
import { redact } from '../../errors.js';
import type { SqlDriver } from './driver.js';

interface SlotRow {
  job: string;
  slot: string;
  status: SlotStatus;
  attempts: number | string;
  holder: string | null;
  token: string | null;
  expires_at: number | string | null;
  started_at: string | null;
  finished_at: string | null;
  job_id: string | null;
  detail: string | null;
}

function toRecord(r: SlotRow): SlotRecord {
  return {
    job: r.job,
    slot: r.slot,
    status: r.status,
    attempts: Number(r.attempts),
    holder: r.holder ?? undefined,
    startedAt: r.started_at ?? undefined,
    finishedAt: r.finished_at ?? undefined,
    jobId: r.job_id ?? undefined,
    detail: r.detail ?? undefined,
  };
}

export class SqlScheduleSlots implements ScheduleSlots {
  constructor(
    private readonly db: SqlDriver,
    private readonly now: () => number,
  ) {}

  async claim(job: string, slot: string, holder: string, ttlMs: number): Promise<{ outcome: 'claimed'; lease: SlotLease } | { outcome: 'taken'; record: SlotRecord }> {
    const token = randomBytes(12).toString('hex');
    return this.db.tx('claim a schedule slot', async (q) => {
      const now = this.now();
      const at = new Date(now).toISOString();
      const inserted = await q.run(
        `INSERT INTO schedule_slots (job, slot, status, attempts, holder, token, expires_at, started_at)
         VALUES (?, ?, 'running', 1, ?, ?, ?, ?) ON CONFLICT (job, slot) DO NOTHING`,
        [job, slot, holder, token, now + ttlMs, at],
      );
      if (inserted.changes === 1) return { outcome: 'claimed' as const, lease: { job, slot, token, attempt: 1 } };
      const row = (await q.get<SlotRow>(`SELECT * FROM schedule_slots WHERE job = ? AND slot = ?${this.db.forUpdate}`, [job, slot]))!;
      if (row.status === 'running' && Number(row.expires_at ?? 0) < now) {
        // The taker died (its lease lapsed without a renewal): this tick takes the slot over.
        const attempt = Number(row.attempts) + 1;
        await q.run('UPDATE schedule_slots SET attempts = ?, holder = ?, token = ?, expires_at = ?, started_at = ? WHERE job = ? AND slot = ?', [
          attempt,
          holder,
          token,
          now + ttlMs,
          at,
          job,
          slot,
        ]);
        return { outcome: 'claimed' as const, lease: { job, slot, token, attempt } };
      }
      return { outcome: 'taken' as const, record: toRecord(row) };
    });
  }

  async renew(lease: SlotLease, ttlMs: number): Promise<boolean> {
    return this.db.tx('renew a schedule slot', async (q) => {
      const r = await q.run("UPDATE schedule_slots SET expires_at = ? WHERE job = ? AND slot = ? AND token = ? AND status = 'running'", [this.now() + ttlMs, lease.job, lease.slot, lease.token]);
      return r.changes === 1;
    });
  }

  async finish(lease: SlotLease, status: 'succeeded' | 'failed', detail?: string, jobId?: string): Promise<void> {
    await this.db.tx('finish a schedule slot', async (q) => {
      await q.run(
        `UPDATE schedule_slots SET status = ?, finished_at = ?, detail = ?, job_id = coalesce(?, job_id), expires_at = NULL
         WHERE job = ? AND slot = ? AND token = ?`,
        [status, new Date(this.now()).toISOString(), detail === undefined ? null : redact(detail), jobId ?? null, lease.job, lease.slot, lease.token],
      );
    });
  }

  async setJobId(lease: SlotLease, jobId: string): Promise<void> {
    await this.db.tx('record a slot\'s job', async (q) => {
      await q.run('UPDATE schedule_slots SET job_id = ? WHERE job = ? AND slot = ? AND token = ?', [jobId, lease.job, lease.slot, lease.token]);
    });
  }

  async abandon(job: string, slot: string, detail: string): Promise<boolean> {
    return this.db.tx('abandon a schedule slot', async (q) => {
      const r = await q.run(
        "UPDATE schedule_slots SET status = 'failed', finished_at = ?, detail = ?, expires_at = NULL WHERE job = ? AND slot = ? AND status = 'running' AND expires_at < ?",
        [new Date(this.now()).toISOString(), redact(detail), job, slot, this.now()],
      );
      return r.changes === 1;
    });
  }

  async note(job: string, slot: string, status: 'missed' | 'skipped', detail: string): Promise<boolean> {
    return this.db.tx('record a slot that did not run', async (q) => {
      const at = new Date(this.now()).toISOString();
      const r = await q.run(
        `INSERT INTO schedule_slots (job, slot, status, attempts, finished_at, detail) VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (job, slot) DO NOTHING`,
        [job, slot, status, at, redact(detail)],
      );
      return r.changes === 1;
    });
  }

  async list(job: string, limit = 50): Promise<SlotRecord[]> {
    return this.db.read('list schedule slots', async (q) =>
      (await q.all<SlotRow>(`SELECT * FROM schedule_slots WHERE job = ? ORDER BY slot DESC LIMIT ${Math.max(1, Math.floor(limit))}`, [job])).map(toRecord),
    );
  }

  async running(job: string): Promise<SlotRecord | undefined> {
    return this.db.read('find a running slot', async (q) => {
      const r = await q.get<SlotRow>("SELECT * FROM schedule_slots WHERE job = ? AND status = 'running' AND expires_at >= ? ORDER BY slot DESC LIMIT 1", [job, this.now()]);
      return r ? toRecord(r) : undefined;
    });
  }
}
