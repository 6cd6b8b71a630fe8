// Bad files of the kinds the config fuzzer (test/unit/config-fuzz.test.ts) found crashing the
// loader, given to the command as a user gives them: one line naming file:line:column, exit 2,
// no stack trace and no process warning, and nothing touched (each fails before any ECS call).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpFiredrill, describeRun, ROOT, runFiredrill, tempDir } from '../support/firedrill-cli.ts';

afterEach(cleanUpFiredrill);

const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n');

const notUtf8 = (utf8: Buffer): Buffer => {
  const at = utf8.indexOf('description:') + 'description:'.length;
  return Buffer.concat([utf8.subarray(0, at), Buffer.from(' caf\xe9', 'latin1'), utf8.subarray(utf8.indexOf('\n', at))]);
};

const cases: { name: string; bytes: Buffer; args: (file: string) => string[] }[] = [
  { name: 'a scenario that is an alias bomb', bytes: Buffer.from(`${bomb}\ntags: *i\n`), args: (f) => ['plan', f, '--env', 'sandbox'] },
  // Latin-1 in a free-text field: read as a replacement character, the drill would have gone ahead.
  { name: 'a shipped scenario with a byte that is not UTF-8', bytes: notUtf8(readFileSync(join(ROOT, 'scenarios/crash-on-start.yaml'))), args: (f) => ['plan', f, '--env', 'sandbox'] },
  { name: 'a scenario with a list as a key', bytes: Buffer.from('? [a, b]\n: c\n'), args: (f) => ['plan', f, '--env', 'sandbox'] },
  { name: 'an environment with an alias and no anchor', bytes: Buffer.from('name: *nope\n'), args: (f) => ['validate', '--candidate', 'v1.2.0', '--env', f] },
  { name: 'an empty environment', bytes: Buffer.from(''), args: (f) => ['plan', 'scenarios/crash-on-start.yaml', '--env', f] },
];

describe('firedrill with a fuzzed bad config file', () => {
  it.each(cases)('$name: exits 2 with one line naming file:line:column', async ({ bytes, args }) => {
    const file = join(tempDir('firedrill-fuzz-cli-'), 'bad.yaml');
    writeFileSync(file, bytes);
    const r = await runFiredrill(args(file), 60_000);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((line) => line !== '');
    expect(lines, describeRun(r)).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^firedrill: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: \\S`));
  });
});
