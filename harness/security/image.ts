// The image a release ships: pinned to a tag that names one build, and a candidate that is a
// different build from the current release. A release by tag can only be rolled back by tag when
// the tag means one thing.

import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { effectiveTag, parseImageRef } from '../releases/image-ref.ts';
import type { Finding } from './findings.ts';

export interface ImageContext {
  /** The image tag being validated (`--candidate`). */
  candidateTag?: string;
  /** The current release's image, for the essential container. */
  currentImage?: string;
}

export const imagePinning = (container: ContainerDefinition, essential: boolean, context: ImageContext = {}): Finding[] => {
  const image = container.image ?? '';
  const ref = parseImageRef(image);
  const findings: Finding[] = [];
  const location = { container: container.name, field: 'image' };
  if (ref.digest === undefined && (ref.tag === undefined || ref.tag === 'latest')) {
    findings.push({
      id: 'image-not-pinned',
      severity: 'high',
      title: `image ${image} is ${ref.tag === undefined ? 'not tagged (it pulls latest)' : 'tagged latest'}: every deployment may pull a different build, and no rollback can name the previous one`,
      location,
      fix: `pin the image to a release tag that names one build (${ref.name}:v1.4.2, a git SHA) or to a digest (${ref.name}@sha256:...)`,
    });
  }
  if (ref.digest !== undefined) {
    findings.push({
      id: 'image-pinned-by-digest',
      severity: 'info',
      title: `image ${image} is pinned by digest: releases by tag (a candidate, a rollback to the previous tag) replace the digest with the tag`,
      location,
      fix: 'nothing to fix; check that the tag firedrill deploys points at the build the digest names',
    });
  }
  if (essential && context.candidateTag !== undefined && context.currentImage !== undefined) {
    const current = effectiveTag(parseImageRef(context.currentImage));
    if (current === context.candidateTag) {
      findings.push({
        id: 'candidate-tag-unchanged',
        severity: 'high',
        title: `the candidate tag ${context.candidateTag} is the current release's tag: validating it proves nothing about a new build, and rolling back to it changes nothing`,
        location,
        fix: 'give every build its own tag and validate the new one',
      });
    }
  }
  return findings;
};
