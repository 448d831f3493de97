import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no services) and `integration` (the real QuestDB and the AWS emulator,
// started by the global setup on their own ports and data folder when not already running).
export default defineConfig({
  test: {
    // Stopping QuestDB and moto after the integration run takes a few seconds.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Property tests run thousands of cases: generous on a loaded 2-core machine.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // Two cores and one QuestDB: integration files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
