// The sandbox's ECS API driven through the AWS SDK v3, raw HTTP and the AWS CLI. No controller
// runs: tasks are created directly on the state, the way the controller would create them.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
  paginateListClusters,
} from '@aws-sdk/client-ecs';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startApiServer } from '../../sandbox/api/server.ts';
import type { ApiServer } from '../../sandbox/api/server.ts';
import { ofKind, type SandboxEventBody } from '../../sandbox/index.ts';
import { SandboxState } from '../../sandbox/control/state.ts';
import type { Task } from '../../sandbox/control/model.ts';
import { SequentialIds } from '../support/ids.ts';

const execFileAsync = promisify(execFile);
const TARGET = 'AmazonEC2ContainerServiceV20141113';
const ACCOUNT = '000000000000';
const ARN = `arn:aws:ecs:us-east-1:${ACCOUNT}`;

let state: SandboxState;
let server: ApiServer;
let ecs: ECSClient;
let mutations = 0;
const events: SandboxEventBody[] = [];

beforeAll(async () => {
  state = new SandboxState({ region: 'us-east-1', accountId: ACCOUNT }, { now: () => Date.now() }, new SequentialIds());
  server = await startApiServer({
    port: 0,
    state,
    events: { emit: (event) => events.push(event) },
    onMutation: () => {
      mutations += 1;
    },
  });
  ecs = new ECSClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  ecs?.destroy();
  await server?.close();
});

/** The rejection of a call that must fail. */
const failureOf = async (call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number }; $fault?: string }> => {
  try {
    await call;
  } catch (err) {
    return err as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail, but it succeeded');
};

const raw = async (
  operation: string | undefined,
  body: string,
  init: { method?: string; path?: string } = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> => {
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    // What a SigV4-signing client sends; the sandbox must not choke on it.
    authorization:
      'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/ecs/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef',
    'x-amz-date': '20240101T000000Z',
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
  };
  if (operation !== undefined) headers['x-amz-target'] = `${TARGET}.${operation}`;
  const method = init.method ?? 'POST';
  const res = await fetch(`${server.url}${init.path ?? '/'}`, {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
};

const webDefinition = (image: string): RegisterTaskDefinitionCommandInput => ({
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '0.25 vCPU',
  memory: '0.5 GB',
  containerDefinitions: [
    {
      name: 'app',
      image,
      portMappings: [{ containerPort: 8080 }],
      healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health'] },
      environment: [{ name: 'GREETING', value: 'hello' }],
      secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db' }],
    },
  ],
  tags: [{ key: 'team', value: 'drills' }],
});

describe('clusters', () => {
  it('creates, describes (with MISSING failures), lists with pagination and deletes clusters', async () => {
    const before = mutations;
    const created = await ecs.send(new CreateClusterCommand({ clusterName: 'drill', tags: [{ key: 'env', value: 'sandbox' }] }));
    expect(created.cluster).toMatchObject({
      clusterArn: `${ARN}:cluster/drill`,
      clusterName: 'drill',
      status: 'ACTIVE',
      activeServicesCount: 0,
      runningTasksCount: 0,
      pendingTasksCount: 0,
      registeredContainerInstancesCount: 0,
      tags: [{ key: 'env', value: 'sandbox' }],
    });
    expect(mutations).toBe(before + 1);

    const described = await ecs.send(new DescribeClustersCommand({ clusters: ['drill', 'nope'], include: ['TAGS'] }));
    expect(described.clusters?.map((c) => c.clusterName)).toEqual(['drill']);
    expect(described.clusters?.[0]?.tags).toEqual([{ key: 'env', value: 'sandbox' }]);
    expect(described.failures).toEqual([{ arn: `${ARN}:cluster/nope`, reason: 'MISSING' }]);
    expect(mutations).toBe(before + 1);

    const withoutTags = await ecs.send(new DescribeClustersCommand({ clusters: [`${ARN}:cluster/drill`] }));
    expect(withoutTags.clusters?.[0]?.tags).toBeUndefined();

    for (const name of ['extra-1', 'extra-2', 'extra-3']) await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const page1 = await ecs.send(new ListClustersCommand({ maxResults: 2 }));
    expect(page1.clusterArns).toHaveLength(2);
    expect(page1.nextToken).toBeTypeOf('string');
    const page2 = await ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: page1.nextToken }));
    expect(page2.clusterArns).toHaveLength(2);
    expect(page2.nextToken).toBeUndefined();
    const all: string[] = [];
    for await (const page of paginateListClusters({ client: ecs, pageSize: 3 }, {})) all.push(...(page.clusterArns ?? []));
    expect(all.sort()).toEqual(['drill', 'extra-1', 'extra-2', 'extra-3'].map((n) => `${ARN}:cluster/${n}`).sort());

    const deleted = await ecs.send(new DeleteClusterCommand({ cluster: 'extra-3' }));
    expect(deleted.cluster?.status).toBe('INACTIVE');
    const listed = await ecs.send(new ListClustersCommand({}));
    expect(listed.clusterArns).not.toContain(`${ARN}:cluster/extra-3`);
    const inactive = await ecs.send(new DescribeClustersCommand({ clusters: ['extra-3'] }));
    expect(inactive.clusters?.[0]?.status).toBe('INACTIVE');

    // No clusters given: the default cluster, which does not exist here.
    const none = await ecs.send(new DescribeClustersCommand({}));
    expect(none.failures).toEqual([{ arn: `${ARN}:cluster/default`, reason: 'MISSING' }]);
  });
});

describe('task definitions', () => {
  it('registers, describes, deregisters and lists task definitions, with Dates parsed by the SDK', async () => {
    const r1 = await ecs.send(new RegisterTaskDefinitionCommand(webDefinition('demo:1')));
    const td = r1.taskDefinition!;
    const record = state.taskDefinition('web:1');
    expect(td).toMatchObject({
      taskDefinitionArn: `${ARN}:task-definition/web:1`,
      family: 'web',
      revision: 1,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      requiresCompatibilities: ['FARGATE'],
      registeredBy: `arn:aws:iam::${ACCOUNT}:root`,
      volumes: [],
      placementConstraints: [],
      requiresAttributes: [],
    });
    expect(td.compatibilities).toEqual(expect.arrayContaining(['EC2', 'FARGATE']));
    expect(td.registeredAt).toBeInstanceOf(Date);
    expect(td.registeredAt?.getTime()).toBe(record.registeredAt);
    expect(td.deregisteredAt).toBeUndefined();
    const container = td.containerDefinitions![0]!;
    expect(container).toMatchObject({
      name: 'app',
      image: 'demo:1',
      essential: true,
      cpu: 0,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health'], interval: 30, timeout: 5, retries: 3 },
      environment: [{ name: 'GREETING', value: 'hello' }],
      mountPoints: [],
      volumesFrom: [],
    });
    expect(r1.tags).toEqual([{ key: 'team', value: 'drills' }]);

    await ecs.send(new RegisterTaskDefinitionCommand(webDefinition('demo:2')));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'worker',
        containerDefinitions: [{ name: 'w', image: 'worker:1', memory: 64 }],
      }),
    );

    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    expect(latest.taskDefinition?.revision).toBe(2);
    expect(latest.tags).toBeUndefined();
    const first = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${ARN}:task-definition/web:1`, include: ['TAGS'] }));
    expect(first.taskDefinition?.containerDefinitions?.[0]?.image).toBe('demo:1');
    expect(first.tags).toEqual([{ key: 'team', value: 'drills' }]);
    const worker = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'worker:1' }));
    expect(worker.taskDefinition?.networkMode).toBe('bridge');
    expect(worker.taskDefinition?.compatibilities).toEqual(['EC2']);

    const deregistered = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:1' }));
    expect(deregistered.taskDefinition?.status).toBe('INACTIVE');
    expect(deregistered.taskDefinition?.deregisteredAt?.getTime()).toBe(state.taskDefinition('web:1').deregisteredAt);

    const active = await ecs.send(new ListTaskDefinitionsCommand({}));
    expect(active.taskDefinitionArns).toEqual([`${ARN}:task-definition/web:2`, `${ARN}:task-definition/worker:1`]);
    const inactive = await ecs.send(new ListTaskDefinitionsCommand({ status: 'INACTIVE' }));
    expect(inactive.taskDefinitionArns).toEqual([`${ARN}:task-definition/web:1`]);
    const desc = await ecs.send(new ListTaskDefinitionsCommand({ sort: 'DESC' }));
    expect(desc.taskDefinitionArns).toEqual([`${ARN}:task-definition/worker:1`, `${ARN}:task-definition/web:2`]);
    const prefixed = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'wo' }));
    expect(prefixed.taskDefinitionArns).toEqual([`${ARN}:task-definition/worker:1`]);
    const paged = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 1 }));
    expect(paged.taskDefinitionArns).toEqual([`${ARN}:task-definition/web:2`]);
    const paged2 = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 1, nextToken: paged.nextToken }));
    expect(paged2.taskDefinitionArns).toEqual([`${ARN}:task-definition/worker:1`]);
    expect(paged2.nextToken).toBeUndefined();

    const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({}));
    expect(families.families).toEqual(['web', 'worker']);
    const wFamilies = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'wor', status: 'ACTIVE' }));
    expect(wFamilies.families).toEqual(['worker']);
    const inactiveFamilies = await ecs.send(new ListTaskDefinitionFamiliesCommand({ status: 'INACTIVE' }));
    expect(inactiveFamilies.families).toEqual([]);
  });
});

describe('services and tasks', () => {
  const tasks: Task[] = [];

  it('creates a service and describes it with MISSING failures, tags and Dates', async () => {
    const created = await ecs.send(
      new CreateServiceCommand({
        cluster: 'drill',
        serviceName: 'api',
        taskDefinition: 'web:2',
        desiredCount: 2,
        launchType: 'FARGATE',
        deploymentConfiguration: {
          maximumPercent: 200,
          minimumHealthyPercent: 100,
          deploymentCircuitBreaker: { enable: true, rollback: true },
        },
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } },
        propagateTags: 'SERVICE',
        tags: [{ key: 'owner', value: 'sre' }],
      }),
    );
    const service = created.service!;
    const record = state.service('drill', 'api');
    expect(service).toMatchObject({
      serviceArn: `${ARN}:service/drill/api`,
      serviceName: 'api',
      clusterArn: `${ARN}:cluster/drill`,
      status: 'ACTIVE',
      desiredCount: 2,
      runningCount: 0,
      pendingCount: 0,
      launchType: 'FARGATE',
      taskDefinition: `${ARN}:task-definition/web:2`,
      schedulingStrategy: 'REPLICA',
      deploymentController: { type: 'ECS' },
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        strategy: 'ROLLING',
      },
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' } },
      loadBalancers: [],
      serviceRegistries: [],
      placementConstraints: [],
      placementStrategy: [],
      propagateTags: 'SERVICE',
      enableECSManagedTags: false,
      enableExecuteCommand: false,
      createdBy: `arn:aws:iam::${ACCOUNT}:root`,
      events: [],
      tags: [{ key: 'owner', value: 'sre' }],
    });
    expect(service.createdAt).toBeInstanceOf(Date);
    expect(service.createdAt?.getTime()).toBe(record.createdAt);
    expect(service.deployments).toHaveLength(1);
    const deployment = service.deployments![0]!;
    expect(deployment).toMatchObject({
      id: record.deployments[0]!.id,
      status: 'PRIMARY',
      taskDefinition: `${ARN}:task-definition/web:2`,
      desiredCount: 2,
      runningCount: 0,
      pendingCount: 0,
      failedTasks: 0,
      launchType: 'FARGATE',
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: `ECS deployment ${record.deployments[0]!.id} in progress.`,
    });
    expect(deployment.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(deployment.createdAt?.getTime()).toBe(record.deployments[0]!.createdAt);
    expect(deployment.updatedAt?.getTime()).toBe(record.deployments[0]!.updatedAt);

    state.addServiceEvent(record, '(service api) has reached a steady state.');
    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'drill', services: ['api', 'ghost'], include: ['TAGS'] }));
    expect(described.services).toHaveLength(1);
    expect(described.services?.[0]?.tags).toEqual([{ key: 'owner', value: 'sre' }]);
    expect(described.services?.[0]?.events?.[0]?.message).toBe('(service api) has reached a steady state.');
    expect(described.services?.[0]?.events?.[0]?.createdAt?.getTime()).toBe(record.events[0]!.createdAt);
    expect(described.failures).toEqual([{ arn: `${ARN}:service/drill/ghost`, reason: 'MISSING' }]);
    const noTags = await ecs.send(new DescribeServicesCommand({ cluster: `${ARN}:cluster/drill`, services: [`${ARN}:service/drill/api`] }));
    expect(noTags.services?.[0]?.tags).toBeUndefined();
  });

  it('derives runningCount and pendingCount for the service, its deployments and its cluster', async () => {
    const record = state.service('drill', 'api');
    const cluster = state.cluster('drill');
    const definition = state.taskDefinition(record.taskDefinition);
    const deploymentId = record.deployments[0]!.id;
    for (let i = 0; i < 3; i++) {
      tasks.push(state.createTask(cluster, definition, { serviceName: 'api', deploymentId, launchType: 'FARGATE' }));
    }
    const now = Date.now();
    tasks[0]!.lastStatus = 'RUNNING';
    tasks[0]!.startedAt = now;
    tasks[0]!.containers[0]!.lastStatus = 'RUNNING';
    tasks[0]!.containers[0]!.networkBindings = [{ bindIP: '127.0.0.1', containerPort: 8080, hostPort: 41234, protocol: 'tcp' }];
    tasks[1]!.lastStatus = 'PENDING';
    // A task on its way out counts neither as running nor as pending.
    tasks[2]!.lastStatus = 'PENDING';
    tasks[2]!.desiredStatus = 'STOPPED';

    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'drill', services: ['api'] }));
    const service = described.services![0]!;
    expect(service.runningCount).toBe(1);
    expect(service.pendingCount).toBe(1);
    expect(service.deployments?.[0]).toMatchObject({ runningCount: 1, pendingCount: 1 });

    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['drill'] }));
    expect(clusters.clusters?.[0]).toMatchObject({ runningTasksCount: 1, pendingTasksCount: 1, activeServicesCount: 1 });
  });

  it('UpdateService with a new task definition makes a new PRIMARY deployment and the old one ACTIVE', async () => {
    await ecs.send(new RegisterTaskDefinitionCommand(webDefinition('demo:3')));
    const before = mutations;
    const updated = await ecs.send(
      new UpdateServiceCommand({
        cluster: 'drill',
        service: 'api',
        taskDefinition: 'web:3',
        desiredCount: 3,
        healthCheckGracePeriodSeconds: 30,
        deploymentConfiguration: { minimumHealthyPercent: 50 },
      }),
    );
    expect(mutations).toBe(before + 1);
    const service = updated.service!;
    expect(service.taskDefinition).toBe(`${ARN}:task-definition/web:3`);
    expect(service.desiredCount).toBe(3);
    expect(service.healthCheckGracePeriodSeconds).toBe(30);
    expect(service.deploymentConfiguration).toMatchObject({ maximumPercent: 200, minimumHealthyPercent: 50 });
    expect(service.deployments?.map((d) => [d.status, d.taskDefinition, d.rolloutState])).toEqual([
      ['PRIMARY', `${ARN}:task-definition/web:3`, 'IN_PROGRESS'],
      ['ACTIVE', `${ARN}:task-definition/web:2`, 'IN_PROGRESS'],
    ]);
    // The old deployment's tasks still count for it, not for the new one.
    expect(service.deployments?.map((d) => [d.runningCount, d.pendingCount])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(service.deployments?.[0]?.desiredCount).toBe(3);

    const forced = await ecs.send(new UpdateServiceCommand({ cluster: 'drill', service: 'api', forceNewDeployment: true }));
    expect(forced.service?.deployments?.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE', 'ACTIVE']);
    expect(forced.service?.deployments?.[0]?.taskDefinition).toBe(`${ARN}:task-definition/web:3`);

    const scaled = await ecs.send(new UpdateServiceCommand({ cluster: 'drill', service: 'api', desiredCount: 1 }));
    expect(scaled.service?.deployments?.[0]?.desiredCount).toBe(1);
    expect(scaled.service?.deployments).toHaveLength(3);
  });

  it('lists services with pagination (ECS default page of 10)', async () => {
    for (let i = 0; i < 11; i++) {
      await ecs.send(new CreateServiceCommand({ cluster: 'drill', serviceName: `bulk-${i}`, taskDefinition: 'worker', desiredCount: 0, launchType: 'EC2' }));
    }
    const first = await ecs.send(new ListServicesCommand({ cluster: 'drill' }));
    expect(first.serviceArns).toHaveLength(10);
    expect(first.nextToken).toBeTypeOf('string');
    const rest = await ecs.send(new ListServicesCommand({ cluster: 'drill', nextToken: first.nextToken }));
    expect(rest.serviceArns).toHaveLength(2);
    expect(rest.nextToken).toBeUndefined();
    expect([...first.serviceArns!, ...rest.serviceArns!]).toContain(`${ARN}:service/drill/api`);
    const ec2 = await ecs.send(new ListServicesCommand({ cluster: 'drill', launchType: 'EC2', maxResults: 100 }));
    expect(ec2.serviceArns).toHaveLength(11);
    const bad = await failureOf(ecs.send(new ListServicesCommand({ cluster: 'drill', nextToken: 'not-a-token' })));
    expect(bad.name).toBe('InvalidParameterException');
  });

  it('lists tasks by cluster, service, family, startedBy and desiredStatus', async () => {
    const [t0, t1, t2] = tasks;
    const running = await ecs.send(new ListTasksCommand({ cluster: 'drill' }));
    expect(running.taskArns?.sort()).toEqual([t0!.taskArn, t1!.taskArn].sort());
    const byService = await ecs.send(new ListTasksCommand({ cluster: 'drill', serviceName: 'api' }));
    expect(byService.taskArns).toHaveLength(2);
    const byFamily = await ecs.send(new ListTasksCommand({ cluster: 'drill', family: 'web' }));
    expect(byFamily.taskArns).toHaveLength(2);
    const otherFamily = await ecs.send(new ListTasksCommand({ cluster: 'drill', family: 'worker' }));
    expect(otherFamily.taskArns).toEqual([]);
    const byStarter = await ecs.send(new ListTasksCommand({ cluster: 'drill', startedBy: t0!.startedBy }));
    expect(byStarter.taskArns).toHaveLength(2);
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'drill', desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns).toEqual([t2!.taskArn]);
    const paged = await ecs.send(new ListTasksCommand({ cluster: 'drill', maxResults: 1 }));
    expect(paged.taskArns).toHaveLength(1);
    expect(paged.nextToken).toBeTypeOf('string');
    const ghost = await failureOf(ecs.send(new ListTasksCommand({ cluster: 'drill', serviceName: 'ghost' })));
    expect(ghost.name).toBe('ServiceNotFoundException');
  });

  it('describes tasks (MISSING failures, tags, Dates) and stops them through the controller', async () => {
    const [t0, t1] = tasks;
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster: 'drill', tasks: [t0!.taskArn, t1!.taskId, 'nope'], include: ['TAGS'] }),
    );
    expect(described.tasks).toHaveLength(2);
    expect(described.failures).toEqual([{ arn: `${ARN}:task/drill/nope`, reason: 'MISSING' }]);
    const task = described.tasks![0]!;
    expect(task).toMatchObject({
      taskArn: t0!.taskArn,
      clusterArn: `${ARN}:cluster/drill`,
      taskDefinitionArn: `${ARN}:task-definition/web:2`,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      group: 'service:api',
      startedBy: t0!.deploymentId,
      cpu: '256',
      memory: '512',
      attachments: [],
      availabilityZone: 'us-east-1a',
      connectivity: 'CONNECTED',
      overrides: { containerOverrides: [{ name: 'app' }], inferenceAcceleratorOverrides: [] },
      version: 1,
      tags: [],
    });
    expect(task.createdAt?.getTime()).toBe(t0!.createdAt);
    expect(task.startedAt?.getTime()).toBe(t0!.startedAt);
    expect(task.containers?.[0]).toMatchObject({
      taskArn: t0!.taskArn,
      name: 'app',
      image: 'demo:2',
      lastStatus: 'RUNNING',
      healthStatus: 'UNKNOWN',
      networkBindings: [{ bindIP: '127.0.0.1', containerPort: 8080, hostPort: 41234, protocol: 'tcp' }],
    });
    // Internal fields never reach the wire.
    const wire = (await raw('DescribeTasks', JSON.stringify({ cluster: 'drill', tasks: [t0!.taskArn] }))).json;
    const wireTask = (wire['tasks'] as Record<string, unknown>[])[0]!;
    for (const internal of ['healthyAt', 'countsAsFailure', 'serviceName', 'deploymentId', 'taskId']) {
      expect(wireTask).not.toHaveProperty(internal);
    }
    expect(wireTask['createdAt']).toBe(t0!.createdAt / 1000);

    const before = mutations;
    const stoppedWithReason = await ecs.send(new StopTaskCommand({ cluster: 'drill', task: t0!.taskArn, reason: 'drill: chaos' }));
    expect(stoppedWithReason.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'drill: chaos' });
    expect(stoppedWithReason.task?.stoppingAt?.getTime()).toBe(t0!.stoppingAt);
    expect(mutations).toBe(before + 1);
    const stoppedByDefault = await ecs.send(new StopTaskCommand({ cluster: 'drill', task: t1!.taskId }));
    expect(stoppedByDefault.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' });
    // The controller does the stopping: the API only records the request.
    expect(t1!.lastStatus).toBe('PENDING');
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'drill', desiredStatus: 'STOPPED' }));
    expect(stopped.taskArns).toHaveLength(3);

    const unknown = await failureOf(ecs.send(new StopTaskCommand({ cluster: 'drill', task: 'nope' })));
    expect(unknown.name).toBe('InvalidParameterException');
  });

  it('deletes a service (force needed while scaled above 0)', async () => {
    const refused = await failureOf(ecs.send(new DeleteServiceCommand({ cluster: 'drill', service: 'api' })));
    expect(refused.name).toBe('InvalidParameterException');
    const deleted = await ecs.send(new DeleteServiceCommand({ cluster: 'drill', service: 'api', force: true }));
    expect(deleted.service).toMatchObject({ status: 'DRAINING', desiredCount: 0 });
    const again = await failureOf(ecs.send(new UpdateServiceCommand({ cluster: 'drill', service: 'api', desiredCount: 1 })));
    expect(again.name).toBe('ServiceNotActiveException');
    const busy = await failureOf(ecs.send(new DeleteClusterCommand({ cluster: 'drill' })));
    expect(busy.name).toBe('ClusterContainsServicesException');
  });
});

describe('tags', () => {
  it('tags, lists and untags clusters, services, tasks and task definitions', async () => {
    const resources = [
      `${ARN}:cluster/drill`,
      `${ARN}:service/drill/bulk-0`,
      `${ARN}:task-definition/worker:1`,
      [...state.tasks.values()][0]!.taskArn,
    ];
    for (const resourceArn of resources) {
      await ecs.send(new TagResourceCommand({ resourceArn, tags: [{ key: 'drill', value: 'yes' }, { key: 'tmp', value: '1' }] }));
      await ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: ['tmp'] }));
      const listed = await ecs.send(new ListTagsForResourceCommand({ resourceArn }));
      expect(listed.tags, resourceArn).toEqual(expect.arrayContaining([{ key: 'drill', value: 'yes' }]));
      expect(listed.tags?.some((t) => t.key === 'tmp'), resourceArn).toBe(false);
    }
    const missing = await failureOf(ecs.send(new ListTagsForResourceCommand({ resourceArn: `${ARN}:cluster/ghost` })));
    expect(missing.name).toBe('InvalidParameterException');
    const reserved = await failureOf(
      ecs.send(new TagResourceCommand({ resourceArn: `${ARN}:cluster/drill`, tags: [{ key: 'aws:secret', value: 'x' }] })),
    );
    expect(reserved.name).toBe('InvalidParameterException');
  });
});

describe('errors through the SDK', () => {
  it('answers ECS error codes with messages that name the field', async () => {
    const noCluster = await failureOf(ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: ['api'] })));
    expect(noCluster.name).toBe('ClusterNotFoundException');
    expect(noCluster.message).toBe('Cluster not found.');
    expect(noCluster.$metadata?.httpStatusCode).toBe(400);
    expect(noCluster.$fault).toBe('client');

    const noService = await failureOf(ecs.send(new UpdateServiceCommand({ cluster: 'drill', service: 'ghost', desiredCount: 1 })));
    expect(noService.name).toBe('ServiceNotFoundException');

    const negative = await failureOf(
      ecs.send(new CreateServiceCommand({ cluster: 'drill', serviceName: 'neg', taskDefinition: 'worker', desiredCount: -1 })),
    );
    expect(negative.name).toBe('InvalidParameterException');
    expect(negative.message).toContain('desiredCount');

    const maxPercent = await failureOf(
      ecs.send(
        new CreateServiceCommand({
          cluster: 'drill',
          serviceName: 'pct',
          taskDefinition: 'worker',
          desiredCount: 1,
          deploymentConfiguration: { maximumPercent: 50 },
        }),
      ),
    );
    expect(maxPercent.name).toBe('InvalidParameterException');
    expect(maxPercent.message).toContain('deploymentConfiguration.maximumPercent');
    const minPercent = await failureOf(
      ecs.send(new UpdateServiceCommand({ cluster: 'drill', service: 'bulk-1', deploymentConfiguration: { minimumHealthyPercent: 101 } })),
    );
    expect(minPercent.name).toBe('InvalidParameterException');
    expect(minPercent.message).toContain('deploymentConfiguration.minimumHealthyPercent');

    const blueGreen = await failureOf(
      ecs.send(new UpdateServiceCommand({ cluster: 'drill', service: 'bulk-1', deploymentConfiguration: { strategy: 'BLUE_GREEN' } })),
    );
    expect(blueGreen.name).toBe('InvalidParameterException');
    expect(blueGreen.message).toContain('deploymentConfiguration.strategy');

    const noImage = await failureOf(
      ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: [{ name: 'app', memory: 64 }] })),
    );
    expect(noImage.name).toBe('ClientException');
    expect(noImage.message).toBe('Container.image should not be null or empty.');

    const noContainers = await failureOf(ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: [] })));
    expect(noContainers.name).toBe('ClientException');

    const interval = await failureOf(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'bad',
          containerDefinitions: [{ name: 'app', image: 'demo:1', memory: 64, healthCheck: { command: ['CMD', 'true'], interval: 1 } }],
        }),
      ),
    );
    expect(interval.name).toBe('ClientException');
    expect(interval.message).toContain('containerDefinitions[0].healthCheck.interval');
    expect(interval.message).toContain('between 5 and 300');

    const tinyMemory = await failureOf(
      ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: [{ name: 'app', image: 'demo:1', memory: 4 }] })),
    );
    expect(tinyMemory.name).toBe('ClientException');
    expect(tinyMemory.message).toContain("'memory'");

    const fargateCpu = await failureOf(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'bad',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          memory: '512',
          containerDefinitions: [{ name: 'app', image: 'demo:1' }],
        }),
      ),
    );
    expect(fargateCpu.name).toBe('ClientException');
    expect(fargateCpu.message).toContain("'cpu'");

    const noServices = await failureOf(ecs.send(new DescribeServicesCommand({ cluster: 'drill', services: [] })));
    expect(noServices.name).toBe('InvalidParameterException');
    expect(noServices.message).toBe('Services cannot be empty.');

    const noTasks = await failureOf(ecs.send(new DescribeTasksCommand({ cluster: 'drill', tasks: [] })));
    expect(noTasks.message).toBe('Tasks cannot be empty.');

    const blankDefinition = await failureOf(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: '' })));
    expect(blankDefinition.name).toBe('ClientException');
    expect(blankDefinition.message).toBe('Task Definition can not be blank.');

    const unknownDefinition = await failureOf(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'ghost:1' })));
    expect(unknownDefinition.name).toBe('ClientException');

    const noBreakerRollback = await failureOf(
      ecs.send(
        new CreateServiceCommand({
          cluster: 'drill',
          serviceName: 'cb',
          taskDefinition: 'worker',
          desiredCount: 1,
          deploymentConfiguration: { deploymentCircuitBreaker: { enable: true } as { enable: boolean; rollback: boolean } },
        }),
      ),
    );
    expect(noBreakerRollback.name).toBe('InvalidParameterException');
    expect(noBreakerRollback.message).toContain('deploymentConfiguration.deploymentCircuitBreaker.rollback');
  });
});

describe('raw HTTP', () => {
  it('rejects malformed JSON with SerializationException', async () => {
    const res = await raw('ListClusters', '{"maxResults": ');
    expect(res.status).toBe(400);
    expect(res.json['__type']).toBe('SerializationException');
    expect(res.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    const notAnObject = await raw('ListClusters', '[1,2]');
    expect(notAnObject.status).toBe(400);
    expect(notAnObject.json['__type']).toBe('SerializationException');
  });

  it('names an unknown or missing operation in UnknownOperationException', async () => {
    const res = await raw('Frobnicate', '{}');
    expect(res.status).toBe(400);
    expect(res.json['__type']).toBe('UnknownOperationException');
    expect(res.json['message']).toBe('The operation Frobnicate is not supported by the firedrill sandbox.');
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    const none = await raw(undefined, '{}');
    expect(none.status).toBe(400);
    expect(none.json['__type']).toBe('UnknownOperationException');
    expect(String(none.json['message'])).toContain('x-amz-target');
  });

  it('answers GET and other paths with a small AWS-shaped error', async () => {
    const get = await raw(undefined, '', { method: 'GET' });
    expect(get.status).toBe(404);
    expect(get.json['__type']).toBe('UnknownOperationException');
    const elsewhere = await raw('ListClusters', '{}', { path: '/v2/other' });
    expect(elsewhere.status).toBe(404);
  });

  it('takes an empty body as {} and answers with a request id', async () => {
    const res = await raw('ListClusters', '');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json['clusterArns']).toEqual(expect.arrayContaining([`${ARN}:cluster/drill`]));
  });

  it('names the field of a wrongly typed input', async () => {
    const res = await raw('UpdateService', JSON.stringify({ cluster: 'drill', service: 'bulk-1', desiredCount: '2' }));
    expect(res.status).toBe(400);
    expect(res.json['__type']).toBe('InvalidParameterException');
    expect(String(res.json['message'])).toContain('desiredCount');
    const nested = await raw(
      'RegisterTaskDefinition',
      JSON.stringify({ family: 'bad', containerDefinitions: [{ name: 'app', image: 'x', memory: 64, portMappings: [{ containerPort: '80' }] }] }),
    );
    expect(nested.status).toBe(400);
    expect(String(nested.json['message'])).toContain('containerDefinitions[0].portMappings[0].containerPort');
    const unknownFields = await raw('ListClusters', JSON.stringify({ someFutureField: { a: 1 } }));
    expect(unknownFields.status).toBe(200);
  });

  it('turns an unexpected exception into a 500 ServerException, logs it and keeps serving', async () => {
    const original = state.listServices.bind(state);
    state.listServices = () => {
      throw new Error('boom');
    };
    try {
      const res = await raw('ListServices', JSON.stringify({ cluster: 'drill' }));
      expect(res.status).toBe(500);
      expect(res.json['__type']).toBe('ServerException');
      expect(String(res.json['message'])).toContain('boom');
      const sdk = await failureOf(ecs.send(new ListServicesCommand({ cluster: 'drill' })));
      expect(sdk.name).toBe('ServerException');
      expect(sdk.$fault).toBe('server');
    } finally {
      state.listServices = original;
    }
    expect(ofKind(events, 'api.exception').some((e) => e.message.includes('boom'))).toBe(true);
    const after = await ecs.send(new ListServicesCommand({ cluster: 'drill' }));
    expect(after.serviceArns?.length).toBeGreaterThan(0);
  });
});

describe('events and concurrency', () => {
  it('emits api.call events without request bodies', () => {
    const calls = ofKind(events, 'api.call');
    expect(calls.length).toBeGreaterThan(20);
    // Each also names the service and the client; those fields are the faults tests' business.
    expect(calls).toContainEqual(expect.objectContaining({ kind: 'api.call', service: 'ecs', operation: 'CreateCluster', status: 200 }));
    expect(calls).toContainEqual(expect.objectContaining({ kind: 'api.call', operation: 'DescribeServices', status: 400, errorCode: 'ClusterNotFoundException' }));
    expect(calls).toContainEqual(expect.objectContaining({ kind: 'api.call', operation: 'Frobnicate', status: 400, errorCode: 'UnknownOperationException' }));
    // The task definitions carried a secret reference and an environment value: neither is logged.
    const logged = JSON.stringify(events);
    expect(logged).not.toContain('secretsmanager');
    expect(logged).not.toContain('GREETING');
  });

  it('answers 50 parallel DescribeServices', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ecs.send(new DescribeServicesCommand({ cluster: 'drill', services: [`bulk-${i % 11}`, 'api'] })),
      ),
    );
    for (const [i, r] of results.entries()) {
      expect(r.services?.map((s) => s.serviceName)).toEqual([`bulk-${i % 11}`, 'api']);
      expect(r.failures).toEqual([]);
    }
  });
});

describe('AWS CLI', () => {
  const aws = async (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_PAGER: '',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    delete env['AWS_PROFILE'];
    delete env['AWS_DEFAULT_PROFILE'];
    delete env['AWS_SESSION_TOKEN'];
    try {
      const { stdout, stderr } = await execFileAsync(
        'aws',
        ['ecs', ...args, '--endpoint-url', server.url, '--region', 'us-east-1', '--output', 'json'],
        { env, timeout: 60_000 },
      );
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: number };
      return { stdout: e.stdout ?? '', stderr: e.stderr ?? '', code: typeof e.code === 'number' ? e.code : -1 };
    }
  };

  it('creates a cluster, registers task definitions, describes services, lists clusters', async () => {
    const created = await aws('create-cluster', '--cluster-name', 'cli');
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).cluster.clusterArn).toBe(`${ARN}:cluster/cli`);

    const containers = JSON.stringify([{ name: 'app', image: 'demo:1', memory: 64, portMappings: [{ containerPort: 8080 }] }]);
    const registered = await aws('register-task-definition', '--family', 'cli-web', '--container-definitions', containers);
    expect(registered.code, registered.stderr).toBe(0);
    const td = JSON.parse(registered.stdout).taskDefinition;
    expect(td.taskDefinitionArn).toBe(`${ARN}:task-definition/cli-web:1`);
    // The CLI (timestamp format "none") prints the epoch-seconds timestamp as it came.
    expect(typeof td.registeredAt).toBe('number');
    expect(Math.round(td.registeredAt * 1000)).toBe(state.taskDefinition('cli-web:1').registeredAt);

    const input = JSON.stringify({
      family: 'cli-web',
      containerDefinitions: [{ name: 'app', image: 'demo:2', memory: 64 }],
      tags: [{ key: 'via', value: 'cli' }],
    });
    const fromJson = await aws('register-task-definition', '--cli-input-json', input);
    expect(fromJson.code, fromJson.stderr).toBe(0);
    expect(JSON.parse(fromJson.stdout).taskDefinition.revision).toBe(2);

    const service = await aws('create-service', '--cluster', 'cli', '--service-name', 'web', '--task-definition', 'cli-web:2', '--desired-count', '1');
    expect(service.code, service.stderr).toBe(0);

    const described = await aws('describe-services', '--cluster', 'cli', '--services', 'web', 'ghost');
    expect(described.code, described.stderr).toBe(0);
    const body = JSON.parse(described.stdout);
    expect(body.services[0].serviceName).toBe('web');
    expect(body.services[0].deployments[0].status).toBe('PRIMARY');
    expect(body.failures).toEqual([{ arn: `${ARN}:service/cli/ghost`, reason: 'MISSING' }]);

    const listed = await aws('list-clusters');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).clusterArns).toContain(`${ARN}:cluster/cli`);
  });

  it('fails with a non-zero exit and names ClusterNotFoundException', async () => {
    const res = await aws('describe-services', '--cluster', 'nope', '--services', 'web');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('ClusterNotFoundException');
  });
});
