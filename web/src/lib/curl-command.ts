/**
 * The Playground's request as a `curl` command to paste into a shell. Every argument is quoted
 * for POSIX shells, so a value such as `x'; touch pwned; echo '` stays data when pasted.
 */

/** `text` as one single-quoted shell word (a `'` inside becomes `'\''`). */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command; with `tokenVariable`, the Authorization header names that variable, never a token. */
export function curlCommand(origin: string, path: string, body: unknown, tokenVariable?: string): string {
  const auth = tokenVariable ? `  -H "authorization: Bearer $${tokenVariable}" \\\n` : '';
  return `curl -X POST ${shellQuote(`${origin}${path}`)} \\\n  -H 'content-type: application/json' \\\n${auth}  -d ${shellQuote(JSON.stringify(body))}`;
}
