#!/usr/bin/env node
// A committed file rather than dist/cli.js itself, so that pnpm can link the bin into the
// workspace at install time, before the first build has written dist/.
import '../dist/cli.js';
