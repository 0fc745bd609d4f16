// SIP secrets: the rules every accepted secret obeys and the generator.
// The rules are what every vendor format can carry once encoded, so a secret
// that passes here can be rendered for any phone or softphone.
import { randomInt } from 'node:crypto';
import { InvalidInput } from './errors.ts';

export const SECRET_MIN = 8;
export const SECRET_MAX = 64;
export const GENERATED_LENGTH = 24;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Why the text is not an acceptable secret, or null when it is. Never quotes the text. */
export function secretProblem(text: string): string | null {
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

export function assertValidSecret(text: string): string {
  const problem = secretProblem(text);
  if (problem) throw new InvalidInput(`secret ${problem}`, 'invalid-secret');
  return text;
}

/** Letters and digits only, so it survives being read aloud or typed on a handset. */
export function generateSecret(length = GENERATED_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
