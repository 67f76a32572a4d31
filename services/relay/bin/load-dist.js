'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Runs dist/<file> of this workspace, or says how to build it when it is not there yet. */
module.exports = function loadDist(command, file) {
  const target = path.join(__dirname, '..', 'dist', file);
  if (!fs.existsSync(target)) {
    process.stderr.write(
      `${command}: ${path.relative(process.cwd(), target) || target} is not built yet; run \`npm run build\` first\n`,
    );
    process.exit(1);
  }
  require(target);
};
