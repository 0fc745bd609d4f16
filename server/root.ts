// Where the installation lives: templates/, vendor-profiles/ and the console's
// files are read from here. One level above this file, which is server/ when
// run from the sources and dist/ when run from the bundle: the same folder.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
