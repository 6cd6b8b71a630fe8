#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so a fresh clone works after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

// The SDK warns on every start that releases after January 2027 will need Node 22; the lockfile
// pins the SDK, so the warning says nothing about this install. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../harness/cli/main.ts');
