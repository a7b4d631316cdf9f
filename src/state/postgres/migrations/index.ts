/** The PostgreSQL state's migrations, in order; append only (see ../migrate.ts). */
import type { PgMigration } from '../migrate.js';
import { m0001 } from './0001-initial.js';
import { m0002 } from './0002-segment-outputs.js';
import { m0003 } from './0003-schedule-slots.js';

export const PG_MIGRATIONS: readonly PgMigration[] = [m0001, m0002, m0003];
