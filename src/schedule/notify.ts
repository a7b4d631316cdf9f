/**
 * Telling someone: a JSON POST to a webhook whose URL the job names by `${env:NAME}` (expanded only now, so the URL —
 * often a secret — is never stored). The body names the job, the slot, the outcome, and for a failure the error and
 * its fix, redacted. A notification that cannot be delivered is logged; it never changes the slot's outcome.
 */
import http from 'node:http';
import https from 'node:https';
import { redact } from '../errors.js';
import { expandString } from '../plan/interpolate.js';
import { ferryVersion } from '../util/ferry-version.js';

export interface Notification {
  job: string;
  slot: string;
  outcome: string;
  ferryJob?: string;
  error?: string;
  fix?: string;
}

const TIMEOUT_MS = 10_000;

/** Sends it; returns why it was not delivered, or undefined (also when the URL expands to nothing: none wanted). */
export async function notify(webhook: string, n: Notification, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  // The plans' own `${env:…}` expansion, only now: the URL (often a secret itself) is never stored.
  const x = expandString(webhook, env);
  const url = x.text;
  if (x.errors.length > 0) return `the webhook ${webhook} cannot be expanded: ${x.errors[0]}`;
  if (url === '') return undefined; // `${env:X:-}` left empty: no notification wanted here
  const body = {
    job: n.job,
    slot: n.slot,
    outcome: n.outcome,
    ...(n.ferryJob ? { ferry_job: n.ferryJob } : {}),
    ...(n.error ? { error: redact(n.error) } : {}),
    ...(n.fix ? { fix: redact(n.fix) } : {}),
    at: new Date().toISOString(),
    ferry: ferryVersion(),
  };
  try {
    const status = await post(url, JSON.stringify(body));
    return status >= 200 && status < 300 ? undefined : `the webhook answered ${status}`;
  } catch (e) {
    return redact(e instanceof Error ? e.message : String(e));
  }
}

/** One POST on a connection of its own (`agent: false`): no kept-alive socket holds the ferry process open after. */
function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? https : http).request(
      u,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: TIMEOUT_MS },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    req.once('error', reject);
    req.end(body);
  });
}
