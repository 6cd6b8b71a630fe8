// ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions, StopServiceDeployment.

import { missing, serviceDeploymentBriefShape, serviceDeploymentShape, serviceRevisionShape } from '../shapes.ts';
import * as v from '../validate.ts';
import { paginate, read, write } from './common.ts';
import type { OperationTable } from './common.ts';

/** ListServiceDeployments returns 20 per page unless told otherwise, as ECS does. */
const LIST_DEFAULT_MAX = 20;

export const serviceDeploymentOperations: OperationTable = {
  ListServiceDeployments: read((input, { state }) => {
    const { cluster, service, status, createdAfter, createdBefore, ...page } = v.listServiceDeployments(input);
    const records = state.listServiceDeployments(cluster, service, { status, createdAfter, createdBefore });
    const { items, nextToken } = paginate(records, page, LIST_DEFAULT_MAX);
    return { serviceDeployments: items.map(serviceDeploymentBriefShape), nextToken };
  }),

  DescribeServiceDeployments: read((input, { state }) => {
    const arns = v.arnList(input, 'serviceDeploymentArns', 20);
    const found = [];
    const failures = [];
    for (const arn of arns) {
      const record = state.serviceDeployments.get(arn);
      if (record) found.push(serviceDeploymentShape(state, record));
      else failures.push(missing(arn));
    }
    return { serviceDeployments: found, failures };
  }),

  DescribeServiceRevisions: read((input, { state }) => {
    const arns = v.arnList(input, 'serviceRevisionArns', 20);
    const found = [];
    const failures = [];
    for (const arn of arns) {
      const revision = state.serviceRevisions.get(arn);
      if (revision) found.push(serviceRevisionShape(revision));
      else failures.push(missing(arn));
    }
    return { serviceRevisions: found, failures };
  }),

  StopServiceDeployment: write((input, { state }) => {
    const { serviceDeploymentArn, stopType } = v.stopServiceDeployment(input);
    return { serviceDeploymentArn: state.stopServiceDeployment(serviceDeploymentArn, stopType).serviceDeploymentArn };
  }),
};
