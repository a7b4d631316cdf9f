/** The SQLite state's migrations, in order; append only (see ../migrate.ts). */
import type { Migration } from '../migrate.js';
import { m0001 } from './0001-initial.js';
import { m0002 } from './0002-dry-run-reports.js';
import { m0003 } from './0003-plan-verify-results.js';
import { m0004 } from './0004-partial-uploads.js';
import { m0005 } from './0005-worker-leases.js';
import { m0006 } from './0006-segment-outputs.js';
import { m0007 } from './0007-schedule-slots.js';

export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007];
