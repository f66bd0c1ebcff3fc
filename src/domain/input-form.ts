import { z } from 'zod';
import { KiosError } from './errors.js';

/**
 * Input forms: what a buyer must give for a product, as VCGamers publishes them per brand
 * (`forms: [{key, type, alias, options}]`). The reseller API has two destination fields, so a
 * form has one or two fields: the first is filled from `user_id`, the second from `server_id`.
 * Connectors receive the filled form as `{key, value}` pairs in the form's order, the shape
 * VCGamers' `data` array takes.
 */

export const FORM_FIELD_TYPES = ['text', 'numeric', 'option'] as const;

export const formFieldSchema = z
  .object({
    key: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'key: letters, digits and _ . - (at most 64)'),
    type: z.enum(FORM_FIELD_TYPES),
    alias: z.string().trim().min(1).max(64),
    options: z.array(z.string().trim().min(1).max(64)).min(1).max(500).optional(),
  })
  .strict()
  .refine((f) => (f.type === 'option') === (f.options !== undefined), 'options are given exactly when type is "option"');

export const inputFormSchema = z.array(formFieldSchema).min(1).max(2, 'a form has at most two fields (user_id and server_id)');

export type FormField = z.infer<typeof formFieldSchema>;
export type InputForm = z.infer<typeof inputFormSchema>;

export interface FormInput {
  key: string;
  value: string;
}

/** Parsed forms by their JSON: every order of a product reads the same few forms. */
const parsed = new Map<string, InputForm | null>();

/** The form as stored (JSON text), or null when there is none or it is unreadable. */
export function readForm(json: string | null): InputForm | null {
  if (json === null) return null;
  const known = parsed.get(json);
  if (known !== undefined) return known;
  let form: InputForm | null = null;
  try {
    const r = inputFormSchema.safeParse(JSON.parse(json));
    if (r.success) form = r.data;
  } catch {
    form = null;
  }
  if (parsed.size >= 1_000) parsed.clear();
  parsed.set(json, form);
  return form;
}

/**
 * Fills a form from an order's destination, or throws INVALID_USER_ID (before anything is
 * charged). An option is matched without regard to case and sent in the form's own spelling.
 */
export function fillForm(form: InputForm, userId: string, serverId: string | null): { inputs: FormInput[]; serverId: string | null } {
  const given = [userId, serverId];
  const inputs: FormInput[] = [];
  form.forEach((field, i) => {
    const value = given[i];
    const name = i === 0 ? 'user_id' : 'server_id';
    if (value === null || value === undefined) throw new KiosError('INVALID_USER_ID', `${name} (${field.alias}) is required for this product`);
    inputs.push({ key: field.key, value: checkField(field, value, name) });
  });
  return { inputs, serverId: form.length > 1 ? inputs[1]!.value : null };
}

function checkField(field: FormField, value: string, name: string): string {
  switch (field.type) {
    case 'numeric':
      if (!/^\d+$/.test(value)) throw new KiosError('INVALID_USER_ID', `${name} (${field.alias}) must be digits only`);
      return value;
    case 'text':
      return value;
    case 'option': {
      const option = field.options!.find((o) => o.toLowerCase() === value.toLowerCase());
      if (option === undefined) throw new KiosError('INVALID_USER_ID', `${name} (${field.alias}) must be one of: ${field.options!.slice(0, 20).join(', ')}`);
      return option;
    }
  }
}

/** The inputs of an order placed without a form: the two destination fields under their API names. */
export function defaultInputs(userId: string, serverId: string | null): FormInput[] {
  return serverId === null ? [{ key: 'user_id', value: userId }] : [{ key: 'user_id', value: userId }, { key: 'server_id', value: serverId }];
}
