// ferry needs Node.js 22 or newer (engines.node). On an older Node the first failure would be a native module or an
// SDK deep in start-up, so the launchers import this first: one sentence, exit 2 (a usage error: nothing has run).
// Plain syntax on purpose, so that any Node old enough to need this message can parse it.
const NEEDED = 22;
const major = Number(process.versions.node.split('.')[0]);
if (!(major >= NEEDED)) {
  process.stderr.write(
    `ferry: Node.js ${process.versions.node} is too old; ferry needs Node.js ${NEEDED} or newer (24 LTS recommended): ` +
      'install it (https://nodejs.org, nvm, or your package manager) and run ferry again.\n',
  );
  process.exit(2);
}
