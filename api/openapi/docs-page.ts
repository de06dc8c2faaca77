/** The OpenAPI document as one self-contained HTML page: no scripts, no CDN, rendered once. */
import type { JsonSchema } from './json-schema';
import type { OpenApiDocument, OperationObject, Parameter, ResponseObject } from './document';

interface Field {
  name: string;
  type: string;
  required: boolean;
  notes: string;
}

const esc = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/`([^`]+)`/g, '<code>$1</code>');

const CONSTRAINTS: [string, (v: unknown) => string][] = [
  ['minLength', (v) => (v === 1 ? 'not empty' : `at least ${v} characters`)],
  ['maxLength', (v) => `at most ${v} characters`],
  ['minimum', (v) => `≥ ${v}`],
  ['exclusiveMinimum', (v) => `> ${v}`],
  ['maximum', (v) => `≤ ${v}`],
  ['maxItems', (v) => `at most ${v} items`],
  ['pattern', (v) => `matches ${v}`],
  ['default', (v) => `default ${JSON.stringify(v)}`],
];

function typeOf(schema: JsonSchema): string {
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? 'object';
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeOf).join(' or ');
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in schema) return JSON.stringify(schema.const);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'any'];
  return types
    .map((type) => {
      if (type === 'array') return `array of ${typeOf((schema.items as JsonSchema) ?? {})}`;
      if (type === 'object' && !schema.properties && schema.additionalProperties) {
        return `map of ${typeOf(schema.additionalProperties as JsonSchema)}`;
      }
      return typeof schema.format === 'string' && type === 'string' ? `string (${schema.format})` : type;
    })
    .join(' or ');
}

/** The schema's fields, nested ones as `parent.child` and `parent[].child`. */
function fields(schema: JsonSchema, prefix = '', depth = 0): Field[] {
  const object = objectPart(schema);
  if (!object?.properties || depth > 3) return [];
  return Object.entries(object.properties).flatMap(([name, field]) => {
    const path = `${prefix}${name}`;
    const notes = CONSTRAINTS.filter(([key]) => key in field).map(([key, say]) => say(field[key]));
    if (field.description) notes.unshift(field.description);
    const own = {
      name: path,
      type: typeOf(field),
      required: (object.required ?? []).includes(name),
      notes: notes.join('; '),
    };
    const items = field.type === 'array' ? (field.items as JsonSchema) : undefined;
    const nested = items ? fields(items, `${path}[].`, depth + 1) : fields(field, `${path}.`, depth + 1);
    return [own, ...nested];
  });
}

/** An object, or the object among alternatives (`{email, name}` or a bare address). */
function objectPart(schema: JsonSchema): JsonSchema | undefined {
  if (schema.properties) return schema;
  return ((schema.anyOf ?? []) as JsonSchema[]).find((s) => s.properties);
}

function table(head: string[], rows: string[][]): string {
  if (!rows.length) return '';
  const cells = (tag: string, row: string[]) => row.map((cell) => `<${tag}>${cell}</${tag}>`).join('');
  return `<table><tr>${cells('th', head)}</tr>${rows.map((r) => `<tr>${cells('td', r)}</tr>`).join('')}</table>`;
}

const fieldTable = (schema: JsonSchema) =>
  table(
    ['field', 'type', 'required', 'notes'],
    fields(schema).map((f) => [
      `<code>${esc(f.name)}</code>`,
      esc(f.type),
      f.required ? 'yes' : '',
      esc(f.notes),
    ]),
  );

function parameterTable(parameters: Parameter[]): string {
  const rows = parameters.map((p) => {
    const notes = [
      p.description,
      ...CONSTRAINTS.filter(([k]) => k in p.schema).map(([k, say]) => say(p.schema[k])),
    ];
    return [
      `<code>${esc(p.name)}</code>`,
      p.in,
      esc(typeOf(p.schema)),
      p.required ? 'yes' : '',
      esc(notes.filter(Boolean).join('; ')),
    ];
  });
  return table(['name', 'in', 'type', 'required', 'notes'], rows);
}

function responseRows(responses: Record<string, ResponseObject>): string {
  return Object.entries(responses)
    .map(([status, response]) => {
      const [contentType, media] = Object.entries(response.content ?? {})[0] ?? [];
      const headers = Object.entries(response.headers ?? {}).map(([name, h]) => `${name}: ${h.description}`);
      // JSON goes without saying; an error body links to its one description.
      const json = contentType === 'application/json';
      const body = media?.schema.$ref
        ? 'an <a href="#errors">Error</a> body'
        : json
          ? ''
          : esc(contentType ?? '');
      const about = [esc(response.description), ...headers.map(esc), body].filter(Boolean).join(' · ');
      const detail = media && !media.schema.$ref ? fieldTable(media.schema) : '';
      return `<li><b>${status}</b> ${about}${detail}</li>`;
    })
    .join('');
}

function operationSection(method: string, path: string, op: OperationObject, doc: OpenApiDocument): string {
  const auth = op.security.flatMap((requirement) => Object.keys(requirement));
  const schemes = doc.components.securitySchemes;
  const authText = auth.length
    ? auth.map((name) => esc(schemes[name].name ?? 'Authorization: Bearer <key>')).join(' and ')
    : 'none';
  const body = op.requestBody?.content['application/json']?.schema;
  return [
    `<section id="${esc(op.operationId)}"><h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>`,
    `<p>${esc(op.summary)}</p>`,
    op.description ? `<p>${esc(op.description)}</p>` : '',
    `<p class="auth">Credentials: ${authText}</p>`,
    op.parameters?.length ? `<h4>Parameters</h4>${parameterTable(op.parameters)}` : '',
    body ? `<h4>Body</h4>${body.properties ? '' : `<p>${esc(typeOf(body))}</p>`}${fieldTable(body)}` : '',
    `<h4>Responses</h4><ul>${responseRows(op.responses)}</ul></section>`,
  ]
    .filter(Boolean)
    .join('\n');
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
section{border-top:1px solid #ccc;padding-top:.5rem}.method{font-weight:bold;padding:0 .4rem;border-radius:3px;color:#fff;background:#555}
.get{background:#2a7}.post{background:#27c}.put{background:#c82}.patch{background:#a6c}.delete{background:#c33}code{background:#f4f4f4}`;

export function renderDocsPage(doc: OpenApiDocument): string {
  const sections = doc.tags.map(({ name }) => {
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => op.tags.includes(name))
        .map(([method, op]) => operationSection(method, path, op, doc)),
    );
    return `<h2>${esc(name)}</h2>\n${ops.join('\n')}`;
  });
  const index = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(
      ([method, op]) =>
        `<li><a href="#${esc(op.operationId)}">${method.toUpperCase()} ${esc(path)}</a> ${esc(op.summary)}</li>`,
    ),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title><style>${STYLE}</style></head>
<body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description)} The same as OpenAPI ${esc(doc.openapi)}: <a href="/openapi.json">/openapi.json</a>.</p>
<ul>${index.join('')}</ul>
<h2 id="errors">Errors</h2>${fieldTable(doc.components.schemas.Error)}
${sections.join('\n')}
</body></html>
`;
}
