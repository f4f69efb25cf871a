#!/usr/bin/env node
// The `coditect` command: a thin launcher for the bundled CLI.
require('../dist/cli.js');
