// RegisterTaskDefinition, DescribeTaskDefinition, DeregisterTaskDefinition, ListTaskDefinitions,
// ListTaskDefinitionFamilies.

import { taskDefinitionShape, tagsShape } from '../shapes.ts';
import * as v from '../validate.ts';
import { paginate, read, write } from './common.ts';
import type { OperationTable } from './common.ts';

export const taskDefinitionOperations: OperationTable = {
  RegisterTaskDefinition: write((input, { state }) => {
    const definition = state.registerTaskDefinition(v.registerTaskDefinition(input));
    return { taskDefinition: taskDefinitionShape(state, definition), tags: tagsShape(definition.tags) };
  }),

  DescribeTaskDefinition: read((input, { state }) => {
    const { taskDefinition, includeTags } = v.describeTaskDefinition(input);
    const definition = state.taskDefinition(taskDefinition);
    return {
      taskDefinition: taskDefinitionShape(state, definition),
      tags: includeTags ? tagsShape(definition.tags) : undefined,
    };
  }),

  DeregisterTaskDefinition: write((input, { state }) => {
    const { taskDefinition } = v.deregisterTaskDefinition(input);
    return { taskDefinition: taskDefinitionShape(state, state.deregisterTaskDefinition(taskDefinition)) };
  }),

  ListTaskDefinitions: read((input, { state }) => {
    const { familyPrefix, status, sort, ...page } = v.listTaskDefinitions(input);
    const arns = state.listTaskDefinitions({ familyPrefix, status, sort });
    const { items, nextToken } = paginate(arns, page);
    return { taskDefinitionArns: items, nextToken };
  }),

  ListTaskDefinitionFamilies: read((input, { state }) => {
    const { familyPrefix, status, ...page } = v.listTaskDefinitionFamilies(input);
    // ACTIVE: families with an ACTIVE revision; INACTIVE: families with none (ECS's definition).
    const families = [...state.taskDefinitions.entries()]
      .filter(([family]) => !familyPrefix || family.startsWith(familyPrefix))
      .filter(([, revisions]) => {
        const active = revisions.some((d) => d.status === 'ACTIVE');
        return status === 'ALL' || (status === 'ACTIVE' ? active : !active);
      })
      .map(([family]) => family)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const { items, nextToken } = paginate(families, page);
    return { families: items, nextToken };
  }),
};
