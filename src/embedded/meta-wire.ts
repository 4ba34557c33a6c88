const escapeUnit = (unit: string): string => '\\u' + unit.charCodeAt(0).toString(16).padStart(4, '0');

/**
 * The JSON text as Meta puts it on the wire and signs it: compact, non-ASCII as \uXXXX, "/" as
 * "\/". Simulations and tests send these bytes, so they exercise the raw-body signature check the
 * way Meta does (a re-serialised body would not match).
 */
export function toMetaWire(value: unknown): string {
  const json = JSON.stringify(value);
  if (typeof json !== 'string') throw new TypeError('toMetaWire: value has no JSON form');
  // Without the `u` flag the class matches single UTF-16 code units, so astral characters become
  // surrogate pairs (🎉 -> \ud83c\udf89). "/" only occurs inside JSON strings, so escaping every one is safe.
  return json.replace(/[\u0080-\uffff]/g, escapeUnit).replace(/\//g, '\\/');
}
