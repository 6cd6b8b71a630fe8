// TagResource, UntagResource, ListTagsForResource.

import { tagsShape } from '../shapes.ts';
import * as v from '../validate.ts';
import { read, write } from './common.ts';
import type { OperationTable } from './common.ts';

export const tagOperations: OperationTable = {
  TagResource: write((input, { state }) => {
    const { resourceArn, tags } = v.tagResource(input);
    state.tagResource(resourceArn, tags);
    return {};
  }),

  UntagResource: write((input, { state }) => {
    const { resourceArn, tagKeys } = v.untagResource(input);
    state.untagResource(resourceArn, tagKeys);
    return {};
  }),

  ListTagsForResource: read((input, { state }) => {
    const { resourceArn } = v.listTagsForResource(input);
    return { tags: tagsShape(state.resourceTags(resourceArn)) };
  }),
};
