#!/usr/bin/env node
// Committed so that npm can link it before the build (see relay.js).
'use strict';
require('./load-dist')('privacy-relay-relay', 'main.js');
