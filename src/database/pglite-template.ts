import { PGlite } from '@electric-sql/pglite';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A new PGlite data folder (initdb's output and nothing else), made once by `npm run build`.
 * Copying it takes a fraction of a second where initdb in WebAssembly takes seconds, most of
 * the embedded database's first start. Migrations still run on the copy at start-up, as on
 * any database. The folder is named by PGlite's version so that an upgrade never starts from
 * another version's catalogue (package.json is read directly: PGlite does not export it).
 */
const pgliteVersion = (
  JSON.parse(readFileSync(join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
export const TEMPLATE_DIR = join(__dirname, `pglite-template-${pgliteVersion}`);

/**
 * Copies the template into `dataDir` when that is a folder path (not `memory://` or another
 * PGlite URL), the folder is missing or empty, and the template has been built; otherwise
 * PGlite runs initdb as before. PG_VERSION, which PGlite takes as the sign of an existing
 * database, is copied last, so an interrupted copy is never mistaken for one. Returns whether
 * it copied.
 */
export function seedFromTemplate(dataDir: string): boolean {
  if (dataDir.includes('://') || !existsSync(TEMPLATE_DIR) || (existsSync(dataDir) && readdirSync(dataDir).length > 0))
    return false;
  const marker = join(TEMPLATE_DIR, 'PG_VERSION');
  cpSync(TEMPLATE_DIR, dataDir, { recursive: true, filter: (source) => source !== marker });
  copyFileSync(marker, join(dataDir, 'PG_VERSION'));
  return true;
}

/** Makes the template unless this PGlite version's already exists, so a rebuild costs nothing. */
async function buildTemplate(): Promise<void> {
  if (existsSync(TEMPLATE_DIR)) return;
  const staging = `${TEMPLATE_DIR}.${process.pid}`;
  const db = await PGlite.create({ dataDir: staging });
  await db.close();
  // Renamed whole, so a template that exists is complete.
  try {
    renameSync(staging, TEMPLATE_DIR);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(TEMPLATE_DIR)) throw error; // else a concurrent build made it first
  }
}

if (require.main === module) {
  buildTemplate().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
