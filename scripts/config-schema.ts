// Writes schema/imagepull-preflight.schema.json from the settings table (test/config keeps them equal):
// npm run schema
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { configSchema, SCHEMA_FILE } from '../src/config/schema.js';

writeFileSync(SCHEMA_FILE, `${JSON.stringify(configSchema(), null, 2)}\n`);
execFileSync('npx', ['prettier', '--write', SCHEMA_FILE], { stdio: 'inherit' });
