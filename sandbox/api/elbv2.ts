// ELBv2 reads of the sandbox's target groups, on the same port, in the awsQuery protocol that
// @aws-sdk/client-elastic-load-balancing-v2 and the AWS CLI send:
//   POST /  content-type: application/x-www-form-urlencoded
//           Action=DescribeTargetGroups&Version=2015-12-01&Names.member.1=demo-web -> XML
// so the harness reads a service's health-check and deregistration settings as it does on AWS.
// Read-only: DescribeTargetGroups (by ARN or name) and DescribeTargetGroupAttributes.

import { escapeXml } from './query-protocol.ts';

export const ELBV2_VERSION = '2015-12-01';
export const ELBV2_XMLNS = `http://elasticloadbalancing.amazonaws.com/doc/${ELBV2_VERSION}/`;
export const ELBV2_OPERATIONS = new Set(['DescribeTargetGroups', 'DescribeTargetGroupAttributes']);

/** What ELBv2 reports of a target group: the load balancer's configuration of it (sandbox/types/config.ts). */
interface TargetGroupConfig {
  name: string;
  healthCheck: { path: string; intervalSeconds: number; timeoutSeconds: number; healthyThreshold: number; unhealthyThreshold: number; matcher: string };
  deregistrationDelaySeconds: number;
}

/** The sandbox's target groups with their ARNs, as the load balancer names them. */
export interface TargetGroupDirectory {
  targetGroups(): Array<{ arn: string; config: TargetGroupConfig }>;
}

export class ElbError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }
}

/** `Names.member.1=a&Names.member.2=b` -> ['a', 'b']. */
const members = (params: URLSearchParams, list: string): string[] => {
  const found: Array<[number, string]> = [];
  for (const [key, value] of params) {
    const m = new RegExp(`^${list}\\.member\\.(\\d+)$`).exec(key);
    if (m) found.push([Number(m[1]), value]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
};

const notFound = () => new ElbError('TargetGroupNotFound', 'One or more target groups not found');

const el = (name: string, value: string | number | boolean) => `<${name}>${escapeXml(String(value))}</${name}>`;

const targetGroupXml = ({ arn, config }: { arn: string; config: TargetGroupConfig }) => {
  const hc = config.healthCheck;
  return [
    '<member>',
    el('TargetGroupArn', arn),
    el('TargetGroupName', config.name),
    el('Protocol', 'HTTP'),
    el('Port', 80),
    el('VpcId', 'vpc-0firedrill0sandbox'),
    el('HealthCheckProtocol', 'HTTP'),
    el('HealthCheckPort', 'traffic-port'),
    el('HealthCheckEnabled', true),
    el('HealthCheckIntervalSeconds', hc.intervalSeconds),
    el('HealthCheckTimeoutSeconds', hc.timeoutSeconds),
    el('HealthyThresholdCount', hc.healthyThreshold),
    el('UnhealthyThresholdCount', hc.unhealthyThreshold),
    el('HealthCheckPath', hc.path),
    `<Matcher>${el('HttpCode', hc.matcher)}</Matcher>`,
    '<LoadBalancerArns/>',
    el('TargetType', 'ip'),
    el('ProtocolVersion', 'HTTP1'),
    el('IpAddressType', 'ipv4'),
    '</member>',
  ].join('');
};

const attributesXml = (config: TargetGroupConfig) =>
  (
    [
      ['deregistration_delay.timeout_seconds', String(config.deregistrationDelaySeconds)],
      ['stickiness.enabled', 'false'],
      ['stickiness.type', 'lb_cookie'],
      ['load_balancing.algorithm.type', 'round_robin'],
      ['load_balancing.cross_zone.enabled', 'use_load_balancer_configuration'],
      ['slow_start.duration_seconds', '0'],
      ['waf.fail_open.enabled', 'false'],
    ] as const
  )
    .map(([key, value]) => `<member>${el('Key', key)}${el('Value', value)}</member>`)
    .join('');

const response = (action: string, result: string, requestId: string) =>
  `<${action}Response xmlns="${ELBV2_XMLNS}"><${action}Result>${result}</${action}Result>` +
  `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>\n`;

/** The XML answer to one ELBv2 read; ElbErrors for what ELB refuses. */
export const elbv2Answer = (action: string, params: URLSearchParams, directory: TargetGroupDirectory, requestId: string): string => {
  const all = directory.targetGroups();
  if (action === 'DescribeTargetGroups') {
    const arns = members(params, 'TargetGroupArns');
    const names = members(params, 'Names');
    if (arns.length > 0 && names.length > 0) throw new ElbError('ValidationError', 'Target group names and target group ARNs cannot be specified at the same time');
    if (params.get('LoadBalancerArn')) throw new ElbError('LoadBalancerNotFound', 'One or more load balancers not found');
    let picked = all;
    if (arns.length > 0) picked = arns.map((arn) => all.find((tg) => tg.arn === arn) ?? (() => { throw notFound(); })());
    if (names.length > 0) picked = names.map((name) => all.find((tg) => tg.config.name === name) ?? (() => { throw notFound(); })());
    return response(action, `<TargetGroups>${picked.map(targetGroupXml).join('')}</TargetGroups>`, requestId);
  }
  if (action === 'DescribeTargetGroupAttributes') {
    const arn = params.get('TargetGroupArn');
    if (!arn) throw new ElbError('ValidationError', "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null");
    const found = all.find((tg) => tg.arn === arn);
    if (!found) throw notFound();
    return response(action, `<Attributes>${attributesXml(found.config)}</Attributes>`, requestId);
  }
  throw new ElbError('InvalidAction', `Could not find operation ${action} for version ${ELBV2_VERSION}`);
};

export const elbv2Error = (code: string, message: string, type: 'Sender' | 'Receiver', requestId: string): string =>
  `<ErrorResponse xmlns="${ELBV2_XMLNS}"><Error><Type>${type}</Type>${el('Code', code)}${el('Message', message)}</Error>` + `<RequestId>${requestId}</RequestId></ErrorResponse>\n`;
