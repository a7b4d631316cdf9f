#!/usr/bin/env node
// Thin launcher of `npm run bench -- BENCH [options]`: the benches are compiled to dist/bench/ by `npm run build`
// (also by `npm install` and `npm test`). See src/bench/README.md.
// Like bin/ferry.js, drop the AWS SDK's start-up warning that its 2027 releases will need Node 22.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === 'string' ? warning : warning?.message ?? '';
  if (text.includes('will require node >=22')) return;
  return emitWarning.call(process, warning, ...rest);
};
const { benchMain } = await import('../dist/bench/main.js');
process.exitCode = await benchMain(process.argv.slice(2));
