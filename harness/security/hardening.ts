// What a container may do to its host: privileged mode, the root user, a writable root
// filesystem, the host's network and process namespaces, added Linux capabilities.

import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import type { TaskDefinitionInput } from '../releases/task-definition.ts';
import type { Finding } from './findings.ts';

/** Capabilities that amount to root on the host. */
const DANGEROUS_CAPABILITIES = new Set(['ALL', 'SYS_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'NET_ADMIN', 'DAC_READ_SEARCH', 'SYS_RAWIO', 'BPF']);

/** `root`, `0`, `root:root`, `0:0`, or nothing (an image runs as root unless it says otherwise). */
export const runsAsRoot = (user: string | undefined): boolean => user === undefined || user === '' || /^(root|0)(:.*)?$/.test(user);

export const containerHardening = (container: ContainerDefinition, task: Pick<TaskDefinitionInput, 'networkMode' | 'runtimePlatform'>): Finding[] => {
  const findings: Finding[] = [];
  const name = container.name;
  if (container.privileged === true) {
    findings.push({
      id: 'privileged-container',
      severity: 'high',
      control: 'ECS.4',
      title: 'the container runs privileged: it has every capability and every device of the host',
      location: { container: name, field: 'privileged' },
      fix: 'remove privileged (or set it to false) and add only the capabilities the app needs, if any',
    });
  }
  const windows = task.runtimePlatform?.operatingSystemFamily?.startsWith('WINDOWS') ?? false;
  if (!windows && runsAsRoot(container.user)) {
    findings.push({
      id: 'root-user',
      severity: task.networkMode === 'host' && container.privileged !== true ? 'high' : 'medium',
      control: task.networkMode === 'host' && container.privileged !== true ? 'ECS.1, ECS.20' : 'ECS.20',
      title: container.user ? `the container runs as ${container.user}` : 'the container sets no user, so it runs as the image\'s user: root unless the image says otherwise',
      location: { container: name, field: 'user' },
      fix: 'set user to a non-root UID (for example "1000:1000") and make sure the image lets that user read the app and bind its port (above 1024)',
    });
  }
  if (container.readonlyRootFilesystem !== true) {
    findings.push({
      id: 'writable-root-filesystem',
      severity: 'high',
      control: 'ECS.5',
      title: 'the container can write to its root filesystem, so a compromise can change the app on disk',
      location: { container: name, field: 'readonlyRootFilesystem' },
      fix: 'set readonlyRootFilesystem to true, with a volume (or tmpfs) for the paths the app writes, such as /tmp',
    });
  }
  const added = container.linuxParameters?.capabilities?.add ?? [];
  if (added.length > 0) {
    const dangerous = added.filter((c) => DANGEROUS_CAPABILITIES.has(c.replace(/^CAP_/, '')));
    findings.push({
      id: 'added-capabilities',
      severity: dangerous.length > 0 ? 'high' : 'medium',
      title: `the container adds Linux capabilities ${added.join(', ')}${dangerous.length > 0 ? ` (${dangerous.join(', ')} amount to root on the host)` : ''}`,
      location: { container: name, field: 'linuxParameters.capabilities.add' },
      fix: 'drop the added capabilities, or keep only the one the app needs and say why in the task definition\'s tags',
    });
  }
  return findings;
};

export const taskHardening = (task: Pick<TaskDefinitionInput, 'networkMode' | 'pidMode'>): Finding[] => {
  const findings: Finding[] = [];
  if (task.networkMode === 'host') {
    findings.push({
      id: 'host-network-mode',
      severity: 'medium',
      control: 'ECS.17',
      title: 'the task uses the host\'s network: its containers share the host\'s interfaces and ports',
      location: { field: 'networkMode' },
      fix: 'use networkMode awsvpc (Fargate\'s only mode) or bridge',
    });
  }
  if (task.pidMode === 'host') {
    findings.push({
      id: 'host-pid-mode',
      severity: 'high',
      control: 'ECS.3',
      title: 'the task shares the host\'s process namespace: its containers see, and can signal, every process on the host',
      location: { field: 'pidMode' },
      fix: 'remove pidMode, or set it to task to share processes only between the task\'s own containers',
    });
  }
  return findings;
};
