import { readSince, sinceAt } from '../../src/cli/since';

const NOW = new Date('2026-12-04T12:00:00.000Z');
const at = (text: string) => {
  const since = readSince(text);
  return since ? sinceAt(since, NOW).toISOString() : null;
};

describe('--since', () => {
  it.each([
    ['90m', '2026-12-04T10:30:00.000Z'],
    ['36h', '2026-12-03T00:00:00.000Z'],
    ['2d', '2026-12-02T12:00:00.000Z'],
    ['1w', '2026-11-27T12:00:00.000Z'],
  ])('reads the duration %s as that long before now', (text, iso) => {
    expect(at(text)).toBe(iso);
  });

  it.each([
    ['2026-12-01T08:00:00Z', '2026-12-01T08:00:00.000Z'],
    ['2026-12-01T08:00:00+02:00', '2026-12-01T06:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
  ])('reads the ISO time %s as that time, whatever now is', (text, iso) => {
    expect(at(text)).toBe(iso);
  });

  it.each(['yesterday', '2 days', '2days', '0d', '-1d', '1y', '1.5h', 'd', '', '12/01/2026', '2026-13-01'])('reads %j as nothing', (text) => {
    expect(readSince(text)).toBeNull();
  });
});
