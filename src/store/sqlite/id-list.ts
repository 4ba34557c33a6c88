/** Ids as one JSON parameter, read by `json_each(?)`: SQLite has no array parameters. */
export function idList(ids: readonly number[]): string {
  return JSON.stringify(ids);
}
