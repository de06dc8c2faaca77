/** The OpenAPI 3.1 document, built from the catalogue and the schemas the routes validate with. */
import type { z } from 'zod';
import { type JsonSchema, toJsonSchema } from './json-schema';
import type { Answer, Operation } from './operation';
import { OPERATIONS } from './operations';
import { errorBody } from './shapes';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../webhook-signature';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface OperationObject {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  security: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required: true; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, ResponseObject>;
}

export interface ResponseObject {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, { schema: JsonSchema }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Partial<Record<Operation['method'], OperationObject>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, Record<string, string>>;
  };
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

const SECURITY: Record<Operation['auth'], Record<string, string[]>[]> = {
  apiKey: [{ apiKey: [] }],
  sendgrid: [{ sendgridSignature: [], sendgridTimestamp: [] }],
  public: [],
};

const UNAUTHORIZED: Record<Operation['auth'], string | undefined> = {
  apiKey: 'the Authorization header is missing or its key is not one of API_KEYS',
  sendgrid: 'the signature headers are missing or do not match the body',
  public: undefined,
};

export function buildOpenApiDocument(operations: Operation[] = OPERATIONS): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const seenIds = new Set<string>();
  for (const op of operations) {
    if (seenIds.has(op.id)) throw new Error(`two API operations are called ${op.id}`);
    seenIds.add(op.id);
    const item = (paths[op.path] ??= {});
    if (item[op.method]) throw new Error(`${op.method.toUpperCase()} ${op.path} is listed twice`);
    item[op.method] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Mailroom API',
      version: '1',
      description:
        'Send email and know what became of each one. JSON in and out; every error is the `Error` body.',
    },
    tags: [...new Set(operations.map((op) => op.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: toJsonSchema(errorBody) },
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer <key>, one of API_KEYS',
        },
        sendgridSignature: {
          type: 'apiKey',
          in: 'header',
          name: headerName(SIGNATURE_HEADER),
          description: 'base64 ECDSA P-256 signature of the timestamp followed by the raw body',
        },
        sendgridTimestamp: {
          type: 'apiKey',
          in: 'header',
          name: headerName(TIMESTAMP_HEADER),
          description: 'unix seconds; refused when older than WEBHOOK_MAX_AGE or over 5 minutes ahead',
        },
      },
    },
  };
}

function operationObject(op: Operation): OperationObject {
  const notes = new Map(Object.entries(op.notes ?? {}));
  const parameters = [...pathParameters(op), ...parametersOf(op.headers, () => 'header')];
  const body = op.body && toJsonSchema(op.body);
  const described: [string, { description?: string }][] = [
    ...parameters.map((p) => [p.name, p] as [string, Parameter]),
    ...Object.entries(body?.properties ?? {}),
  ];
  for (const [name, field] of described) {
    const note = notes.get(name);
    notes.delete(name);
    if (note) field.description = note;
  }
  if (notes.size) throw new Error(`${op.id}: notes for unknown fields ${[...notes.keys()].join(', ')}`);

  const responses: Record<string, Answer | string> = { ...op.responses };
  if (op.params || op.headers || op.body) responses[400] ??= 'invalid: details name every bad field';
  const unauthorized = UNAUTHORIZED[op.auth];
  if (unauthorized) responses[401] ??= unauthorized;

  return {
    operationId: op.id,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: SECURITY[op.auth],
    ...(parameters.length ? { parameters } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    responses: Object.fromEntries(
      Object.entries(responses).map(([status, answer]) => [status, responseObject(answer)]),
    ),
  };
}

/** `{name}` in the path: path parameters; the rest of `params`: query parameters. */
function pathParameters(op: Operation): Parameter[] {
  const inPath = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const fromSchema = parametersOf(op.params, (name) => (inPath.includes(name) ? 'path' : 'query'));
  const plain = inPath
    .filter((name) => !fromSchema.some((p) => p.name === name))
    .map((name): Parameter => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  return [...plain, ...fromSchema];
}

function parametersOf(
  schema: z.ZodObject | undefined,
  where: (name: string) => Parameter['in'],
): Parameter[] {
  if (!schema) return [];
  const json = toJsonSchema(schema);
  return Object.entries(json.properties ?? {}).map(([name, field]) => {
    const { description, ...rest } = field;
    const place = where(name);
    return {
      name,
      in: place,
      required: place === 'path' || (json.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function responseObject(answer: Answer | string): ResponseObject {
  if (typeof answer === 'string') {
    return { description: answer, content: { 'application/json': { schema: ERROR_REF } } };
  }
  const headers = Object.entries(answer.headers ?? {}).map(([name, description]) => [
    name,
    { description, schema: { type: 'string' } },
  ]);
  // A body without a schema (HTML, say) is described by its content type alone.
  const schema = answer.body
    ? toJsonSchema(answer.body)
    : answer.contentType
      ? { type: 'string' }
      : undefined;
  return {
    description: answer.description,
    ...(headers.length ? { headers: Object.fromEntries(headers) } : {}),
    ...(schema ? { content: { [answer.contentType ?? 'application/json']: { schema } } } : {}),
  };
}

/** `x-twilio-email-event-webhook-signature` → `X-Twilio-Email-Event-Webhook-Signature`. */
const headerName = (lower: string) =>
  lower.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
