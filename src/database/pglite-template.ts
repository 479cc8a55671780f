import { PGlite } from '@electric-sql/pglite';
import {
  copyFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A new PGlite database (initdb's output and nothing else), made once by `npm run build`, as a
 * folder and as the same files in one tar. Starting from it takes a fraction of a second where
 * initdb in WebAssembly takes seconds, most of the embedded database's first start. Migrations
 * still run on it at start-up, as on any database. It is named by PGlite's version so that an
 * upgrade never starts from another version's catalogue (package.json is read directly: PGlite
 * does not export it).
 */
const pgliteVersion = (
  JSON.parse(readFileSync(join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/**
 * Beside this module in the build, so a copy of dist/ carries it; when the test runner runs this
 * module from src/, the build's copy.
 */
const BUILD_DIR = __filename.endsWith('.ts') ? join(__dirname, '..', '..', 'dist', 'src', 'database') : __dirname;

export const TEMPLATE_DIR = join(BUILD_DIR, `pglite-template-${pgliteVersion}`);
/** For `memory://` databases: PGlite loads a tar of a data folder at start (`loadDataDir`). */
const TEMPLATE_TAR = `${TEMPLATE_DIR}.tar`;

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

/**
 * The template as PGlite's `loadDataDir` takes it, for a new `memory://` database; undefined
 * when the build has not made it (PGlite then runs initdb).
 */
export function templateArchive(dataDir: string): Blob | undefined {
  if (dataDir !== 'memory://' || !existsSync(TEMPLATE_TAR)) return undefined;
  return new Blob([readFileSync(TEMPLATE_TAR)]);
}

/** Makes the template unless this PGlite version's already exists, so a rebuild costs nothing. */
async function buildTemplate(): Promise<void> {
  if (existsSync(TEMPLATE_DIR) && existsSync(TEMPLATE_TAR)) return;
  const staging = `${TEMPLATE_DIR}.${process.pid}`;
  const db = await PGlite.create({ dataDir: staging });
  // Uncompressed (40 MB against 4.5): every new in-memory database loads it, and gzip's took
  // about 0.5 s longer to load (2.7-3.3 s against 3.3-3.9 s, measured side by side under load).
  const archive = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
  await db.close();
  // Each renamed whole, so a template that exists is complete.
  writeFileSync(`${TEMPLATE_TAR}.${process.pid}`, archive);
  renameSync(`${TEMPLATE_TAR}.${process.pid}`, TEMPLATE_TAR);
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
