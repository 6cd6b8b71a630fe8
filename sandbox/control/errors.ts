// ECS error codes as the SDK and the CLI know them. The API layer turns an EcsError into
// `{"__type": code, "message": ...}` with the status ECS uses for that code.

export type EcsErrorCode =
  | 'ClientException'
  | 'InvalidParameterException'
  | 'ClusterNotFoundException'
  | 'ServiceNotFoundException'
  | 'ServiceNotActiveException'
  | 'ResourceNotFoundException'
  | 'ServiceDeploymentNotFoundException'
  | 'ConflictException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'ThrottlingException'
  | 'ServerException';

export class EcsError extends Error {
  constructor(
    readonly code: EcsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }

  get httpStatus(): number {
    return this.code === 'ServerException' ? 500 : 400;
  }
}

export const clusterNotFound = (): EcsError => new EcsError('ClusterNotFoundException', 'Cluster not found.');
export const serviceNotFound = (): EcsError => new EcsError('ServiceNotFoundException', 'Service not found.');
export const invalidParameter = (message: string): EcsError => new EcsError('InvalidParameterException', message);
export const clientError = (message: string): EcsError => new EcsError('ClientException', message);
