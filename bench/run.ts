// `npm run bench -- [--runs N] [--only lb|deploy|memory|drills|validate]`: prints the sandbox's figures.
// A benchmark, not a test: it prints and never asserts. Ctrl-C stops every sandbox it started.
//
//   1. lb      load-balancer throughput and latency beside one task hit directly (autocannon)
//   2. deploy  UpdateService -> COMPLETED: a rolling update and a circuit-breaker rollback
//   3. memory  the sandbox's RSS with 20 tasks running, and nothing left after SIGTERM
//   4. drills  `firedrill demo`: every shipped scenario's wall time, the harness's overhead over the
//              sandbox's own inject -> recovery, and the harness's peak memory
//   5. validate `firedrill validate` at ECS's real timings: each step's time beside its prediction,
//              and the total against the 300 s goal (about 4 minutes)

import { parseArgs } from 'node:util';
import { deploymentBench, summarizeDeployments } from './deployments.ts';
import { drillsBench, summarizeDrills } from './drills.ts';
import { Interrupted, interrupt, interruptSignal, runCleanups } from './lifecycle.ts';
import { loadBalancerBench, summarizeLoadBalancer } from './load-balancer.ts';
import { memoryBench, summarizeMemory } from './memory.ts';
import { summarizeValidate, validateBench } from './validate.ts';
import { header, print, progress, section } from './report.ts';
import { seconds } from '../lib/format.ts';

const USAGE = `Usage: npm run bench -- [--runs N] [--only lb|deploy|memory|drills|validate]

  --runs N     runs of each deployment scenario (default 5)
  --only S     one section: lb, deploy, memory, drills or validate (repeatable; default all five)
`;

type Section = 'lb' | 'deploy' | 'memory' | 'drills' | 'validate';
const SECTIONS: Section[] = ['lb', 'deploy', 'memory', 'drills', 'validate'];

const usageError = (message: string): never => {
  process.stderr.write(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
};

const parse = (): { runs: number; only: Section[] } => {
  let values: { runs?: string; only?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { runs: { type: 'string' }, only: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const runs = values.runs === undefined ? 5 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) usageError(`--runs must be a whole number from 1 to 100, not "${values.runs}"`);
  const only = (values.only ?? []).flatMap((s) => s.split(','));
  for (const s of only) if (!SECTIONS.includes(s as Section)) usageError(`--only must be lb, deploy, memory, drills or validate, not "${s}"`);
  return { runs, only: only.length > 0 ? SECTIONS.filter((s) => only.includes(s)) : SECTIONS };
};

const { runs, only } = parse();

// The bench runs on Node 20 as the repository does; the AWS SDK's multi-line notice that its
// 2027 releases need Node 22 would only interleave with the tables. This is the SDK's own switch.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let firstInterruptAt: number | undefined;
process.on('SIGINT', () => {
  // One Ctrl-C can arrive twice (from the terminal and relayed by tsx): repeats within a second count once.
  if (firstInterruptAt !== undefined && Date.now() - firstInterruptAt < 1000) return;
  if (firstInterruptAt !== undefined) {
    process.stderr.write('\nbench: second Ctrl-C, exiting without waiting\n');
    process.exit(130);
  }
  firstInterruptAt = Date.now();
  process.stderr.write('\nbench: Ctrl-C, stopping what the bench started (Ctrl-C again to exit at once)\n');
  interrupt();
  void runCleanups(progress).then(() => process.exit(130));
});
process.on('SIGTERM', () => {
  interrupt();
  void runCleanups(progress).then(() => process.exit(143));
});

const startedAt = Date.now();
header(`--runs ${runs} --only ${only.join(',')}`);

const summary: string[] = [];
let failures = 0;
const titles: Record<Section, string> = {
  lb: '1. Load balancer vs. a task hit directly',
  deploy: '2. UpdateService to COMPLETED',
  memory: '3. Sandbox memory with 20 tasks',
  drills: '4. Drills: firedrill demo, per scenario',
  validate: '5. Validate at ECS timings',
};

for (const name of only) {
  section(titles[name]);
  try {
    if (name === 'lb') summary.push(summarizeLoadBalancer(await loadBalancerBench()));
    if (name === 'deploy') summary.push(summarizeDeployments(await deploymentBench(runs)));
    if (name === 'memory') summary.push(summarizeMemory(await memoryBench()));
    if (name === 'drills') summary.push(summarizeDrills(await drillsBench()));
    if (name === 'validate') {
      const result = await validateBench();
      summary.push(summarizeValidate(result));
      if (!result.passed) failures++;
    }
  } catch (error) {
    if (error instanceof Interrupted || interruptSignal.aborted) {
      // The SIGINT handler is stopping everything and will exit.
      await new Promise<never>(() => undefined);
    }
    failures++;
    summary.push(`${name}: FAILED`);
    print(`  ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}

// Anything a failed section could not stop.
await runCleanups(progress);
print(`\nsummary (${seconds(Date.now() - startedAt, 0)}): ${summary.join('; ')}\n`);
process.exit(failures > 0 ? 1 : 0);
