import type { FieldError } from './error-body';

export interface Address {
  email: string;
  name?: string;
}

export interface Personalization {
  to: Address[];
  cc?: Address[];
  bcc?: Address[];
  subject?: string;
  custom_args?: Record<string, string>;
  send_at?: number;
  [key: string]: unknown;
}

/** The parts of a v3 mail/send body the sandbox reads; everything else passes through untouched. */
export interface MailSend {
  personalizations: Personalization[];
  from: Address;
  subject?: string;
  content?: { type: string; value: string }[];
  template_id?: string;
  categories?: string[];
  custom_args?: Record<string, string>;
  send_at?: number;
  asm?: { group_id: number; groups_to_display?: number[] };
  mail_settings?: { sandbox_mode?: { enable?: boolean } };
  [key: string]: unknown;
}

export type Validated = { ok: true; mail: MailSend } | { ok: false; errors: FieldError[] };

const MAX_PERSONALIZATIONS = 1000;
const MAX_RECIPIENTS = 1000;
const MAX_CATEGORIES = 10;
const MAX_CATEGORY_LENGTH = 255;
const MAX_CUSTOM_ARGS_BYTES = 10_000;
const MAX_SCHEDULE_SECONDS = 72 * 3600;

// Deliberately loose, like SendGrid's: one @, no spaces, a dot in the domain.
const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:".]+$/;

const ADDRESS_SHAPE =
  'must at least have an email parameter with a valid email address and it may also contain a name parameter. e.g. {"email": "example@example.com"} or {"email": "example@example.com", "name": "Example Recipient"}';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const wrongType = (expected: string, value: unknown, field: string): FieldError => ({
  message: `Invalid type. Expected: ${expected}, given: ${typeName(value)}.`,
  field,
});

/** Checks a mail/send body as SendGrid does, collecting every fault rather than stopping at the first. */
export function validateMailSend(body: unknown, now = Date.now()): Validated {
  if (!isObject(body)) return { ok: false, errors: [{ message: 'Bad Request', field: null }] };
  const errors: FieldError[] = [
    ...checkPersonalizations(body.personalizations, now),
    ...checkFrom(body.from),
    ...checkSubject(body),
    ...checkContent(body),
    ...checkCategories(body.categories),
    ...checkCustomArgs(body),
    ...checkSendAt(body.send_at, 'send_at', now),
    ...checkAsm(body.asm),
  ];
  return errors.length ? { ok: false, errors } : { ok: true, mail: body as MailSend };
}

function checkPersonalizations(value: unknown, now: number): FieldError[] {
  const field = 'personalizations';
  if (!Array.isArray(value) || value.length === 0) {
    return [{ message: 'You must have at least one personalization.', field }];
  }
  if (value.length > MAX_PERSONALIZATIONS) {
    const message = `The personalization block is limited to ${MAX_PERSONALIZATIONS} personalizations per API request. You have provided ${value.length} personalizations. Please consider splitting this into multiple requests and resending your request.`;
    return [{ message, field }];
  }
  const errors: FieldError[] = [];
  let recipients = 0;
  value.forEach((p: unknown, i) => {
    const at = `${field}.${i}`;
    if (!isObject(p)) {
      errors.push(wrongType('object', p, at));
      return;
    }
    if (!Array.isArray(p.to) || p.to.length === 0) {
      const message =
        'The to array is required for all personalization objects, and must have at least one email object with a valid email address.';
      errors.push({ message, field: `${at}.to` });
    }
    for (const kind of ['to', 'cc', 'bcc'] as const) {
      const list = p[kind];
      if (list === undefined || (kind === 'to' && !Array.isArray(list))) continue;
      if (!Array.isArray(list)) {
        errors.push({ message: `The ${kind} array, when used, ${ADDRESS_SHAPE}`, field: `${at}.${kind}` });
        continue;
      }
      recipients += list.length;
      list.forEach((address: unknown, j) =>
        errors.push(...checkAddress(address, `${at}.${kind}.${j}`, kind)),
      );
    }
    if (p.subject !== undefined && typeof p.subject !== 'string') {
      errors.push(wrongType('string', p.subject, `${at}.subject`));
    }
    errors.push(...checkStringValues(p.custom_args, `${at}.custom_args`));
    errors.push(...checkSendAt(p.send_at, `${at}.send_at`, now));
  });
  if (recipients > MAX_RECIPIENTS) {
    errors.push({
      message: `There is a limit of ${MAX_RECIPIENTS} total recipients (to + cc + bcc) per request.`,
      field,
    });
  }
  return errors;
}

function checkAddress(value: unknown, field: string, kind: string): FieldError[] {
  if (!isObject(value)) return [{ message: `Each ${kind} object ${ADDRESS_SHAPE}`, field }];
  const errors: FieldError[] = [];
  if (!nonEmptyString(value.email) || !EMAIL.test(value.email)) {
    errors.push({ message: 'Does not contain a valid address.', field: `${field}.email` });
  }
  if (value.name !== undefined && typeof value.name !== 'string') {
    errors.push(wrongType('string', value.name, `${field}.name`));
  }
  return errors;
}

function checkFrom(value: unknown): FieldError[] {
  if (!isObject(value) || value.email === undefined) {
    const message =
      'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.';
    return [{ message, field: 'from' }];
  }
  if (!nonEmptyString(value.email) || !EMAIL.test(value.email)) {
    return [{ message: 'The from email does not contain a valid address.', field: 'from.email' }];
  }
  return [];
}

function checkSubject(body: Json): FieldError[] {
  if (nonEmptyString(body.subject) || nonEmptyString(body.template_id)) return [];
  const personalizations = Array.isArray(body.personalizations) ? body.personalizations : [];
  const everyHasOne =
    personalizations.length > 0 &&
    personalizations.every((p: unknown) => isObject(p) && nonEmptyString(p.subject));
  if (everyHasOne) return [];
  const message =
    'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.';
  return [{ message, field: 'subject' }];
}

function checkContent(body: Json): FieldError[] {
  const { content } = body;
  if (content === undefined && nonEmptyString(body.template_id)) return [];
  if (!Array.isArray(content) || content.length === 0) {
    const message =
      'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.';
    return [{ message, field: 'content' }];
  }
  const errors: FieldError[] = [];
  content.forEach((item: unknown, i) => {
    const block = isObject(item) ? item : {};
    if (!nonEmptyString(block.type)) {
      errors.push({
        message: 'The content type must be a string at least one character in length.',
        field: `content.${i}.type`,
      });
    }
    if (!nonEmptyString(block.value)) {
      errors.push({
        message: 'The content value must be a string at least one character in length.',
        field: `content.${i}.value`,
      });
    }
  });
  const plainAt = content.findIndex((item: unknown) => isObject(item) && item.type === 'text/plain');
  if (plainAt > 0) {
    const message =
      'If present, text/plain content must be first, followed by text/html, and then any other content.';
    errors.push({ message, field: 'content' });
  }
  return errors;
}

function checkCategories(value: unknown): FieldError[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [wrongType('array', value, 'categories')];
  const errors: FieldError[] = [];
  if (value.length > MAX_CATEGORIES) {
    errors.push({
      message: `Too many categories. You may provide up to ${MAX_CATEGORIES} categories.`,
      field: 'categories',
    });
  }
  value.forEach((category: unknown, i) => {
    if (typeof category !== 'string') errors.push(wrongType('string', category, `categories.${i}`));
    else if (category.length > MAX_CATEGORY_LENGTH) {
      errors.push({
        message: `A category cannot be more than ${MAX_CATEGORY_LENGTH} characters.`,
        field: `categories.${i}`,
      });
    }
  });
  return errors;
}

function checkStringValues(value: unknown, field: string): FieldError[] {
  if (value === undefined) return [];
  if (!isObject(value)) return [wrongType('object', value, field)];
  return Object.entries(value)
    .filter(([, arg]) => typeof arg !== 'string')
    .map(([key, arg]) => wrongType('string', arg, `${field}.${key}`));
}

/** Custom args are limited as a whole: the message's own merged with each personalization's. */
function checkCustomArgs(body: Json): FieldError[] {
  const errors = checkStringValues(body.custom_args, 'custom_args');
  if (errors.length) return errors;
  const shared = isObject(body.custom_args) ? body.custom_args : {};
  const personalizations = Array.isArray(body.personalizations) ? body.personalizations : [{}];
  const tooBig = personalizations.some((p: unknown) => {
    const own = isObject(p) && isObject(p.custom_args) ? p.custom_args : {};
    return Buffer.byteLength(JSON.stringify({ ...shared, ...own })) > MAX_CUSTOM_ARGS_BYTES;
  });
  if (!tooBig) return [];
  return [
    {
      message: `The custom_args parameter may not exceed ${MAX_CUSTOM_ARGS_BYTES} bytes.`,
      field: 'custom_args',
    },
  ];
}

function checkSendAt(value: unknown, field: string, now: number): FieldError[] {
  if (value === undefined) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return [wrongType('integer', value, field)];
  if (value > Math.floor(now / 1000) + MAX_SCHEDULE_SECONDS) {
    return [{ message: 'The send_at parameter cannot be scheduled more than 72 hours in advance.', field }];
  }
  return [];
}

function checkAsm(value: unknown): FieldError[] {
  if (value === undefined) return [];
  if (!isObject(value)) return [wrongType('object', value, 'asm')];
  if (typeof value.group_id !== 'number' || !Number.isInteger(value.group_id)) {
    return [wrongType('integer', value.group_id, 'asm.group_id')];
  }
  return [];
}
