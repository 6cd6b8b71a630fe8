// The JSON paths of HTTP checks: dots and [n], as in `orders[0].status` (and `orders.length`,
// an array's own property). Deliberately small: scenarios name one value to compare, they do
// not query. Pure.

type Segment = string | number;

const segmentPattern = /([^.[\]]+)|\[(\d+)\]|(\.)/y;

/** Splits `a.b[0].c` into ['a', 'b', 0, 'c']; undefined when the path is not of that form. */
export function parseJsonPath(path: string): Segment[] | undefined {
  const segments: Segment[] = [];
  segmentPattern.lastIndex = 0;
  let expectName = true; // at the start and after a dot a name must follow
  while (segmentPattern.lastIndex < path.length) {
    const match = segmentPattern.exec(path);
    if (!match) return undefined;
    const [, name, index, dot] = match;
    if (name !== undefined) {
      if (!expectName) return undefined;
      segments.push(name);
      expectName = false;
    } else if (index !== undefined) {
      if (expectName && segments.length > 0) return undefined; // `a.[0]`
      segments.push(Number(index));
      expectName = false;
    } else if (dot !== undefined) {
      if (expectName) return undefined; // `.a` or `a..b`
      expectName = true;
    }
  }
  return segments.length > 0 && !expectName ? segments : undefined;
}

export type JsonPathLookup = { found: true; value: unknown } | { found: false; missing: string };

/** Follows `segments` into `root`; when a step is absent, `missing` is the path up to and including it. */
export function readJsonPath(root: unknown, segments: Segment[]): JsonPathLookup {
  let current = root;
  let walked = '';
  for (const segment of segments) {
    walked += typeof segment === 'number' ? `[${segment}]` : walked === '' ? segment : `.${segment}`;
    const container = typeof segment === 'number' ? Array.isArray(current) : typeof current === 'object' && current !== null;
    if (!container || !Object.hasOwn(current as object, segment)) return { found: false, missing: walked };
    current = (current as Record<string | number, unknown>)[segment];
  }
  return { found: true, value: current };
}
