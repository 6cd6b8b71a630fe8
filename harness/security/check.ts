// `firedrill check`: every security check of a release, read-only. The task definition is the
// release's (the candidate's, when validating); the service supplies the rollback path and,
// with the deployment math, the worst-case rollback time.

import type { Service } from '@aws-sdk/client-ecs';
import type { ServiceTiming } from '../analysis/deployment-time.ts';
import { essentialContainer, type TaskDefinitionInput } from '../releases/task-definition.ts';
import { sortFindings, type Finding } from './findings.ts';
import { containerHardening, taskHardening } from './hardening.ts';
import { imagePinning, type ImageContext } from './image.ts';
import { healthCheck, logging } from './operability.ts';
import { rollbackPath, rollbackTime } from './rollback.ts';
import { plaintextSecrets } from './secrets.ts';

export interface ReleaseUnderCheck extends ImageContext {
  taskDefinition: TaskDefinitionInput;
  service?: Pick<Service, 'deploymentConfiguration'>;
  /** The service's timing settings; without them the rollback time is not judged. */
  timing?: ServiceTiming;
}

export const checkRelease = (release: ReleaseUnderCheck): Finding[] => {
  const td = release.taskDefinition;
  const essential = essentialContainer(td);
  const findings: Finding[] = [...taskHardening(td)];
  for (const container of td.containerDefinitions ?? []) {
    const isEssential = container === essential;
    findings.push(
      ...plaintextSecrets(container),
      ...imagePinning(container, isEssential, release),
      ...containerHardening(container, td),
      ...logging(container),
      ...healthCheck(container, isEssential),
    );
  }
  if (release.service) findings.push(...rollbackPath(release.service));
  if (release.timing) findings.push(...rollbackTime(release.timing));
  return sortFindings(findings);
};
