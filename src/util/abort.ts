/** The error an aborted wait rejects with: the signal's FerryError reason, else INTERRUPTED (one home for both). */
import { FerryError } from '../errors.js';

export function abortedError(signal?: AbortSignal): FerryError {
  const reason: unknown = signal?.reason;
  if (reason instanceof FerryError) return reason;
  return new FerryError('INTERRUPTED', 'aborted', { cause: reason });
}
