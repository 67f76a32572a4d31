#!/usr/bin/env node
// A committed file, not dist/: npm links a workspace's bin at install time only when the file
// exists, and dist/ appears only with the build. It loads the compiled command line.
'use strict';
require('./load-dist')('relay', 'cli/main.js');
