import { z } from 'zod';
import type { ConnectorFactory } from '../connectors/types.js';

/**
 * The settings a kind of supplier account takes, for a form (the dashboard's "add supplier"),
 * read off the connector's own config schema so the form never drifts from what `add`
 * validates. A setting the form cannot show as one input (an object, a union) is `json`: the
 * page sends the text as JSON when it parses, else as a string.
 */
export interface ConfigField {
  key: string;
  type: 'text' | 'number' | 'boolean' | 'choice' | 'json';
  required: boolean;
  /** A credential: a password input, never shown back. */
  secret: boolean;
  default: unknown;
  options: string[] | null;
}

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

export function configFields(factory: ConnectorFactory<unknown>): ConfigField[] {
  const schema = z.toJSONSchema(factory.configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, p]) => ({
    key,
    type: p.enum ? 'choice' : p.type === 'string' ? 'text' : p.type === 'integer' || p.type === 'number' ? 'number' : p.type === 'boolean' ? 'boolean' : 'json',
    required: required.has(key),
    secret: factory.secretKeys.includes(key),
    default: p.default ?? null,
    options: p.enum ? p.enum.map(String) : null,
  }));
}
