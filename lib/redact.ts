// Redaction before anything is written: values shaped like AWS keys, tokens and passwords are
// replaced, so logs, journals and reports never carry a credential.
//
// Two layers: redactText works on free text (command output, messages) by the shape of a value;
// redactJson works on structured data by where a value sits (a secret-looking key, a task
// definition's environment), and applies redactText to every string it keeps.

export const REDACTED = '***';

// A replacement function gets the match, the one capture group, its offset and the whole text.
type Replacement = string | ((match: string, prefix: string, offset: number, whole: string) => string);

/** The whitespace- or quote-delimited token of `text` that ends at `offset`. */
const tokenBefore = (text: string, offset: number): string => {
  let start = offset;
  while (start > 0 && !/[\s"']/.test(text[start - 1]!)) start--;
  return text.slice(start, offset);
};

/**
 * Values that are credentials by their shape alone, wherever they appear. Redaction replaces
 * them; `firedrill check` names the kind of one it finds in a plain environment variable.
 */
export const SECRET_SHAPES: ReadonlyArray<{ kind: string; pattern: RegExp; replacement: string }> = [
  { kind: 'a private key', pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g, replacement: '***private-key***' },
  { kind: 'an AWS access key id', pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, replacement: '***aws-access-key-id***' },
  { kind: 'a GitHub token', pattern: /\b(gh[pousr]_[A-Za-z0-9]{20,})\b/g, replacement: '***token***' },
  { kind: 'a Slack token', pattern: /\b(xox[abpr]-[A-Za-z0-9-]{10,})\b/g, replacement: '***token***' },
  { kind: 'a JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replacement: '***token***' },
  // A password in a URL: scheme://user:password@host.
  { kind: 'a password in a URL', pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"']+:)[^\s/?#@"']+@/gi, replacement: '$1***@' },
];

/** The kind of credential `value` contains by its shape ("an AWS access key id"), or undefined. */
export const secretShapeOf = (value: string): string | undefined => SECRET_SHAPES.find((s) => new RegExp(s.pattern.source, s.pattern.flags.replace('g', '')).test(value))?.kind;

const patterns: Array<[RegExp, Replacement]> = [
  ...SECRET_SHAPES.map((s): [RegExp, Replacement] => [s.pattern, s.replacement]),
  [/(aws_secret_access_key|secretAccessKey|AWS_SECRET_ACCESS_KEY)(["'\s:=]+)[A-Za-z0-9/+=]{40}/g, '$1$2***'],
  [/(aws_session_token|sessionToken|AWS_SESSION_TOKEN)(["'\s:=]+)[A-Za-z0-9/+=]{16,}/g, '$1$2***'],
  [/(authorization:\s*)(bearer|basic)\s+[^\s"']+/gi, '$1$2 ***'],
  // `password=...`, `"token": "..."`; not the `:secret:` resource type inside an ARN, which names
  // a Secrets Manager secret and is a reference, not a value.
  [
    /((?:password|passwd|secret|token|api[_-]?key)["']?\s*[:=]\s*["']?)[^\s"',;]+/gi,
    (match: string, prefix: string, offset: number, whole: string) => (/\barn:/i.test(tokenBefore(whole, offset)) ? match : `${prefix}${REDACTED}`),
  ],
];

export const redactText = (text: string, knownSecrets: readonly string[] = []): string => {
  let out = text;
  // Known secret values first: they may not look like anything. Longest first, so a secret that
  // contains another is not left half-replaced.
  const known = [...new Set(knownSecrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  for (const secret of known) out = out.split(secret).join(REDACTED);
  for (const [pattern, replacement] of patterns) {
    out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  return out;
};

const SECRET_KEY = /(secret|token|password|passwd|api[_-]?key|credential|private[_-]?key)/i;

/** Whether a JSON key's name says its value is a credential (`password`, `apiKey`, `GITHUB_TOKEN`...). */
export const looksSecretKey = (key: string): boolean => SECRET_KEY.test(key);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `[{name, valueFrom}]`: ECS `secrets` and `secretOptions` hold references (ARNs), not values. */
const isReferenceList = (v: unknown): v is Array<Record<string, unknown>> =>
  Array.isArray(v) && v.length > 0 && v.every((o) => isRecord(o) && typeof o['valueFrom'] === 'string' && !('value' in o));

/** A task definition's `environment`: `[{name, value}]`. */
const isEnvironmentList = (v: unknown): v is Array<Record<string, unknown>> =>
  Array.isArray(v) && v.every((o) => isRecord(o) && 'value' in o);

/** Everything under a secret-looking key: every string and number becomes `***`. */
const hideAll = (value: unknown): unknown => {
  if (typeof value === 'string' || typeof value === 'number') return REDACTED;
  if (Array.isArray(value)) return value.map(hideAll);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideAll(v)]));
  return value;
};

const walk = (value: unknown, key: string | undefined, text: (s: string) => string): unknown => {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) {
    if (isReferenceList(value)) return value.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === 'valueFrom' || k === 'name' ? v : walk(v, k, text)])));
    if (key === 'environment' && isEnvironmentList(value)) {
      return value.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, k === 'value' ? REDACTED : k === 'name' ? v : walk(v, k, text)])));
    }
    return value.map((v) => walk(v, key, text));
  }
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (looksSecretKey(k) && !isReferenceList(v)) return [k, hideAll(v)];
        return [k, walk(v, k, text)];
      }),
    );
  }
  return value;
};

/**
 * `value` with every string passed through `redactString`, and structure-based redaction on
 * top: the values of secret-looking keys become `***` (whatever they look like), and so does
 * every `value` of an `environment: [{name, value}]` list (a task definition's variables; the
 * names stay). `[{name, valueFrom}]` lists (`secrets`, `secretOptions`) are references and stay
 * as they are. `value` is not modified. Numbers under a secret-looking key become the string
 * `***`, so the result's type is only nominally `T`.
 */
export const redactJsonWith = <T>(value: T, redactString: (s: string) => string): T => walk(value, undefined, redactString) as T;

/** redactJsonWith with redactText(s, knownSecrets) for every string. */
export const redactJson = <T>(value: T, knownSecrets: readonly string[] = []): T => redactJsonWith(value, (s) => redactText(s, knownSecrets));
