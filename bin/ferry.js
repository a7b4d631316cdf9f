#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (prepare) and `npm test` (pretest).
import './node-version.js';

const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
