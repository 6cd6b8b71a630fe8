// CreateCluster, DescribeClusters, ListClusters, DeleteCluster.

import { clusterArn } from '../../control/arns.ts';
import { clusterShape } from '../shapes.ts';
import * as v from '../validate.ts';
import { ApiError, paginate, read, write } from './common.ts';
import type { OperationTable } from './common.ts';

export const clusterOperations: OperationTable = {
  CreateCluster: write((input, { state }) => {
    const { clusterName, tags } = v.createCluster(input);
    const cluster = state.createCluster(clusterName, tags);
    return { cluster: clusterShape(state, cluster, { includeTags: true }) };
  }),

  DescribeClusters: read((input, { state }) => {
    const { clusters, includeTags } = v.describeClusters(input);
    const found = [];
    const failures = [];
    for (const ref of clusters) {
      // ECS still describes a deleted (INACTIVE) cluster for a while; so does the sandbox.
      const cluster = state.findCluster(ref);
      if (cluster) found.push(clusterShape(state, cluster, { includeTags }));
      else failures.push({ arn: ref.startsWith('arn:') ? ref : clusterArn(state.partition, ref), reason: 'MISSING' });
    }
    return { clusters: found, failures };
  }),

  ListClusters: read((input, { state }) => {
    const page = v.listClusters(input);
    const arns = [...state.clusters.values()].filter((c) => c.status === 'ACTIVE').map((c) => c.clusterArn);
    const { items, nextToken } = paginate(arns, page);
    return { clusterArns: items, nextToken };
  }),

  DeleteCluster: write((input, { state }) => {
    const { cluster: ref } = v.deleteCluster(input);
    const cluster = state.cluster(ref);
    // ECS answers with these two codes; the state's own check throws a ClientException.
    const services = [...state.services.values()].some((s) => s.clusterArn === cluster.clusterArn && s.status !== 'INACTIVE');
    if (services) throw new ApiError('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.');
    const tasks = [...state.tasks.values()].some((t) => t.clusterArn === cluster.clusterArn && t.lastStatus !== 'STOPPED');
    if (tasks) throw new ApiError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
    const deleted = state.deleteCluster(ref);
    return { cluster: clusterShape(state, deleted, { includeTags: false }) };
  }),
};
