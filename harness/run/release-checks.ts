// The security checks of a service's release, with what they need read from the service: the
// release under check (its current task definition, or the candidate made from it by tag) and
// the timing settings the worst-case rollback is judged by. Read-only; `firedrill check`,
// validate and plan all run it.

import type { Service } from '@aws-sdk/client-ecs';
import type { ServiceTiming } from '../analysis/deployment-time.ts';
import type { Environment } from '../config/environment.ts';
import type { Driver, ReadOptions } from '../ecs/driver.ts';
import { withEssentialTag, type TaskDefinitionInput } from '../releases/task-definition.ts';
import { checkRelease } from '../security/check.ts';
import type { Finding } from '../security/findings.ts';
import type { Baseline } from '../safety/preflight.ts';
import { readServiceTiming } from './service-timing.ts';

export interface ReleaseChecks {
  /** The release checked: the current task definition, or the candidate made from it. */
  taskDefinition: TaskDefinitionInput;
  findings: Finding[];
  timing: ServiceTiming;
}

export const checkServiceRelease = async (
  driver: Driver,
  env: Environment,
  inspected: { service: Service; baseline: Baseline },
  options: { candidateTag?: string; call?: ReadOptions } = {},
): Promise<ReleaseChecks> => {
  const { service, baseline } = inspected;
  const taskDefinition = options.candidateTag === undefined ? baseline.taskDefinition : withEssentialTag(baseline.taskDefinition, options.candidateTag);
  const timing = await readServiceTiming(driver, env, service, baseline.taskDefinition, options.call);
  const findings = checkRelease({ taskDefinition, service, timing, candidateTag: options.candidateTag, currentImage: baseline.image });
  return { taskDefinition, findings, timing };
};
