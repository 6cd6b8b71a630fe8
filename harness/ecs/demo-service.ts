// The demo service that drills break and restore: the built-in demo app behind a load
// balancer, with the ECS circuit breaker and rollback on, as a team would ship it.

import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { Driver } from './driver.ts';
import { waitForSteadyState } from './waits.ts';

export interface DemoServiceOptions {
  cluster: string;
  service: string;
  targetGroupArn: string;
  tag: string;
  desiredCount: number;
  /** The service's first task definition; demoTaskDefinition(tag) by default. */
  taskDefinition?: RegisterTaskDefinitionCommandInput;
}

export const DEMO_FAMILY = 'firedrill-demo';
export const DEMO_CONTAINER = 'web';
export const DEMO_CONTAINER_PORT = 8080;
/** The sandbox's built-in stand-in for a Secrets Manager secret (its value is a canary, not a credential). */
export const DEMO_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:firedrill/demo-api-key';

export const demoTaskDefinition = (tag: string): RegisterTaskDefinitionCommandInput => ({
  family: DEMO_FAMILY,
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    {
      name: DEMO_CONTAINER,
      image: `firedrill/demo-app:${tag}`,
      essential: true,
      memory: 256,
      portMappings: [{ containerPort: DEMO_CONTAINER_PORT, protocol: 'tcp' }],
      environment: [
        { name: 'PORT', value: String(DEMO_CONTAINER_PORT) },
        { name: 'APP_NAME', value: 'firedrill-demo' },
        // The app refuses to start without APP_NAME, so a release that drops it fails like a real one would.
        { name: 'REQUIRED_ENV', value: 'APP_NAME,API_KEY' },
      ],
      secrets: [{ name: 'API_KEY', valueFrom: DEMO_SECRET_ARN }],
      // A start period and a grace period, as teams set them: a task that is still starting is not
      // judged by its first checks. On the sandbox they also absorb a busy machine's slow process start.
      // Every 10 s: the target group's own checks pass a task no sooner, and every check is a process.
      healthCheck: { command: ['CMD', 'healthcheck'], interval: 10, timeout: 2, retries: 2, startPeriod: 30 },
      // Hardened as `firedrill check` asks (Security Hub ECS.5, ECS.9, ECS.20): the demo passes its own checks.
      user: '1000:1000',
      readonlyRootFilesystem: true,
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/firedrill-demo', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' } },
    },
  ],
});

export const deployDemoService = async (client: ECSClient, options: DemoServiceOptions, wait: { timeoutMs: number; intervalMs?: number; onProgress?: (summary: string) => void }) => {
  await client.send(new CreateClusterCommand({ clusterName: options.cluster }));
  const registered = await client.send(new RegisterTaskDefinitionCommand(options.taskDefinition ?? demoTaskDefinition(options.tag)));
  const taskDefinitionArn = registered.taskDefinition?.taskDefinitionArn;
  if (!taskDefinitionArn) throw new Error('RegisterTaskDefinition returned no task definition ARN');
  await client.send(
    new CreateServiceCommand({
      cluster: options.cluster,
      serviceName: options.service,
      taskDefinition: taskDefinitionArn,
      desiredCount: options.desiredCount,
      launchType: 'FARGATE',
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: true, rollback: true },
      },
      loadBalancers: [{ targetGroupArn: options.targetGroupArn, containerName: DEMO_CONTAINER, containerPort: DEMO_CONTAINER_PORT }],
      healthCheckGracePeriodSeconds: 60,
    }),
  );
  const driver = new Driver({ region: await client.config.region(), client });
  const service = await waitForSteadyState(driver, options.cluster, options.service, {
    deadline: driver.now() + wait.timeoutMs,
    intervalMs: wait.intervalMs ?? 250,
    onProgress: wait.onProgress,
  });
  return { taskDefinitionArn, service };
};
