// The tag of an image reference: what a team ships by. Pure.

/** `repo:tag` -> tag; `host:5000/repo:tag` -> tag; a digest or no tag -> undefined. */
export const tagOf = (image: string): string | undefined => {
  if (image.includes('@')) return undefined;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  return colon === -1 ? undefined : image.slice(colon + 1);
};
