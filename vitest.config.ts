import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file starts its own kios on its own database; two at a time fits a 2-core machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
