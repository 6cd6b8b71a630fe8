// What an operator needs to see a release fail and ECS needs to catch it: a log configuration
// on every container, and a health check on the essential one.

import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import type { Finding } from './findings.ts';

export const logging = (container: ContainerDefinition): Finding[] =>
  container.logConfiguration?.logDriver
    ? []
    : [
        {
          id: 'no-log-configuration',
          severity: 'high',
          control: 'ECS.9',
          title: 'the container has no log configuration: what it prints is lost, and so is the evidence of an incident',
          location: { container: container.name, field: 'logConfiguration' },
          fix: 'set logConfiguration, for example {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/<service>", "awslogs-region": "<region>", "awslogs-stream-prefix": "<container>"}}',
        },
      ];

export const healthCheck = (container: ContainerDefinition, essential: boolean): Finding[] =>
  !essential || (container.healthCheck?.command?.length ?? 0) > 0
    ? []
    : [
        {
          id: 'no-health-check',
          severity: 'medium',
          title: 'the essential container has no health check: a task that runs but does not work counts as healthy, and the circuit breaker cannot catch it',
          location: { container: container.name, field: 'healthCheck' },
          fix: 'add a healthCheck, for example {"command": ["CMD-SHELL", "curl -fs http://localhost:8080/health || exit 1"], "interval": 10, "retries": 3, "startPeriod": 30}',
        },
      ];
