import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The SDK's notice that releases after January 2027 need Node 22 is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Two files at a time, one per core; both projects share the pool.
    maxWorkers: 2,
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
          // Integration tests start real processes and servers. Each file owns its sandbox on
          // free ports, so two files run side by side: most of a drill is waiting on the
          // sandbox's clock, which leaves the second core idle when files run one at a time.
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: true,
        },
      },
    ],
  },
});
