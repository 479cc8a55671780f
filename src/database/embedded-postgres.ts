import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { seedFromTemplate, templateArchive } from './pglite-template';

/**
 * PostgreSQL in-process (PGlite, real Postgres compiled to WASM), served on a private
 * loopback port so the app talks to it through the same `pg` driver as to a real server.
 * PGlite runs one statement at a time; its socket keeps a transaction's statements together.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
    /** Whether this start made the database by copying the build's template. */
    readonly fromTemplate: boolean,
  ) {}

  /** `dataDir` is a folder (created if missing) or `memory://` for a throwaway database. */
  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const loadDataDir = templateArchive(dataDir);
    const fromTemplate = loadDataDir !== undefined || seedFromTemplate(dataDir);
    const db = await PGlite.create({ dataDir, loadDataDir, extensions: { btree_gist } });
    // One client connection: the socket interleaves statements of concurrent connections
    // outside transactions, which would mix up the extended-protocol messages of two queries.
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
    await server.start();
    return new EmbeddedPostgres(db, server, `postgres://postgres@${server.getServerConn()}/postgres`, fromTemplate);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
