import { randomBytes } from 'node:crypto';

/** One entry of SendGrid's error list; `field` is null when the fault is not in one field (auth, JSON). */
export interface FieldError {
  message: string;
  field: string | null;
}

export interface ErrorBody {
  errors: { message: string; field: string | null; help: null }[];
  id: string;
}

/** The body SendGrid answers every failed v3 request with. */
export function errorBody(errors: FieldError[]): ErrorBody {
  return {
    errors: errors.map(({ message, field }) => ({ message, field, help: null })),
    id: randomBytes(16).toString('hex'),
  };
}
