/** PostgreSQL state failures in ferry's error taxonomy: unreachable and serialisation failures are transient; credentials never appear. */
import pg from 'pg';
import { FerryError, isFerryError, redact } from '../../errors.js';
import { NETWORK_CODES, UNREACHABLE_CODES } from '../../util/network-errors.js';

/** Translate a pg failure into the taxonomy; FerryErrors pass through. `where` is the URL without its password. */
export function pgStateError(e: unknown, what: string, where: string, password?: string): FerryError {
  if (isFerryError(e)) return e;
  const code = (e as { code?: unknown }).code;
  let msg = redact(e instanceof Error ? e.message : String(e));
  if (password) msg = msg.split(password).join('***');
  const sqlstate = e instanceof pg.DatabaseError && typeof e.code === 'string' ? e.code : undefined;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new FerryError('UNREACHABLE', `the state database ${where} did not answer (${what}): ${msg}`, {
      hint: 'check that PostgreSQL runs there and that this machine can reach it (--state / FERRY_STATE)',
      cause: e,
    });
  }
  if ((typeof code === 'string' && NETWORK_CODES.has(code)) || sqlstate?.startsWith('08') || sqlstate === '57P01') {
    return new FerryError('STATE', `lost the connection to the state database ${where} (${what}): ${msg}`, { retry: 'transient', cause: e });
  }
  if (sqlstate === '28P01' || sqlstate === '28000') {
    return new FerryError('AUTH', `the state database ${where} refused the credentials (${what}): ${msg}`, {
      hint: 'check the user and password in the state URL (or PGPASSWORD), and pg_hba.conf',
      cause: e,
    });
  }
  if (sqlstate === '3D000') {
    return new FerryError('STATE', `the state database ${where} does not exist (${what})`, { hint: 'create it (createdb), or point --state at one that exists', cause: e });
  }
  if (sqlstate === '42501') {
    return new FerryError('STATE', `the state user may not ${what} in ${where}: ${msg}`, {
      hint: 'grant it CREATE on the database (for the schema) and USAGE, CREATE on the schema',
      cause: e,
    });
  }
  if (sqlstate === '40001' || sqlstate === '40P01' || sqlstate === '55P03') {
    return new FerryError('STATE', `the state database ${where} was busy (${what}): ${msg}`, { retry: 'transient', cause: e });
  }
  return new FerryError('STATE', `state database ${where}: ${what} failed: ${msg}`, { cause: e });
}
