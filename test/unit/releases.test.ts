import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { releaseSchema } from '../../harness/config/scenario.ts';
import { demoTaskDefinition } from '../../harness/ecs/demo-service.ts';
import { diffTaskDefinitions, formatDiff, redactDiff, type DiffLine } from '../../harness/releases/diff.ts';
import { effectiveTag, parseImageRef, withTag } from '../../harness/releases/image-ref.ts';
import { CRASH_ENTRY_POINT, mutateRelease, MutationError } from '../../harness/releases/mutators.ts';
import { toRegisterInput, type TaskDefinitionInput } from '../../harness/releases/task-definition.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:firedrill/demo-api-key';
const RUN = 'r123';
const WEB = 'containerDefinitions[web]';

const upsert = <T extends { name?: string | undefined }>(list: T[] | undefined, item: T): T[] => [
  ...(list ?? []).filter((x) => x.name !== item.name),
  item,
];

/** The demo baseline with the app's required variable and its secret, however far demo-service.ts has got. */
const baseline = (edit: (web: ContainerDefinition, td: TaskDefinitionInput) => void = () => {}): TaskDefinitionInput => {
  const td = demoTaskDefinition('v1.0.0');
  const web = td.containerDefinitions![0]!;
  web.environment = upsert(web.environment, { name: 'REQUIRED_ENV', value: 'APP_NAME,API_KEY' });
  web.secrets = upsert(web.secrets, { name: 'API_KEY', valueFrom: SECRET_ARN });
  edit(web, td);
  return deepFreeze(td);
};

// A frozen baseline makes any write to the input throw, so every test also checks it is untouched.
const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
};

const spec = (input: Record<string, unknown>) => releaseSchema.parse(input);

const tagLines: DiffLine[] = [
  { path: 'tags.firedrill:run', before: undefined, after: RUN },
  { path: 'tags.firedrill:role', before: undefined, after: 'bad-release' },
];

const mutate = (input: Record<string, unknown>, base = baseline(), containerName?: string) => {
  const before = structuredClone(base);
  const result = mutateRelease(base, spec(input), { runId: RUN, ...(containerName && { containerName }) });
  expect(base).toEqual(before);
  return { ...result, diff: diffTaskDefinitions(base, result.taskDefinition) };
};

const mutationError = (input: Record<string, unknown>, base = baseline()) => {
  try {
    mutateRelease(base, spec(input), { runId: RUN });
  } catch (error) {
    expect(error).toBeInstanceOf(MutationError);
    expect((error as Error).name).toBe('MutationError');
    return (error as Error).message;
  }
  throw new Error('expected a MutationError');
};

describe('mutateRelease', () => {
  describe('missing-image-tag', () => {
    it('swaps the tag for one that does not exist, named after the run', () => {
      const r = mutate({ kind: 'missing-image-tag' });
      expect(r.diff).toEqual([
        { path: `${WEB}.image`, before: 'firedrill/demo-app:v1.0.0', after: 'firedrill/demo-app:firedrill-missing-r123' },
        ...tagLines,
      ]);
      expect(r.summary).toBe('container web: image firedrill/demo-app:v1.0.0 -> firedrill/demo-app:firedrill-missing-r123');
      expect(r).toMatchObject({ image: 'firedrill/demo-app:firedrill-missing-r123', tag: 'firedrill-missing-r123', ecsVisible: true });
    });

    it('uses the scenario tag', () => {
      expect(mutate({ kind: 'missing-image-tag', tag: 'v9.9.9' }).image).toBe('firedrill/demo-app:v9.9.9');
    });

    it.each([
      ['localhost:5000/x:1', 'localhost:5000/x:gone'],
      ['localhost:5000/x', 'localhost:5000/x:gone'],
      ['123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v41', '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:gone'],
      [`team/app@sha256:${'ab'.repeat(32)}`, 'team/app:gone'],
      [`team/app:v41@sha256:${'ab'.repeat(32)}`, 'team/app:gone'],
    ])('retags %s', (image, expected) => {
      const r = mutate({ kind: 'missing-image-tag', tag: 'gone' }, baseline((web) => (web.image = image)));
      expect(r.image).toBe(expected);
      expect(r.tag).toBe('gone');
    });

    it('refuses a tag Docker would reject as malformed rather than missing', () => {
      expect(mutationError({ kind: 'missing-image-tag', tag: 'not:a/tag' })).toMatch(/"not:a\/tag" is not a valid image tag/);
    });
  });

  describe('crash-on-start', () => {
    it("sets the app's switch when the scenario names one", () => {
      const r = mutate({ kind: 'crash-on-start', environment: { FAIL_CRASH_ON_START: '1' } });
      expect(r.diff).toEqual([{ path: `${WEB}.environment.FAIL_CRASH_ON_START`, before: undefined, after: '1' }, ...tagLines]);
      expect(r.summary).toBe('container web: environment FAIL_CRASH_ON_START=1');
      expect(r.tag).toBe('v1.0.0');
    });

    it('otherwise replaces the entry point with a shell that exits 1', () => {
      const r = mutate({ kind: 'crash-on-start' }, baseline((web) => (web.command = ['serve'])));
      expect(r.diff).toEqual([
        { path: `${WEB}.command`, before: ['serve'], after: undefined },
        { path: `${WEB}.entryPoint`, before: undefined, after: CRASH_ENTRY_POINT },
        ...tagLines,
      ]);
      expect(r.taskDefinition.containerDefinitions?.[0]?.command).toEqual([]);
      expect(r.summary).toBe('container web: entry point replaced by a shell that exits 1');
    });
  });

  it('crash-after sets the seconds variable', () => {
    const r = mutate({ kind: 'crash-after', seconds: 5 });
    expect(r.diff).toEqual([{ path: `${WEB}.environment.FAIL_CRASH_AFTER_SECONDS`, before: undefined, after: '5' }, ...tagLines]);
  });

  describe('failing-health-check', () => {
    it("replaces the command and keeps the baseline's timing", () => {
      const r = mutate({ kind: 'failing-health-check' });
      expect(r.diff).toEqual([{ path: `${WEB}.healthCheck.command`, before: ['CMD', 'healthcheck'], after: ['CMD-SHELL', 'exit 1'] }, ...tagLines]);
      expect(r.summary).toBe('container web: health check CMD healthcheck -> CMD-SHELL exit 1 (interval 10 s, timeout 2 s, retries 2, start period 30 s)');
    });

    it('adds a check with drill timing where the baseline has none', () => {
      const r = mutate({ kind: 'failing-health-check', command: ['CMD', 'false'] }, baseline((web) => delete web.healthCheck));
      expect(r.diff).toEqual([
        { path: `${WEB}.healthCheck.interval`, before: undefined, after: 5 },
        { path: `${WEB}.healthCheck.timeout`, before: undefined, after: 2 },
        { path: `${WEB}.healthCheck.retries`, before: undefined, after: 2 },
        { path: `${WEB}.healthCheck.command`, before: undefined, after: ['CMD', 'false'] },
        ...tagLines,
      ]);
    });

    it('refuses a command the baseline already has', () => {
      expect(mutationError({ kind: 'failing-health-check', command: ['CMD', 'healthcheck'] })).toMatch(
        /^the failing-health-check release would equal the baseline .*choose a different value$/,
      );
    });
  });

  describe('wrong-container-port', () => {
    it('moves the app to a port nothing routes to', () => {
      const r = mutate({ kind: 'wrong-container-port' });
      expect(r.diff).toEqual([{ path: `${WEB}.environment.PORT`, before: '8080', after: '9999' }, ...tagLines]);
      expect(r.summary).toBe('container web: environment PORT 8080 -> 9999 (mapped: 8080)');
    });

    it('refuses a port the task definition maps', () => {
      expect(mutationError({ kind: 'wrong-container-port', port: 8080 })).toMatch(/^port 8080 is mapped by container web/);
    });

    it('refuses a container that maps no port', () => {
      expect(mutationError({ kind: 'wrong-container-port' }, baseline((web) => delete web.portMappings))).toMatch(/maps no port/);
    });
  });

  describe('memory-too-low', () => {
    it("lowers the container's hard limit and leaves the task's", () => {
      const r = mutate({ kind: 'memory-too-low', memory: 24 });
      expect(r.diff).toEqual([{ path: `${WEB}.memory`, before: 256, after: 24 }, ...tagLines]);
      expect(r.summary).toBe('container web: memory 256 -> 24 MiB');
    });

    it('lowers a soft limit above the new hard one, and keeps one below it', () => {
      const above = mutate({ kind: 'memory-too-low' }, baseline((web) => (web.memoryReservation = 128)));
      expect(above.diff).toEqual([
        { path: `${WEB}.memory`, before: 256, after: 16 },
        { path: `${WEB}.memoryReservation`, before: 128, after: 16 },
        ...tagLines,
      ]);
      const below = mutate({ kind: 'memory-too-low' }, baseline((web) => (web.memoryReservation = 8)));
      expect(below.diff).toEqual([{ path: `${WEB}.memory`, before: 256, after: 16 }, ...tagLines]);
    });

    it('refuses to raise a limit', () => {
      expect(mutationError({ kind: 'memory-too-low', memory: 64 }, baseline((web) => (web.memory = 32)))).toMatch(
        /already has a hard memory limit of 32 MiB, below 64/,
      );
    });
  });

  describe('missing-env', () => {
    it('drops the variable', () => {
      const r = mutate({ kind: 'missing-env', name: 'APP_NAME' });
      expect(r.diff).toEqual([{ path: `${WEB}.environment.APP_NAME`, before: 'firedrill-demo', after: undefined }, ...tagLines]);
      expect(r.summary).toBe('container web: environment APP_NAME removed');
    });

    it('refuses a variable the baseline does not have', () => {
      expect(mutationError({ kind: 'missing-env', name: 'NOPE' })).toBe(
        'baseline container web has no environment variable NOPE; missing-env needs one the app requires',
      );
    });
  });

  describe('missing-secret', () => {
    it('points the secret at one that does not exist', () => {
      const r = mutate({ kind: 'missing-secret', name: 'API_KEY' });
      const missing = `${SECRET_ARN}-firedrill-missing-r123`;
      expect(r.diff).toEqual([{ path: `${WEB}.secrets.API_KEY`, before: SECRET_ARN, after: missing }, ...tagLines]);
      expect(r.summary).toBe(`container web: secret API_KEY -> ${missing} (does not exist)`);
    });

    it.each([
      [
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::',
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf-firedrill-missing-r123:password::',
      ],
      ['arn:aws:ssm:eu-west-1:123456789012:parameter/db/password', 'arn:aws:ssm:eu-west-1:123456789012:parameter/db/password-firedrill-missing-r123'],
    ])('keeps %s well-formed', (valueFrom, expected) => {
      const r = mutate({ kind: 'missing-secret', name: 'API_KEY' }, baseline((web) => (web.secrets = [{ name: 'API_KEY', valueFrom }])));
      expect(r.taskDefinition.containerDefinitions?.[0]?.secrets).toEqual([{ name: 'API_KEY', valueFrom: expected }]);
    });

    it('refuses a secret the baseline does not have', () => {
      expect(mutationError({ kind: 'missing-secret', name: 'DB_PASSWORD' })).toMatch(/has no secret DB_PASSWORD \(secrets: API_KEY\)/);
    });
  });

  describe('http-errors', () => {
    it.each([
      [{}, 'FAIL_HTTP_5XX', '1'],
      [{ rate: 0.25 }, 'FAIL_HTTP_5XX_RATE', '0.25'],
      [{ environment: { BREAK_IT: 'yes' } }, 'BREAK_IT', 'yes'],
    ])('%j sets %s', (params, variable, value) => {
      const r = mutate({ kind: 'http-errors', ...params });
      expect(r.diff).toEqual([{ path: `${WEB}.environment.${variable}`, before: undefined, after: value }, ...tagLines]);
      expect(r.ecsVisible).toBe(false);
    });

    it('redacts secret-looking values in the summary', () => {
      expect(mutate({ kind: 'http-errors', environment: { CHAOS_TOKEN: 'abc' } }).summary).toBe('container web: environment CHAOS_TOKEN=***');
    });
  });

  it('slow-responses sets the latency variable, which ECS does not see', () => {
    const r = mutate({ kind: 'slow-responses' });
    expect(r.diff).toEqual([{ path: `${WEB}.environment.FAIL_LATENCY_MS`, before: undefined, after: '1500' }, ...tagLines]);
    expect(r.ecsVisible).toBe(false);
  });

  it('replaces a variable in place, leaving no duplicates', () => {
    const base = baseline((web) => (web.environment = [...web.environment!, { name: 'FAIL_LATENCY_MS', value: '1' }, { name: 'FAIL_LATENCY_MS', value: '2' }]));
    const env = mutate({ kind: 'slow-responses' }, base).taskDefinition.containerDefinitions?.[0]?.environment;
    expect(env?.filter((e) => e.name === 'FAIL_LATENCY_MS')).toEqual([{ name: 'FAIL_LATENCY_MS', value: '1500' }]);
    expect(env?.map((e) => e.name)).toEqual(base.containerDefinitions?.[0]?.environment?.map((e) => e.name).slice(0, -1));
  });

  describe('target container and tags', () => {
    const withSidecar = baseline((_, td) => {
      td.containerDefinitions = [{ name: 'log-router', image: 'fluent/fluent-bit:3', essential: false }, ...td.containerDefinitions!];
    });

    it('breaks the first essential container by default, or the one named', () => {
      expect(mutate({ kind: 'crash-after', seconds: 1 }, withSidecar).summary).toMatch(/^container web:/);
      const r = mutate({ kind: 'missing-image-tag', tag: 'gone' }, withSidecar, 'log-router');
      expect(r.diff[0]).toEqual({ path: 'containerDefinitions[log-router].image', before: 'fluent/fluent-bit:3', after: 'fluent/fluent-bit:gone' });
    });

    it('names the containers there are when the named one is not', () => {
      expect(() => mutateRelease(withSidecar, spec({ kind: 'crash-after', seconds: 1 }), { runId: RUN, containerName: 'api' })).toThrow(
        'task definition firedrill-demo has no container named api (containers: log-router, web); fix the container name',
      );
    });

    it("keeps the baseline's tags and replaces a previous run's", () => {
      const base = baseline((_, td) => (td.tags = [{ key: 'team', value: 'orders' }, { key: 'firedrill:run', value: 'old' }]));
      expect(mutate({ kind: 'crash-after', seconds: 1 }, base).taskDefinition.tags).toEqual([
        { key: 'team', value: 'orders' },
        { key: 'firedrill:run', value: RUN },
        { key: 'firedrill:role', value: 'bad-release' },
      ]);
    });
  });
});

describe('image references', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  it.each([
    ['nginx', { name: 'nginx' }, 'latest'],
    ['localhost:5000/x:1', { name: 'localhost:5000/x', tag: '1' }, '1'],
    ['localhost:5000/x', { name: 'localhost:5000/x' }, 'latest'],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v41', { name: '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app', tag: 'v41' }, 'v41'],
    [`team/app@${digest}`, { name: 'team/app', digest }, undefined],
    [`localhost:5000/x:1@${digest}`, { name: 'localhost:5000/x', tag: '1', digest }, '1'],
  ])('%s', (image, ref, tag) => {
    expect(parseImageRef(image)).toEqual(ref);
    expect(effectiveTag(parseImageRef(image))).toBe(tag);
    expect(withTag(image, 'v2')).toBe(`${ref.name}:v2`);
  });
});

describe('toRegisterInput', () => {
  it('drops the fields only DescribeTaskDefinition returns, and copies the rest', () => {
    const registered = demoTaskDefinition('v1.0.0');
    const described: TaskDefinition = {
      ...structuredClone(registered),
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/firedrill-demo:3',
      revision: 3,
      status: 'ACTIVE',
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: new Date(0),
      registeredBy: 'arn:aws:iam::000000000000:root',
      deregisteredAt: new Date(0),
      deleteRequestedAt: new Date(0),
    };
    const input = toRegisterInput(described);
    expect(input).toEqual(registered);
    input.containerDefinitions![0]!.image = 'changed';
    expect(described.containerDefinitions![0]!.image).toBe('firedrill/demo-app:v1.0.0');
  });
});

describe('diffTaskDefinitions and formatDiff', () => {
  it('keys named things by name, other lists by index, and ignores empty lists', () => {
    const a: TaskDefinitionInput = {
      family: 'f',
      containerDefinitions: [{ name: 'web', image: 'a:1', portMappings: [{ containerPort: 80 }], mountPoints: [] }],
    };
    const b: TaskDefinitionInput = {
      family: 'f',
      containerDefinitions: [
        { name: 'web', image: 'a:1', portMappings: [{ containerPort: 81 }] },
        { name: 'sidecar', image: 's:1' },
      ],
    };
    expect(diffTaskDefinitions(a, b)).toEqual([
      { path: 'containerDefinitions[web].portMappings[0].containerPort', before: 80, after: 81 },
      { path: 'containerDefinitions[sidecar].name', before: undefined, after: 'sidecar' },
      { path: 'containerDefinitions[sidecar].image', before: undefined, after: 's:1' },
    ]);
    expect(diffTaskDefinitions(b, b)).toEqual([]);
  });

  it('prints - before and + after, redacting secret-looking environment values but not secret references', () => {
    const a = baseline((web) => (web.environment = [...web.environment!, { name: 'DB_PASSWORD', value: 'hunter2' }]));
    const b = baseline((web) => {
      web.environment = [...web.environment!.filter((e) => e.name !== 'APP_NAME'), { name: 'DB_PASSWORD', value: 'hunter3' }];
      web.secrets = [{ name: 'API_KEY', valueFrom: `${SECRET_ARN}-x` }];
      web.entryPoint = ['sh', '-c', 'exit 1'];
    });
    const text = formatDiff(diffTaskDefinitions(a, b));
    expect(text).toBe(
      [
        `- ${WEB}.environment.APP_NAME: firedrill-demo`,
        `- ${WEB}.environment.DB_PASSWORD: ***`,
        `+ ${WEB}.environment.DB_PASSWORD: ***`,
        `- ${WEB}.secrets.API_KEY: ${SECRET_ARN}`,
        `+ ${WEB}.secrets.API_KEY: ${SECRET_ARN}-x`,
        `+ ${WEB}.entryPoint: ["sh","-c","exit 1"]`,
      ].join('\n'),
    );
    expect(text).not.toContain('hunter');
  });

  it('redacts the lines themselves for a journal', () => {
    const lines = diffTaskDefinitions(
      baseline(),
      baseline((web) => (web.environment = [...web.environment!, { name: 'SESSION_SECRET', value: 's3cr3t' }, { name: 'MODE', value: 'x' }])),
    );
    expect(redactDiff(lines)).toEqual([
      { path: `${WEB}.environment.SESSION_SECRET`, before: undefined, after: '***' },
      { path: `${WEB}.environment.MODE`, before: undefined, after: 'x' },
    ]);
  });
});
