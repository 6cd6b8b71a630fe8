// The journal as it may be written: no value of a task definition's environment, nothing shaped
// like a key, token or password, and command output only redacted. Every file of an evidence
// bundle is derived from the written journal, so redacting it here keeps them all clean.
//
// What is redacted, and how:
// - every string in the journal: redactText (AWS keys, tokens, passwords, URL credentials) and
//   the values the caller knows are secret;
// - the release diff: every line under a container's `environment` shows `***` before and after,
//   whatever the variable is called; `secrets` lines are references (ARNs) and stay;
// - the scenario's `release.environment`: every value `***`;
// - free text (the release summary, problems, phase details, the timeline with its command
//   outputs, smoke evidence, verdicts, restore): `NAME=value` and `NAME old -> new` mentions of
//   those variables, and any of their values long enough to be recognised (8+ characters, not a
//   number) wherever it appears;
// - secret-looking keys and `environment: [{name, value}]` lists anywhere: see redactJson.
// Identifiers (run id, ARNs, the environment's name and URL, the scenario's name and hash) only
// go through redactText: an environment value that happens to equal one must not erase it.

import { REDACTED, looksSecretKey, redactJsonWith, redactText } from '../../lib/redact.ts';
import type { Journal } from '../journal/journal.ts';

type DiffLine = NonNullable<Journal['injected']>['diff'][number];
type DiffValue = DiffLine['before'];

/** A diff path inside a container's environment (`containerDefinitions[web].environment.DB_PASSWORD`). */
const ENVIRONMENT_PATH = /(?:^|\.)environment(?:$|[.[])/;
/** A diff path inside a `[{name, valueFrom}]` list: references, not values. */
const REFERENCE_PATH = /(?:^|\.)(?:secrets|secretOptions)(?:$|[.[])/;
const ENVIRONMENT_NAME = /(?:^|\.)environment(?:\.([^.[\]]+)|\[([^\]]+)\])/;

interface EnvironmentMention {
  name: string;
  values: string[];
}

const stringsOf = (value: DiffValue | undefined): string[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/** The environment variables the journal mentions with their values: from the diff and the scenario's release. */
const environmentMentions = (journal: Journal): EnvironmentMention[] => {
  const byName = new Map<string, Set<string>>();
  const add = (name: string, values: string[]) => {
    const set = byName.get(name) ?? new Set<string>();
    for (const v of values) set.add(v);
    byName.set(name, set);
  };
  for (const line of journal.injected?.diff ?? []) {
    const match = ENVIRONMENT_NAME.exec(line.path);
    const name = match?.[1] ?? match?.[2];
    if (name !== undefined) add(name, [...stringsOf(line.before), ...stringsOf(line.after)]);
  }
  const release = journal.scenario.spec.release as { environment?: Record<string, unknown> };
  for (const [name, value] of Object.entries(release.environment ?? {})) add(name, [String(value)]);
  return [...byName].map(([name, values]) => ({ name, values: [...values] }));
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `NAME=value` and `NAME before -> after`, as release summaries write them, with the values hidden. */
const hideMentions = (text: string, mentions: EnvironmentMention[]): string => {
  let out = text;
  for (const { name, values } of mentions) {
    if (!out.includes(name)) continue;
    const value = values.length > 0 ? `(?:${values.map(escape).sort((a, b) => b.length - a.length).join('|')})` : '(?!)';
    out = out
      .replace(new RegExp(`\\b${escape(name)} ${value} -> ${value}(?=$|[,;)\\s])`, 'g'), `${name} ${REDACTED} -> ${REDACTED}`)
      .replace(new RegExp(`\\b${escape(name)} \\*\\*\\* -> ${value}(?=$|[,;)\\s])`, 'g'), `${name} ${REDACTED} -> ${REDACTED}`)
      .replace(new RegExp(`\\b${escape(name)} ${value} -> \\*\\*\\*`, 'g'), `${name} ${REDACTED} -> ${REDACTED}`)
      .replace(new RegExp(`\\b${escape(name)}=${value}(?=$|[,;)\\s])`, 'g'), `${name}=${REDACTED}`);
  }
  return out;
};

/** A value long and specific enough to be searched for everywhere without erasing ordinary words. */
const recognisable = (value: string): boolean => value.length >= 8 && !/^[\d.:,\s-]+$/.test(value);

const hideDiffValue = (v: DiffValue | undefined): DiffValue | undefined => (v === undefined ? undefined : REDACTED);

/**
 * A copy of `journal` that is safe to write (the journal itself is not modified). `knownSecrets`
 * are values the harness knows are secret (see secretsInEnvironment); a value the harness cannot
 * know, such as a secret the service reads from Secrets Manager, is caught by shape and place.
 */
export const redactJournal = (journal: Journal, knownSecrets: readonly string[] = []): Journal => {
  const mentions = environmentMentions(journal);
  const derived = mentions.flatMap((m) => m.values).filter(recognisable);
  const plain = (s: string) => redactText(s, knownSecrets);
  const text = (s: string) => redactText(hideMentions(s, mentions), [...knownSecrets, ...derived]);
  const free = <T>(value: T): T => redactJsonWith(value, text);

  const base = redactJsonWith(journal, plain);
  const spec = free(journal.scenario.spec);
  const release = spec.release as { environment?: Record<string, unknown> };
  if (release.environment) release.environment = Object.fromEntries(Object.keys(release.environment).map((k) => [k, REDACTED]));

  const diff = (journal.injected?.diff ?? []).map((line): DiffLine => {
    if (ENVIRONMENT_PATH.test(line.path)) return { path: line.path, before: hideDiffValue(line.before), after: hideDiffValue(line.after) };
    if (REFERENCE_PATH.test(line.path)) return { ...line };
    // A leaf under a secret-looking name (a tag `api-token`, say) hides its value too.
    const lastSegment = line.path.split(/[.[\]]/).filter(Boolean).at(-1) ?? '';
    if (looksSecretKey(lastSegment)) return { path: line.path, before: hideDiffValue(line.before), after: hideDiffValue(line.after) };
    return free(line);
  });

  return {
    ...base,
    scenario: { ...base.scenario, spec },
    injected: journal.injected && base.injected ? { ...base.injected, summary: text(journal.injected.summary), diff } : base.injected,
    phases: free(journal.phases),
    markers: free(journal.markers),
    timeline: free(journal.timeline),
    verdicts: free(journal.verdicts),
    smoke: free(journal.smoke),
    restore: free(journal.restore),
    problems: free(journal.problems),
  };
};

const ENV_SECRET_MIN_LENGTH = 8;

/**
 * The values of this process's environment variables whose names say they are credentials
 * (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `GITHUB_TOKEN`...), for redactJournal's
 * knownSecrets: a command that echoes one must not put it in the journal. Values shorter than 8
 * characters are left out (the sandbox's placeholder `sandbox` would erase words).
 */
export const secretsInEnvironment = (env: Record<string, string | undefined> = process.env): string[] =>
  Object.entries(env)
    .filter(([name, value]) => looksSecretKey(name) && value !== undefined && value.length >= ENV_SECRET_MIN_LENGTH)
    .map(([, value]) => value!);
