/**
 * Plan options of PostgreSQL. The connection is either a `url` or libpq-style parts; anything left out falls back to
 * the usual PG* environment variables (PGHOST, PGUSER, PGPASSWORD...), as with psql.
 */
import type { JsonSchema } from '../../core/connector.js';
import { bool, exclusive, filePath, int, object, oneOfStrings, secret, str, stringList } from '../../plan/schema-fragments.js';

const PARTS = ['host', 'port', 'database', 'user', 'password'] as const;

export const postgresOptions: JsonSchema = {
  type: 'object',
  properties: {
    url: secret('Connection URI, e.g. postgres://ferry@db.internal:5432/app. A password inside it is a secret.', 'url'),
    host: str('Server host name or socket directory. Default: $PGHOST, else localhost.'),
    port: int('Server port. Default: $PGPORT, else 5432.', 1, 65535),
    database: str('Database name. Default: $PGDATABASE, else the user name.'),
    user: str('Role to connect as. Default: $PGUSER, else the OS user.'),
    password: secret('Password of `user`. Default: $PGPASSWORD or ~/.pgpass.'),
    ssl: {
      description: 'TLS: `true` (require TLS, verify the certificate), `false`, or a mapping for finer control.',
      'x-expect': 'true, false or a mapping with mode, ca_file, cert_file, key_file',
      anyOf: [
        { type: 'boolean' },
        object('TLS settings.', {
          mode: oneOfStrings(
            ['disable', 'require', 'verify-ca', 'verify-full'],
            'As libpq sslmode: `require` encrypts without checking the certificate; `verify-full` also checks the host name.',
            'verify-full',
          ),
          ca_file: filePath('PEM bundle of the CAs to trust (e.g. the RDS bundle).'),
          cert_file: filePath('Client certificate (PEM), for certificate authentication.'),
          key_file: filePath('Private key of the client certificate (PEM).'),
        }),
      ],
    },
    schema: str('Schema for stream names written without one (`invoice` means `<schema>.invoice`).', { default: 'public' }),
    application_name: str('Shown in pg_stat_activity, so DBAs can tell the migration apart.', { default: 'ferry' }),
    connect_timeout: int('Seconds to wait for the server to accept a new connection before giving up (and retrying).', 1, 3600, 15),
    max_connections: int(
      'Connections ferry opens for reading (plus one that holds the snapshot). Keep it at least `limits.concurrency` + 2.',
      1,
      1000,
      10,
    ),
    create: bool('As a target: create missing tables from the source shape before writing.', false),
  },
  allOf: [exclusive('url', PARTS, 'use either `url` or host/port/database/user/password, not both')],
};

/** Stream keys when PostgreSQL is the source. */
export const postgresSourceStream: Record<string, JsonSchema> = {
  key_columns: stringList(
    'Columns that identify a row, for tables without a primary key (ferry pages and resumes by them; they must be unique and not null).',
  ),
  where: str('SQL condition to read only some rows, e.g. `created_at >= \'2024-01-01\'`.'),
  snapshot: bool('Read every segment of the job from one exported snapshot, so the copy is consistent across tables. Default true.', true),
};

/** Stream keys when PostgreSQL is the target. */
export const postgresTargetStream: Record<string, JsonSchema> = {
  on_conflict: stringList('Columns of the unique constraint upserts use (ON CONFLICT). Default: the target table\'s primary key.'),
};
