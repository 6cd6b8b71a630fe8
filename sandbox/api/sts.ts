// STS GetCallerIdentity on the sandbox's port, so an account guard written for AWS (`which
// account am I about to touch?`) runs unchanged against the sandbox.
//
// Two wire protocols answer it:
//   awsQuery   POST / content-type: application/x-www-form-urlencoded
//              Action=GetCallerIdentity&Version=2011-06-15 -> XML
//              (what @aws-sdk/client-sts 3.x and the AWS CLI send today)
//   JSON 1.0   POST / x-amz-target: AWSSecurityTokenServiceV20110615.GetCallerIdentity -> JSON
//              (the awsQuery-compatible JSON protocol AWS is moving query services to)
// Other actions get STS's own error shape, never an ECS one.

import { escapeXml } from './query-protocol.ts';

export const STS_JSON_PREFIX = 'AWSSecurityTokenServiceV20110615';
export const STS_VERSION = '2011-06-15';
export const STS_XMLNS = `https://sts.amazonaws.com/doc/${STS_VERSION}/`;
export const STS_OPERATIONS = new Set(['GetCallerIdentity']);

export interface CallerIdentity {
  Account: string;
  Arn: string;
  UserId: string;
}

/** The one identity the sandbox has: a placeholder IAM user in the sandbox's account. */
export const callerIdentity = (accountId: string): CallerIdentity => ({
  Account: accountId,
  Arn: `arn:aws:iam::${accountId}:user/firedrill-sandbox`,
  // IAM user ids start with AIDA; the rest is fixed so runs compare equal.
  UserId: 'AIDAFIREDRILLSANDBOX0',
});

export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
  }

  /** Sender for a caller's mistake, Receiver for STS's own trouble, as STS's ErrorResponse says. */
  get type(): 'Sender' | 'Receiver' {
    return this.httpStatus >= 500 ? 'Receiver' : 'Sender';
  }
}

/** The action a query-protocol body names; unknown or missing actions are StsErrors. */
export const queryAction = (body: string): string => {
  const params = new URLSearchParams(body);
  const action = params.get('Action');
  if (action === null || action === '') throw new StsError('MissingAction', 'Missing Action');
  if (!STS_OPERATIONS.has(action)) throw new StsError('InvalidAction', `Could not find operation ${action} for version ${params.get('Version') ?? STS_VERSION}`);
  return action;
};

export const queryResult = (identity: CallerIdentity, requestId: string): string =>
  `<GetCallerIdentityResponse xmlns="${STS_XMLNS}">\n` +
  `  <GetCallerIdentityResult>\n` +
  `    <Arn>${escapeXml(identity.Arn)}</Arn>\n` +
  `    <UserId>${escapeXml(identity.UserId)}</UserId>\n` +
  `    <Account>${escapeXml(identity.Account)}</Account>\n` +
  `  </GetCallerIdentityResult>\n` +
  `  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
  `</GetCallerIdentityResponse>\n`;

export const queryError = (code: string, message: string, type: 'Sender' | 'Receiver', requestId: string): string =>
  `<ErrorResponse xmlns="${STS_XMLNS}">\n` +
  `  <Error>\n    <Type>${type}</Type>\n    <Code>${escapeXml(code)}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n` +
  `  <RequestId>${requestId}</RequestId>\n` +
  `</ErrorResponse>\n`;
