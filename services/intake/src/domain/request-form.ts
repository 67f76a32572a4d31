import type { z } from 'zod';
import type { IntakeRequestInput } from './intake-request';

/** The names of the web form's fields, in the order the form shows them. */
export const FORM_FIELDS = [
  'formToken',
  'name',
  'email',
  'rights',
  'otherRightText',
  'companyName',
  'companyEmail',
  'text',
  'regimeHint',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** What the browser sent, as @fastify/formbody decodes it: a string, or an array for repeated names. */
export type FormBody = Record<string, string | string[] | undefined>;

/** The form's values as strings, kept to re-render the form after a validation error. */
export interface FormValues {
  name: string;
  email: string;
  rights: string[];
  otherRightText: string;
  companyName: string;
  companyEmail: string;
  text: string;
  regimeHint: string;
}

export const EMPTY_FORM: FormValues = {
  name: '',
  email: '',
  rights: [],
  otherRightText: '',
  companyName: '',
  companyEmail: '',
  text: '',
  regimeHint: '',
};

const first = (value: string | string[] | undefined): string =>
  Array.isArray(value) ? (value[0] ?? '') : (value ?? '');

/** Field names the form never shows; a post carrying one was not made by our form. */
export function unknownFormFields(body: FormBody): string[] {
  const known = new Set<string>(FORM_FIELDS);
  return Object.keys(body).filter((key) => !known.has(key));
}

export function formValues(body: FormBody): FormValues {
  const rights = body.rights;
  return {
    name: first(body.name),
    email: first(body.email),
    rights: Array.isArray(rights) ? rights : rights ? [rights] : [],
    otherRightText: first(body.otherRightText),
    companyName: first(body.companyName),
    companyEmail: first(body.companyEmail),
    text: first(body.text),
    regimeHint: first(body.regimeHint),
  };
}

/** The form's values in the shape of the shared request schema (empty optional fields left out). */
export function formToRequestInput(values: FormValues): IntakeRequestInput {
  const companyName = values.companyName.trim();
  const companyEmail = values.companyEmail.trim();
  return {
    requester: { name: values.name, email: values.email },
    rights: values.rights as IntakeRequestInput['rights'],
    ...(values.otherRightText.trim() ? { otherRightText: values.otherRightText } : {}),
    ...(companyName || companyEmail
      ? { company: { ...(companyName ? { name: companyName } : {}), ...(companyEmail ? { email: companyEmail } : {}) } }
      : {}),
    text: values.text,
    ...(values.regimeHint ? { regimeHint: values.regimeHint as IntakeRequestInput['regimeHint'] } : {}),
  };
}

/** A validation failure told without echoing what was sent: paths and expectations only. */
export interface FieldIssue {
  /** Dotted path in the request schema, e.g. `requester.email`; empty for the whole request. */
  path: string;
  message: string;
}

export function describeValidationIssues(error: z.ZodError): { code: string; issues: FieldIssue[] } {
  const unknownKeys = error.issues.some((issue) => issue.code === 'unrecognized_keys');
  return {
    code: unknownKeys ? 'UNKNOWN_FIELD' : 'VALIDATION_FAILED',
    issues: error.issues.slice(0, 20).map((issue) => ({
      path: issue.path.map(String).join('.'),
      message:
        issue.code === 'unrecognized_keys'
          ? `unknown field(s): ${issue.keys
              .slice(0, 5)
              .map((key) => key.slice(0, 40))
              .join(', ')}`
          : issue.message,
    })),
  };
}

/** Which form field a schema path belongs to, so the message shows beside it. */
export function formFieldOf(path: string): FormField | undefined {
  if (path === 'requester.name') return 'name';
  if (path === 'requester.email') return 'email';
  if (path.startsWith('rights')) return 'rights';
  if (path === 'otherRightText') return 'otherRightText';
  if (path === 'company.name') return 'companyName';
  if (path === 'company.email') return 'companyEmail';
  if (path === 'text') return 'text';
  if (path === 'regimeHint') return 'regimeHint';
  return undefined;
}
