// ListTasks, DescribeTasks, StopTask. Tasks are started by the controller, not through the API.

import { taskArn } from '../../control/arns.ts';
import { EcsError, serviceNotFound } from '../../control/errors.ts';
import { missing, taskShape } from '../shapes.ts';
import * as v from '../validate.ts';
import { paginate, read, write } from './common.ts';
import type { OperationTable } from './common.ts';

export const taskOperations: OperationTable = {
  ListTasks: read((input, { state }) => {
    const { cluster: clusterRef, filter, launchType, ...page } = v.listTasks(input);
    const cluster = state.cluster(clusterRef);
    // ECS answers ServiceNotFoundException for a service it does not know, not an empty list.
    if (filter.serviceName && !state.findService(cluster, filter.serviceName)) throw serviceNotFound();
    const arns = state
      .listTasks(cluster.clusterArn, filter)
      .filter((arn) => !launchType || state.tasks.get(arn)?.launchType === launchType);
    const { items, nextToken } = paginate(arns, page);
    return { taskArns: items, nextToken };
  }),

  DescribeTasks: read((input, { state }) => {
    const { cluster: clusterRef, tasks, includeTags } = v.describeTasks(input);
    const cluster = state.cluster(clusterRef);
    const found = [];
    const failures = [];
    for (const ref of tasks) {
      const task = state.task(cluster.clusterArn, ref);
      if (task) found.push(taskShape(state, task, { includeTags }));
      else failures.push(missing(ref.startsWith('arn:') ? ref : taskArn(state.partition, cluster.clusterName, ref)));
    }
    return { tasks: found, failures };
  }),

  StopTask: write((input, { state }) => {
    const { cluster, task: ref, reason } = v.stopTask(input);
    const task = state.task(cluster, ref);
    if (!task) throw new EcsError('InvalidParameterException', 'The referenced task was not found.');
    // The controller drains and stops the task; the API only records the request, as ECS does.
    state.requestStop(task, 'UserInitiated', reason);
    return { task: taskShape(state, task, { includeTags: false }) };
  }),
};
