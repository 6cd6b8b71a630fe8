// Secrets in plain `environment` values (Security Hub ECS.8): found by the variable's name and
// by the value's shape (AWS keys, tokens, private keys, high-entropy strings). They belong in
// `secrets`, as references to Secrets Manager or SSM Parameter Store, which ECS resolves at
// start and never shows in the task definition. A finding names the variable and the kind of
// value, never the value.

import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { looksSecretKey, secretShapeOf } from '../../lib/redact.ts';
import type { Finding } from './findings.ts';

/** The names Security Hub's ECS.8 looks for, besides anything secret-looking. */
const ECS8_NAMES = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'ECS_ENGINE_AUTH_DATA']);

/** Shannon entropy in bits per character. */
export const entropy = (s: string): number => {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
};

const TOKEN_CHARS = /^[A-Za-z0-9+/=_-]+$/;

/** A value that reads like a generated credential: long, token-like, letters and digits, near-random. */
const highEntropy = (value: string): boolean =>
  value.length >= 20 && TOKEN_CHARS.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value) && entropy(value) >= 4;

/** What kind of credential a value is by its shape alone, or undefined. */
export const credentialKind = (value: string): string | undefined => {
  const shaped = secretShapeOf(value);
  if (shaped) return shaped;
  // An AWS secret access key: 40 characters of base64 with no prefix to recognise it by.
  if (/^[A-Za-z0-9/+]{40}$/.test(value) && entropy(value) >= 4) return 'an AWS secret access key';
  if (highEntropy(value)) return 'a high-entropy string';
  return undefined;
};

/** A value that cannot be a credential whatever the variable is called: empty, a number, a boolean, a reference. */
const harmless = (value: string): boolean => value.length < 4 || /^-?\d+(\.\d+)?$/.test(value) || /^(true|false|yes|no|on|off|enabled|disabled)$/i.test(value) || /^arn:/.test(value);

const fix = (name: string) =>
  `move ${name} from environment to secrets, as {"name": "${name}", "valueFrom": "<Secrets Manager or SSM parameter ARN>"}, and rotate the value: it has been readable by anyone who can describe the task definition`;

export const plaintextSecrets = (container: ContainerDefinition): Finding[] => {
  const findings: Finding[] = [];
  for (const variable of container.environment ?? []) {
    const name = variable.name ?? '';
    const value = variable.value ?? '';
    const kind = credentialKind(value);
    const byName = (ECS8_NAMES.has(name) || looksSecretKey(name)) && !harmless(value);
    if (!kind && !byName) continue;
    const title = kind
      ? `environment variable ${name} holds what looks like ${kind} in plain text`
      : `environment variable ${name} is named like a secret and holds a plain-text value`;
    findings.push({
      id: 'plaintext-secret',
      // A high-entropy string alone may be an id; a name or a known shape leaves no doubt.
      severity: kind === 'a high-entropy string' && !byName ? 'medium' : 'high',
      control: 'ECS.8',
      title,
      location: { container: container.name, field: `environment.${name}` },
      fix: fix(name),
    });
  }
  // Arguments are as visible as variables: a credential there is one too.
  for (const field of ['command', 'entryPoint'] as const) {
    (container[field] ?? []).forEach((arg, i) => {
      const kind = secretShapeOf(arg);
      if (!kind) return;
      findings.push({
        id: 'plaintext-secret',
        severity: 'high',
        control: 'ECS.8',
        title: `${field} argument ${i} holds what looks like ${kind} in plain text`,
        location: { container: container.name, field: `${field}[${i}]` },
        fix: `pass it through secrets (an environment variable ECS resolves from Secrets Manager) instead of the ${field}, and rotate it`,
      });
    });
  }
  return findings;
};
