// Image references as Docker reads them, resolved against the sandbox's stand-in registry
// (SandboxConfig.images). Pure: no I/O.

import type { ImageConfig } from '../types/config.ts';
import { stoppedReason } from '../control/messages.ts';

export interface ImageRef {
  /** Registry host, when the reference names one (`123456789012.dkr.ecr...`, `localhost:5000`). */
  registry?: string;
  /** Path inside the registry, the key of SandboxConfig.images (`firedrill/demo-app`). */
  repository: string;
  /** The tag, `latest` when none is given; for a digest-only reference, the digest itself. */
  tag: string;
  digest?: string;
}

export type ImageResolution = { ok: true; ref: ImageRef; image: ImageConfig; tag: string } | { ok: false; reason: string };

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Splits an image reference; undefined when it is not one Docker would accept. */
export const parseImageRef = (reference: string): ImageRef | undefined => {
  if (reference === '' || /\s/.test(reference)) return undefined;

  const at = reference.indexOf('@');
  const digest = at === -1 ? undefined : reference.slice(at + 1);
  if (digest !== undefined && !/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest)) return undefined;
  const named = at === -1 ? reference : reference.slice(0, at);

  // The tag is after the last colon, unless that colon belongs to a registry host's port.
  const lastSlash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const hasTag = colon > lastSlash;
  const path = hasTag ? named.slice(0, colon) : named;
  const tag = hasTag ? named.slice(colon + 1) : undefined;
  if (tag === '') return undefined;

  const segments = path.split('/');
  const first = segments[0] ?? '';
  const isRegistry = segments.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = isRegistry ? first : undefined;
  let repository = (isRegistry ? segments.slice(1) : segments).join('/');
  // Docker Hub's official images live under library/: `docker.io/library/x` is `x`.
  if ((registry === undefined || DOCKER_HUB.has(registry)) && repository.startsWith('library/')) {
    repository = repository.slice('library/'.length);
  }
  if (repository === '' || segments.some((s) => s === '')) return undefined;

  return {
    ...(registry !== undefined && { registry }),
    repository,
    tag: tag ?? digest ?? 'latest',
    ...(digest !== undefined && { digest }),
  };
};

/** Finds the image a container asks for, or says why pulling it fails the way ECS says it. */
export const resolveImage = (reference: string, images: Record<string, ImageConfig>): ImageResolution => {
  const ref = parseImageRef(reference);
  if (ref === undefined) return { ok: false, reason: stoppedReason.cannotPull(reference, 'invalid reference format') };
  const image = Object.hasOwn(images, ref.repository) ? images[ref.repository] : undefined;
  if (image === undefined || (image.tags.length > 0 && !image.tags.includes(ref.tag))) {
    return { ok: false, reason: stoppedReason.cannotPull(reference, 'not found') };
  }
  return { ok: true, ref, image, tag: ref.tag };
};
