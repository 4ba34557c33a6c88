import { fail } from './errors';

export const required = (params: Record<string, unknown>, name: string): string => {
  const value = params[name];
  if (typeof value !== 'string' || value === '') return fail(100, `(#100) The parameter ${name} is required`);
  return value;
};

export function objectParam(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      return objectParam(JSON.parse(value) as unknown);
    } catch {
      return undefined;
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function fieldList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string' || value === '') return fail(100, '(#100) The parameter fields is required');
  if (value.startsWith('[')) return fieldList(JSON.parse(value) as unknown);
  return value.split(',').map((f) => f.trim());
}
