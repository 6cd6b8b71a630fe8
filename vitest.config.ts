import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The SDK's notice that releases after January 2027 need Node 22 is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Integration tests start real processes and servers; a noisy 2-core machine
          // needs room, and they share ports and CPU, so they run one file at a time.
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
