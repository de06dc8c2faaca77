import { type Env, required } from '../lib/env';
import {
  type MongoConfig,
  type TemporalConfig,
  mongoConfig,
  sendgridApiUrl,
  temporalConfig,
} from '../lib/config';

export interface WorkerConfig {
  temporal: TemporalConfig;
  mongo: MongoConfig;
  sendgrid: { apiKey: string; apiUrl: string };
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  return {
    temporal: temporalConfig(env),
    mongo: mongoConfig(env),
    sendgrid: { apiKey: required(env, 'SENDGRID_API_KEY'), apiUrl: sendgridApiUrl(env) },
  };
}
