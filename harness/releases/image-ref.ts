// Image references split just far enough to swap the tag: the registry host may carry a port
// (`localhost:5000/app`), a digest pins the image (`app@sha256:...`), and no tag means latest.

export interface ImageRef {
  /** Everything before the tag: registry host (with port), path and repository. */
  name: string;
  tag?: string;
  digest?: string;
}

// Docker's grammar for a tag; anything else fails as "invalid reference format", not "not found".
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export const isValidTag = (tag: string): boolean => TAG.test(tag);

export const parseImageRef = (image: string): ImageRef => {
  const at = image.indexOf('@');
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const named = at === -1 ? image : image.slice(0, at);
  // The last colon starts the tag only when it comes after the last slash; before it, the
  // colon belongs to the registry host's port.
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  return {
    name: hasTag ? named.slice(0, colon) : named,
    ...(hasTag && { tag: named.slice(colon + 1) }),
    ...(digest !== undefined && { digest }),
  };
};

/** The tag Docker pulls: the explicit one, latest without one, none for a digest-only reference. */
export const effectiveTag = (ref: ImageRef): string | undefined => ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);

/** The same image name with another tag. The digest goes too: Docker pulls by digest when one is given, ignoring the tag. */
export const withTag = (image: string, tag: string): string => `${parseImageRef(image).name}:${tag}`;
