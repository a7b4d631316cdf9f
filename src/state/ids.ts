import { randomBytes } from 'node:crypto';

/**
 * Job ids: `YYYYMMDD-HHMMSS-xxxxxx` — the UTC creation time to the second, then 6 random hex digits.
 * e.g. `20261128-073612-a1b2c3`.
 *
 * - short enough to type and read aloud, and shell-safe;
 * - sort lexicographically in creation order (to the second; jobs created in the same second sort in random order,
 *   which is why listings order by `created_at` first);
 * - 24 random bits per second; the store retries on the (unlikely) collision.
 */
export const JOB_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{6}$/;

export function newJobId(nowMs: number, random: () => string = () => randomBytes(3).toString('hex')): string {
  const iso = new Date(nowMs).toISOString(); // 2026-11-28T07:36:12.345Z
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${date}-${time}-${random()}`;
}

export function isJobId(text: string): boolean {
  return JOB_ID_PATTERN.test(text);
}

export function newToken(): string {
  return randomBytes(16).toString('hex');
}
