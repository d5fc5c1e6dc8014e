import { defineConfig } from 'vitest/config';

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
