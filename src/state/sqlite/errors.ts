/** SQLite failures in ferry's error taxonomy: a busy file is transient; a full disk, a broken file or a read-only one is named. */
import { FerryError, isFerryError, redact } from '../../errors.js';

/** Translate a SQLite failure into the taxonomy; FerryErrors pass through. */
export function stateError(e: unknown, what: string, where: string): FerryError {
  if (isFerryError(e)) return e;
  const code = (e as { code?: unknown }).code;
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new FerryError('STATE', `state database ${where} is busy (${what}): ${msg}`, {
      retry: 'transient',
      hint: 'another process holds it locked (another ferry, or a tool reading the file): let it finish, then retry',
      cause: e,
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new FerryError('STATE', `${where} is not a usable ferry state database (${what}): ${msg}`, {
      hint: 'point --state at a ferry state file, or at a new path to start afresh',
      cause: e,
    });
  }
  if (code === 'SQLITE_FULL') {
    return new FerryError('STATE', `the disk holding the state database ${where} is full (${what}); nothing after the last checkpoint was recorded`, {
      hint: 'free space on that disk (or move the state with --state to a disk with room)',
      cause: e,
    });
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_IOERR')) {
    return new FerryError('STATE', `the state database ${where} could not be read or written (${what}: ${code}): ${redact(msg)}`, {
      hint: 'check the disk and the file (was it removed, truncated, or made unwritable while the job ran?)',
      cause: e,
    });
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM') {
    return new FerryError('STATE', `cannot write the state database ${where} (${what}): ${msg}`, {
      hint: 'check that the directory exists and is writable, or choose another path with --state',
      cause: e,
    });
  }
  return new FerryError('STATE', `state database ${where}: ${what} failed: ${redact(msg)}`, { cause: e });
}
