import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take minutes, slowest first. On a clean clone vitest has no durations from an
 * earlier run and orders files by size, so a long file could start last and run alone at the
 * end while the other core idles; starting the long ones first keeps both cores busy.
 */
const SLOWEST = ['crash-safety', 'drills', 'allure', 'restore-throttled', 'safety', 'validate'].map((name) => `test/integration/${name}.test.ts`);

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.findIndex((file) => f.moduleId.endsWith(file));
      return i === -1 ? SLOWEST.length : i;
    };
    const sorted = await super.sort(files);
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    // The SDK's notice that releases after January 2027 need Node 22 is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Two files at a time, one per core; both projects share the pool.
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
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
