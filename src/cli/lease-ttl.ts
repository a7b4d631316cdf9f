import { FerryError } from '../errors.js';

/** `--lease-ttl SECONDS`: how long a runner's lease binds (a dead worker's segments wait that long), in ms. */
export function leaseTtlOf(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 3600) {
    throw new FerryError('USAGE', `--lease-ttl must be between 1 and 3600 seconds, got ${seconds}`, { hint: 'the default, 30 s, suits most networks' });
  }
  return Math.round(seconds * 1000);
}

export const LEASE_TTL_OPTION = {
  type: 'number' as const,
  describe: "seconds a runner's lease binds without a renewal (default 30): a killed worker's segments are taken over after that",
};
