// Redaction before anything is written: values shaped like AWS keys, tokens and passwords are
// replaced, so logs, journals and reports never carry a credential.

const patterns: Array<[RegExp, string]> = [
  [/\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, '***aws-access-key-id***'],
  [/(aws_secret_access_key|secretAccessKey|AWS_SECRET_ACCESS_KEY)(["'\s:=]+)[A-Za-z0-9/+=]{40}/g, '$1$2***'],
  [/(aws_session_token|sessionToken|AWS_SESSION_TOKEN)(["'\s:=]+)[A-Za-z0-9/+=]{16,}/g, '$1$2***'],
  [/\b(gh[pousr]_[A-Za-z0-9]{20,})\b/g, '***token***'],
  [/\b(xox[abpr]-[A-Za-z0-9-]{10,})\b/g, '***token***'],
  [/(authorization:\s*)(bearer|basic)\s+[^\s"']+/gi, '$1$2 ***'],
  [/((?:password|passwd|secret|token|api[_-]?key)["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, '$1***'],
];

export const redactText = (text: string, knownSecrets: readonly string[] = []): string => {
  let out = text;
  // Known secret values first: they may not look like anything.
  for (const secret of knownSecrets) if (secret.length >= 4) out = out.split(secret).join('***');
  for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement);
  return out;
};
