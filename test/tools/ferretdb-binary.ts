// `.ci/run` calls this before `npm test`: FerretDB found in its cache or built
// there now, so that the MongoDB half of the run always has a server on CI.
// Prints the binary's path; fails when it is missing and cannot be built.
import { buildFerretDb, ferretDbCache, findFerretDb, findGo, FERRETDB_VERSION } from '../helpers/ferretdb.ts';

let bin = findFerretDb();
if (!bin) {
  const go = findGo();
  if (!go) {
    console.error(`FerretDB ${FERRETDB_VERSION} is not in ${ferretDbCache()} and there is no Go to build it with (command -v go, /usr/local/go/bin/go)`);
    process.exit(1);
  }
  console.error(`building FerretDB ${FERRETDB_VERSION} into ${ferretDbCache()} (once; a few minutes)`);
  bin = buildFerretDb(go);
}
console.log(bin);
