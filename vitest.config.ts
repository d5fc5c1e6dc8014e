import { defineConfig } from 'vitest/config';
import { addGoBinToPath } from './test/harness/tools.js';

addGoBinToPath();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests talk to real registries on loopback; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
