/**
 * A job's schedule as slots: the instants its cron expression names in its time zone (croner does the calendar,
 * DST included: a local time skipped by a spring-forward fires once just after the gap, a time repeated by a fall-back
 * fires once, at its first occurrence). A slot is identified by its UTC instant, so every tick on every machine names
 * the same slot the same way.
 */
import { Cron } from 'croner';

export interface ScheduleSpec {
  cron: string;
  /** IANA zone, default UTC. */
  timezone?: string;
}

/** Why `cron` in `timezone` is not a schedule, or undefined. */
export function scheduleProblem(s: ScheduleSpec): string | undefined {
  try {
    const c = new Cron(s.cron, { timezone: s.timezone ?? 'UTC', paused: true });
    if (c.nextRun(new Date(0)) === null && c.nextRun() === null) return `"${s.cron}" never fires`;
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function cronOf(s: ScheduleSpec): Cron {
  return new Cron(s.cron, { timezone: s.timezone ?? 'UTC', paused: true });
}

/** Slots strictly after `after` and at or before `upTo`, oldest first (at most `limit`, the newest kept). */
export function slotsBetween(s: ScheduleSpec, after: Date, upTo: Date, limit = 10_000): Date[] {
  const c = cronOf(s);
  const out: Date[] = [];
  let d: Date | null = after;
  for (;;) {
    d = c.nextRun(d);
    if (!d || d.getTime() > upTo.getTime()) break;
    out.push(d);
    if (out.length > limit) out.shift();
  }
  return out;
}

/** The next slot strictly after `after`. */
export function nextSlot(s: ScheduleSpec, after: Date): Date | undefined {
  return cronOf(s).nextRun(after) ?? undefined;
}

/** The slot's key: its UTC instant to the second, `2026-12-08T02:00:00Z`. */
export function slotKey(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
