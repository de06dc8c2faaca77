import { ConfigError, type Env, bool, optional, required, url } from './env';

/** Settings both the API and the worker read, parsed the same way in both. */
export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Index each email's recipient address in Temporal's visibility (its domain always is). */
  recipientInTemporal: boolean;
}

export interface MongoConfig {
  uri: string;
  dbName: string;
}

export function temporalConfig(env: Env): TemporalConfig {
  return {
    address: optional(env, 'TEMPORAL_ADDRESS', 'localhost:7233'),
    namespace: optional(env, 'TEMPORAL_NAMESPACE', 'default'),
    taskQueue: optional(env, 'TEMPORAL_TASK_QUEUE', 'mailroom'),
    recipientInTemporal: bool(env, 'RECIPIENT_IN_TEMPORAL', false),
  };
}

export function mongoConfig(env: Env): MongoConfig {
  const uri = required(env, 'MONGODB_URI');
  if (!/^mongodb(\+srv)?:\/\//.test(uri))
    throw new ConfigError(`MONGODB_URI must start with mongodb:// or mongodb+srv://`);
  return { uri, dbName: optional(env, 'MONGODB_DB', 'mailroom') };
}

export const SENDGRID_DEFAULT_URL = 'https://api.sendgrid.com';

export function sendgridApiUrl(env: Env): string {
  return url(env, 'SENDGRID_API_URL', SENDGRID_DEFAULT_URL);
}

/** How many times an outcome callback is tried (CALLBACK_MAX_ATTEMPTS), by the API and by campaigns. */
export const DEFAULT_CALLBACK_MAX_ATTEMPTS = 10;
