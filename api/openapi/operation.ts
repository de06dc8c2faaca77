import type { z } from 'zod';

/** An answer the docs describe: its body's shape (JSON unless `contentType` says otherwise) and headers. */
export interface Answer {
  description: string;
  body?: z.ZodType;
  contentType?: string;
  /** Response header name → what it holds. */
  headers?: Record<string, string>;
}

/**
 * One route of the API, as the docs describe it. Adding a route is adding one of these to the
 * catalogue (api/openapi/operations.ts); test/openapi.test.ts fails for a route served and not listed.
 */
export interface Operation {
  /** Unique, camelCase: the operationId. */
  id: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI form: `/v1/emails/{id}` for express's `/v1/emails/:id`. */
  path: string;
  /** Groups operations on the docs page. */
  tag: string;
  summary: string;
  description?: string;
  /** The API key (every /v1 route but the webhook), SendGrid's signature, or no credentials at all. */
  auth: 'apiKey' | 'sendgrid' | 'public';
  /**
   * The path and query values, with the schema the route parses them with: a key named in `path` is
   * a path parameter, any other a query parameter. A path parameter not in it is a plain string.
   */
  params?: z.ZodObject;
  headers?: z.ZodObject;
  /** The request body's schema: the one the route validates it with. */
  body?: z.ZodType;
  /** What the schemas cannot say, by parameter or top-level body field: ranges, defaults, meanings. */
  notes?: Record<string, string>;
  /**
   * Status → answer. A string is an error answer with that description and the contract's error
   * body. 401 (for `apiKey` and `sendgrid`) and 400 (with params, headers or a body) are added unless given.
   */
  responses: Record<number, Answer | string>;
}
