import type { ErrorRequestHandler, RequestHandler } from 'express';

export interface ErrorDetail {
  field: string;
  message: string;
}

/** The one error type routes throw; the handler below turns it into the contract's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, details?: ErrorDetail[]) =>
  new ApiError(400, 'invalid_request', message, details);
export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);
export const unavailable = (message: string) => new ApiError(503, 'unavailable', message);

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(notFound(`no route for ${req.method} ${req.path}`));
};

/** express's body parsers raise errors with a `type`; they are the client's fault, not ours. */
const PARSER_ERRORS: Record<string, (err: { limit?: number }) => ApiError> = {
  'entity.parse.failed': () => badRequest('the body is not valid JSON'),
  'entity.too.large': (err) =>
    new ApiError(413, 'payload_too_large', `the body is larger than the limit of ${err.limit} bytes`),
  'encoding.unsupported': () => badRequest('unsupported content encoding'),
};

export function errorHandler(log: (message: string, err: unknown) => void): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    const parserError = PARSER_ERRORS[(err as { type?: string })?.type ?? ''];
    const apiError = err instanceof ApiError ? err : parserError?.(err as { limit?: number });
    if (!apiError) {
      log('unhandled error', err);
      res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
      return;
    }
    const body: Record<string, unknown> = { code: apiError.code, message: apiError.message };
    if (apiError.details?.length) body.details = apiError.details;
    res.status(apiError.status).json({ error: body });
  };
}
