#!/usr/bin/env node
// Thin launcher of `npm run bench -- BENCH [options]`: the benches are compiled to dist/bench/ by `npm run build`
// (also by `npm install` and `npm test`). See src/bench/README.md.
import './node-version.js';

const { benchMain } = await import('../dist/bench/main.js');
process.exitCode = await benchMain(process.argv.slice(2));
