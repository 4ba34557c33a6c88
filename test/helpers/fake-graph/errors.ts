import crypto from 'node:crypto';
import type { GraphErrorSpec } from './types';

/** Thrown by handlers, answered as Meta's error JSON. */
export class GraphError extends Error {
  constructor(readonly spec: GraphErrorSpec) {
    super(spec.message);
  }
}

export function fail(code: number, message: string, extra: Partial<GraphErrorSpec> = {}): never {
  throw new GraphError({ code, message, ...extra });
}

export function errorAnswer(spec: GraphErrorSpec): { status: number; body: object } {
  const error = {
    message: spec.message,
    type: spec.type ?? 'OAuthException',
    code: spec.code,
    ...(spec.subcode !== undefined && { error_subcode: spec.subcode }),
    ...(spec.details !== undefined && { error_data: { messaging_product: 'whatsapp', details: spec.details } }),
    fbtrace_id: crypto.randomBytes(9).toString('base64url'),
  };
  return { status: spec.httpStatus ?? (spec.code === 190 ? 401 : 400), body: { error } };
}

export const unsupported = (method: string, id: string) =>
  fail(
    100,
    `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    { subcode: 33, type: 'GraphMethodException' },
  );
