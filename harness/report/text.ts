// Text helpers the reports share. Pure: no I/O.

import { redactText } from '../../lib/redact.ts';
import type { Journal } from '../journal/journal.ts';

// XML 1.0 forbids most control characters even when escaped, and lone surrogates are not
// characters at all; command output in a problem can carry either.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text safe inside an XML element or a double- or single-quoted attribute. */
export const escapeXml = (text: string): string =>
  text
    .replace(NOT_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/**
 * Free text from a journal (problems, command output, ECS messages), redacted once more before
 * a report shows it: the journal is redacted when written, this keeps a report safe even when a
 * journal was not.
 */
export const clean = (text: string): string => redactText(text);

/** The first line of a text, shortened to `max` characters with an ellipsis. */
export const firstLine = (text: string, max = 200): string => {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** Words wrapped to lines of at most `width` characters; a longer word is cut. */
export const wrap = (text: string, width: number): string[] => {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      let rest = word;
      while (rest.length > width) {
        if (line) lines.push(line);
        lines.push(rest.slice(0, width));
        line = '';
        rest = rest.slice(width);
      }
      if (!line) line = rest;
      else if (line.length + 1 + rest.length <= width) line += ` ${rest}`;
      else {
        lines.push(line);
        line = rest;
      }
    }
    if (line) lines.push(line);
  }
  return lines;
};

/** How long a drill ran: its start to its end, or to the last thing it recorded when it never ended. */
export const runDurationMs = (j: Pick<Journal, 'startedAt' | 'endedAt' | 'phases' | 'timeline'>): number => {
  const ends = [j.endedAt, ...(j.phases ?? []).flatMap((p) => [p.startedAt, p.endedAt]), ...(j.timeline ?? []).map((o) => o.t)].filter(
    (t): t is number => typeof t === 'number' && Number.isFinite(t),
  );
  const end = j.endedAt ?? (ends.length ? Math.max(...ends) : j.startedAt);
  return Number.isFinite(end - j.startedAt) ? Math.max(0, end - j.startedAt) : 0;
};
