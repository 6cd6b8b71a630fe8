// A read-only picture of an ECS environment (clusters, services, deployments and tasks), gathered
// with the same read calls an operator would make, and whether an endpoint answers at all. Used
// by the sandbox's commands only, through the driver; never against an AWS account.

import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  type Cluster,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';

export interface ClusterSnapshot {
  cluster: Cluster;
  services: Service[];
  tasks: Task[];
}

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** Whether an ECS endpoint answers ListClusters within `timeoutMs`. */
export const ecsAnswers = async (client: ECSClient, timeoutMs: number): Promise<boolean> => {
  try {
    await client.send(new ListClustersCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
};

export const readEnvironmentSnapshot = async (client: ECSClient): Promise<ClusterSnapshot[]> => {
  const clusterArns = (await client.send(new ListClustersCommand({}))).clusterArns ?? [];
  if (clusterArns.length === 0) return [];
  const clusters = (await client.send(new DescribeClustersCommand({ clusters: clusterArns }))).clusters ?? [];
  return Promise.all(
    clusters.map(async (cluster) => {
      const serviceArns = (await client.send(new ListServicesCommand({ cluster: cluster.clusterArn }))).serviceArns ?? [];
      const services: Service[] = [];
      for (const batch of chunks(serviceArns, 10)) {
        services.push(...((await client.send(new DescribeServicesCommand({ cluster: cluster.clusterArn, services: batch }))).services ?? []));
      }
      const taskArns = (await client.send(new ListTasksCommand({ cluster: cluster.clusterArn }))).taskArns ?? [];
      const tasks: Task[] = [];
      for (const batch of chunks(taskArns, 100)) {
        tasks.push(...((await client.send(new DescribeTasksCommand({ cluster: cluster.clusterArn, tasks: batch }))).tasks ?? []));
      }
      return { cluster, services, tasks };
    }),
  );
};

const shortId = (arn: string | undefined): string => arn?.split('/').pop() ?? '-';
const family = (arn: string | undefined): string => arn?.split('/').pop() ?? '-';

export const formatSnapshot = (snapshot: ClusterSnapshot[], endpoint: string): string => {
  if (snapshot.length === 0) return `${endpoint}: no clusters yet\n`;
  const lines: string[] = [];
  for (const { cluster, services, tasks } of snapshot) {
    lines.push(`cluster ${cluster.clusterName} (${cluster.status}): ${services.length} services, ${cluster.runningTasksCount ?? 0} running, ${cluster.pendingTasksCount ?? 0} pending tasks`);
    for (const service of services) {
      lines.push(`  service ${service.serviceName} (${service.status}) ${family(service.taskDefinition)}: running ${service.runningCount}/${service.desiredCount}, pending ${service.pendingCount}`);
      for (const d of service.deployments ?? []) {
        lines.push(`    deployment ${d.id} ${d.status} ${d.rolloutState} ${family(d.taskDefinition)} running ${d.runningCount}/${d.desiredCount} failed ${d.failedTasks}: ${d.rolloutStateReason ?? ''}`);
      }
      for (const e of (service.events ?? []).slice(0, 5)) lines.push(`    event ${e.createdAt?.toISOString() ?? ''} ${e.message ?? ''}`);
      for (const t of tasks.filter((t) => t.group === `service:${service.serviceName}`)) {
        const port = t.containers?.[0]?.networkBindings?.[0]?.hostPort;
        lines.push(`    task ${shortId(t.taskArn)} ${t.lastStatus} health ${t.healthStatus} ${family(t.taskDefinitionArn)}${port ? ` port ${port}` : ''}`);
      }
    }
  }
  return lines.join('\n') + '\n';
};
