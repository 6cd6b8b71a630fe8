// CreateService, UpdateService, DescribeServices, ListServices, DeleteService.

import { serviceArn } from '../../control/arns.ts';
import type { Service } from '../../control/model.ts';
import { missing, serviceShape } from '../shapes.ts';
import * as v from '../validate.ts';
import { paginate, read, write } from './common.ts';
import type { OperationTable } from './common.ts';

/** Fields the state's inputs don't carry but the Service record has; set after the state call. */
const applyExtras = (service: Service, extras: v.ServiceExtras): void => {
  if (extras.propagateTags !== undefined) service.propagateTags = extras.propagateTags;
  if (extras.enableECSManagedTags !== undefined) service.enableECSManagedTags = extras.enableECSManagedTags;
  if (extras.enableExecuteCommand !== undefined) service.enableExecuteCommand = extras.enableExecuteCommand;
  if (extras.roleArn !== undefined) service.roleArn = extras.roleArn;
};

/** ListServices returns 10 ARNs per page unless told otherwise, as ECS does. */
const LIST_SERVICES_DEFAULT_MAX = 10;

export const serviceOperations: OperationTable = {
  CreateService: write((input, { state }) => {
    const { cluster, service: serviceInput, extras } = v.createService(input);
    const service = state.createService(cluster, serviceInput);
    applyExtras(service, extras);
    return { service: serviceShape(state, service, { includeTags: true }) };
  }),

  UpdateService: write((input, { state }) => {
    const { cluster, service: ref, update, extras } = v.updateService(input);
    const service = state.updateService(cluster, ref, update);
    applyExtras(service, extras);
    return { service: serviceShape(state, service, { includeTags: false }) };
  }),

  DescribeServices: read((input, { state }) => {
    const { cluster: clusterRef, services, includeTags } = v.describeServices(input);
    const cluster = state.cluster(clusterRef);
    const found = [];
    const failures = [];
    for (const ref of services) {
      const service = state.findService(cluster, ref);
      if (service) found.push(serviceShape(state, service, { includeTags }));
      else failures.push(missing(ref.startsWith('arn:') ? ref : serviceArn(state.partition, cluster.clusterName, ref)));
    }
    return { services: found, failures };
  }),

  ListServices: read((input, { state }) => {
    const { cluster, launchType, ...page } = v.listServices(input);
    const arns = state
      .listServices(cluster)
      .filter((arn) => !launchType || state.services.get(arn)?.launchType === launchType);
    const { items, nextToken } = paginate(arns, page, LIST_SERVICES_DEFAULT_MAX);
    return { serviceArns: items, nextToken };
  }),

  DeleteService: write((input, { state }) => {
    const { cluster, service: ref, force } = v.deleteService(input);
    const service = state.deleteService(cluster, ref, force);
    return { service: serviceShape(state, service, { includeTags: false }) };
  }),
};
