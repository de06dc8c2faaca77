/** zod schemas → JSON Schema 2020-12 (OpenAPI 3.1's dialect), as the docs need them. */
import { z } from 'zod';
import { sendEmailBody } from '../schemas';

export type JsonSchema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
};

/**
 * What a preprocess step accepts besides its schema's input, which zod cannot see.
 * `to` takes a bare address as well as {email, name}.
 */
const PREPROCESSED: Map<z.core.$ZodType, JsonSchema> = new Map([
  [sendEmailBody.shape.to, { type: 'string', format: 'email' }],
]);

type Override = NonNullable<z.core.ToJSONSchemaParams['override']>;

const override: Override = ({ zodSchema, jsonSchema }) => {
  const def = zodSchema._zod.def;
  const alternative = PREPROCESSED.get(zodSchema);
  if (alternative) {
    const own = { ...jsonSchema };
    for (const key of Object.keys(jsonSchema)) delete (jsonSchema as JsonSchema)[key];
    Object.assign(jsonSchema, { anyOf: [alternative, own] });
  }
  // A string checked after a transform (trimmed, lower-cased, then `z.email()`): its input is
  // the string before it, which zod shows without the format the value must end up having.
  if (def.type === 'pipe') {
    const out = (def as z.core.$ZodPipeDef).out._zod.def as { type: string; format?: string };
    if (out.type === 'string' && out.format && jsonSchema.type === 'string') jsonSchema.format ??= out.format;
  }
  // `.int()` bounds a number to JavaScript's safe integers: a limit of the language, not of the API.
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
  // zod leaves a default out of the input schema (it applies to the output); callers want to know it.
  if (def.type === 'default') {
    const value = (def as z.core.$ZodDefaultDef).defaultValue;
    jsonSchema.default = jsonSchema.type === 'string' && typeof value === 'number' ? String(value) : value;
  }
};

/**
 * The schema as a caller writes it (`io: 'input'`: before transforms; objects stay open for fields
 * added later). Checks only zod can run (refinements, the transform's result) are left to the API's 400.
 */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    cycles: 'throw',
    override,
  }) as JsonSchema;
  delete json.$schema;
  // `#/$defs/…` would point at the document's root, not the schema's: there is nowhere it resolves.
  if ('$defs' in json) throw new Error('schemas with ids ($defs) are not supported by the API docs');
  return json;
}
