// Each source folder declares in DEPS.list what it may import, in the manner of Playwright's
// DEPS.list; this check fails when code reaches past its declaration. It is how the harness
// and the sandbox keep meeting only through the ECS API, and how pure folders stay free of I/O.
//
// DEPS.list: one entry a line, `#` starts a comment. An entry is a repo-relative folder
// (`sandbox/control/`), a file (`sandbox/index.ts`), or a package (`zod`, `node:fs`,
// `@aws-sdk/*`, `node:*`). A file may always import from its own folder. A folder without a
// DEPS.list follows the nearest one above it.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const governed = ['harness', 'sandbox', 'lib', 'drills', 'bench', 'scripts', 'localstack'];
const sourceFile = /\.(ts|mts|mjs|js)$/;
const importPattern = /(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(path).isDirectory() ? walk(path) : sourceFile.test(name) ? [path] : [];
  });

const toPosix = (p: string) => p.split(sep).join('/');

const depsFor = (file: string): { listFile: string; entries: string[] } | undefined => {
  for (let dir = dirname(file); dir.startsWith(root) && dir !== root; dir = dirname(dir)) {
    const listFile = join(dir, 'DEPS.list');
    if (existsSync(listFile)) {
      const entries = readFileSync(listFile, 'utf8')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter(Boolean);
      return { listFile, entries };
    }
  }
  return undefined;
};

const packageName = (spec: string): string =>
  spec.startsWith('node:') ? spec : spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);

const allowed = (entries: string[], target: string, isPackage: boolean): boolean =>
  entries.some((entry) => {
    if (isPackage) {
      if (entry.endsWith('*')) return target.startsWith(entry.slice(0, -1));
      return entry === target;
    }
    return entry.endsWith('/') ? target.startsWith(entry) : target === entry;
  });

const problems: string[] = [];
// Folder -> folders it imports from, a folder being the one whose DEPS.list governs the file.
const folderEdges = new Map<string, Map<string, string>>();
const unitOf = (file: string): string | undefined => {
  const deps = depsFor(file);
  return deps && toPosix(relative(root, dirname(deps.listFile)));
};
for (const top of governed) {
  const dir = join(root, top);
  if (!existsSync(dir)) continue;
  for (const file of walk(dir)) {
    const rel = toPosix(relative(root, file));
    const deps = depsFor(file);
    if (!deps) {
      problems.push(`${rel}: no DEPS.list governs this file; add one to its folder`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    const ownFolder = toPosix(relative(root, dirname(deps.listFile))) + '/';
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (!spec) continue;
      const line = text.slice(0, match.index).split('\n').length;
      if (spec.startsWith('.')) {
        const target = toPosix(relative(root, resolve(dirname(file), spec)));
        const from = toPosix(relative(root, dirname(deps.listFile)));
        const to = unitOf(resolve(dirname(file), spec));
        if (to !== undefined && to !== from) {
          const edges = folderEdges.get(from) ?? new Map<string, string>();
          if (!edges.has(to)) edges.set(to, `${rel}:${line}`);
          folderEdges.set(from, edges);
        }
        if (target.startsWith(ownFolder) || allowed(deps.entries, target, false)) continue;
        problems.push(`${rel}:${line}: imports ${target}, which ${toPosix(relative(root, deps.listFile))} does not allow`);
      } else {
        const name = packageName(spec);
        if (allowed(deps.entries, name, true)) continue;
        problems.push(`${rel}:${line}: imports package ${name}, which ${toPosix(relative(root, deps.listFile))} does not allow`);
      }
    }
  }
}

// No folder cycles: a folder that imports a folder that imports it back cannot be understood,
// tested or moved on its own. Each cycle is reported once, with one import for each of its arrows.
const cycles = (): string[][] => {
  const found: string[][] = [];
  const seen = new Set<string>();
  const visit = (node: string, path: string[]) => {
    for (const next of [...(folderEdges.get(node)?.keys() ?? [])].sort()) {
      const at = path.indexOf(next);
      if (at >= 0) {
        const cycle = path.slice(at);
        const key = [...cycle].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          found.push(cycle);
        }
      } else if (path.length < 12) visit(next, [...path, next]);
    }
  };
  for (const node of [...folderEdges.keys()].sort()) visit(node, [node]);
  return found;
};
for (const cycle of cycles()) {
  const arrows = cycle.map((from, i) => {
    const to = cycle[(i + 1) % cycle.length]!;
    return `${from}/ -> ${to}/ (${folderEdges.get(from)!.get(to)})`;
  });
  problems.push(`folder cycle: ${arrows.join(', ')}`);
}

if (problems.length > 0) {
  process.stderr.write(`Dependency rules broken (see the DEPS.list files):\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('DEPS.list rules hold\n');
