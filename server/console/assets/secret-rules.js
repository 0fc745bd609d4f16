// The API's rules for a SIP secret, checked as the admin types. Kept in step
// with server/domain/secret.ts (a test compares both on random input); the
// server checks again on Save.
export const SECRET_MIN = 8;
export const SECRET_MAX = 64;

export function secretProblem(text) {
  if (text.length < SECRET_MIN || text.length > SECRET_MAX) {
    return `must be ${SECRET_MIN} to ${SECRET_MAX} characters long`;
  }
  if (!/^[\x20-\x7e]*$/.test(text)) {
    return 'may contain printable ASCII characters only (no control characters, no non-ASCII)';
  }
  if (text.startsWith(' ') || text.endsWith(' ')) {
    return 'may not start or end with a space';
  }
  return null;
}
