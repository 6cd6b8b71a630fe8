// Scenario text names run-time values as `{baselineTag}`, `{cluster}` and so on. A name that the
// run does not know is a mistake in the scenario, so it fails loudly instead of being sent as is.
// Pure.

/** `{` identifier `}`: regex quantifiers such as `\d{1,3}` and JSON such as `{"a":1}` are left alone. */
const placeholder = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A placeholder that the run has no value for: bad input, found before anything is sent. */
export class PlaceholderError extends Error {
  override readonly name = 'PlaceholderError';
  constructor(
    readonly placeholder: string,
    readonly text: string,
    known: string[],
  ) {
    super(
      `unknown placeholder {${placeholder}} in "${text}"; ` +
        (known.length > 0 ? `known placeholders: ${known.map((k) => `{${k}}`).join(' ')}` : 'no placeholders are defined here'),
    );
  }
}

/** Replaces every `{name}` in `text` with `values[name]`; throws PlaceholderError for an unknown name. */
export function fillPlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(placeholder, (_match, name: string) => {
    // Own keys only: `{constructor}` must not find Object.prototype's.
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined) throw new PlaceholderError(name, text, Object.keys(values));
    return value;
  });
}
