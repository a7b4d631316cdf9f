// Setup file of the integration project: the endpoint variables from test/global-setup.ts, in this file's
// process.env, whatever the pool did with the environment.
import { inject } from 'vitest';

Object.assign(process.env, inject('ferryServiceEnv'));
