#!/usr/bin/env node
// A committed file, not dist/: npm links a workspace's bin at install time only when the file
// exists, and dist/ appears only with the build. It loads the compiled service.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const target = path.join(__dirname, '..', 'dist', 'main.js');
if (!fs.existsSync(target)) {
  process.stderr.write(`privacy-relay-intake: ${target} is not built yet; run \`npm run build\` first\n`);
  process.exit(1);
}
require(target);
