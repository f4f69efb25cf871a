#!/usr/bin/env node
// The `coditect` command: a thin launcher for the bundled CLI.
require('../dist/cli.js')
  .runCli(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`coditect: ${(e && e.stack) || e}\n`);
      process.exitCode = 1;
    },
  );
