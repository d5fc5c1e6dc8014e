#!/usr/bin/env node
// The CLI is the committed bundle, so it works right after `npm ci` with nothing to build.
import '../dist/cli/index.js';
