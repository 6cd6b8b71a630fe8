// ARN formats as ECS writes them today (the "new" long ARN format for services and tasks).

export interface Partition {
  region: string;
  accountId: string;
}

const prefix = (p: Partition): string => `arn:aws:ecs:${p.region}:${p.accountId}`;

export const clusterArn = (p: Partition, name: string): string => `${prefix(p)}:cluster/${name}`;
export const taskDefinitionArn = (p: Partition, family: string, revision: number): string =>
  `${prefix(p)}:task-definition/${family}:${revision}`;
export const serviceArn = (p: Partition, cluster: string, name: string): string =>
  `${prefix(p)}:service/${cluster}/${name}`;
export const taskArn = (p: Partition, cluster: string, id: string): string => `${prefix(p)}:task/${cluster}/${id}`;
export const serviceDeploymentArn = (p: Partition, cluster: string, service: string, id: string): string =>
  `${prefix(p)}:service-deployment/${cluster}/${service}/${id}`;
export const serviceRevisionArn = (p: Partition, cluster: string, service: string, id: string): string =>
  `${prefix(p)}:service-revision/${cluster}/${service}/${id}`;
export const containerArn = (p: Partition, cluster: string, taskId: string, id: string): string =>
  `${prefix(p)}:container/${cluster}/${taskId}/${id}`;

/** The last path segment of an ARN, or the input when it is a plain name. */
export const nameFromArn = (arnOrName: string): string => {
  if (!arnOrName.startsWith('arn:')) return arnOrName;
  const resource = arnOrName.split(':').slice(5).join(':');
  const parts = resource.split('/');
  return parts[parts.length - 1] ?? resource;
};

/** `family`, `family:revision` or a task definition ARN, split. */
export const parseTaskDefinitionRef = (ref: string): { family: string; revision?: number } => {
  const tail = ref.startsWith('arn:') ? ref.slice(ref.indexOf('task-definition/') + 'task-definition/'.length) : ref;
  const colon = tail.lastIndexOf(':');
  if (colon === -1) return { family: tail };
  const revision = Number(tail.slice(colon + 1));
  if (!Number.isInteger(revision) || revision < 1) return { family: tail };
  return { family: tail.slice(0, colon), revision };
};

/** The target group's name inside an ELBv2 target group ARN (`.../targetgroup/<name>/<id>`). */
export const targetGroupName = (arn: string): string => {
  const m = /targetgroup\/([^/]+)/.exec(arn);
  return m?.[1] ?? arn;
};
