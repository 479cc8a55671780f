import { DataSource, EntityManager } from 'typeorm';
import { TransactionalConnection } from '../../src/database/transactional-connection';
import { startTestApp, type TestApp } from '../support/test-app';

describe('TransactionalConnection: one transaction per use case, joined by what it calls', () => {
  let t: TestApp;
  let connection: TransactionalConnection;
  let dataSource: DataSource;
  const kept = async () =>
    (await dataSource.query<{ n: number }[]>('SELECT n FROM tx_probe ORDER BY n')).map((r) => r.n);

  beforeAll(async () => {
    t = await startTestApp();
    connection = t.app.get(TransactionalConnection);
    dataSource = t.app.get(DataSource);
    await dataSource.query('CREATE TABLE tx_probe (n int NOT NULL)');
  });
  beforeEach(() => dataSource.query('TRUNCATE tx_probe'));
  afterAll(() => t?.close());

  it('commits the work, and answers what it returned', async () => {
    const answer = await connection.withTransaction(async (manager) => {
      await manager.query('INSERT INTO tx_probe VALUES (1)');
      return 'done';
    });
    expect(answer).toBe('done');
    expect(await kept()).toStrictEqual([1]);
  });

  it('rolls back every write of work that throws, and rethrows', async () => {
    const refusal = new Error('refused');
    await expect(
      connection.withTransaction(async (manager) => {
        await manager.query('INSERT INTO tx_probe VALUES (2)');
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(await kept()).toStrictEqual([]);
  });

  it('joins a transaction already open: the nested work commits or rolls back with its caller', async () => {
    await expect(
      connection.withTransaction(async (outer) => {
        await outer.query('INSERT INTO tx_probe VALUES (3)');
        await connection.withTransaction(async (inner) => {
          expect(inner).toBe(outer);
          expect(connection.manager).toBe(outer);
          await inner.query('INSERT INTO tx_probe VALUES (4)');
        });
        throw new Error('the caller fails after the nested work');
      }),
    ).rejects.toThrow('the caller fails');
    expect(await kept()).toStrictEqual([]);
  });

  it('opens a transaction of its own for work scheduled inside one that has since committed', async () => {
    let committed!: () => void;
    const gate = new Promise<void>((resolve) => (committed = resolve));
    let later!: Promise<EntityManager>;
    const first = await connection.withTransaction(async (manager) => {
      // Scheduled here, so it runs in this transaction's async context, but after the commit.
      later = gate.then(() =>
        connection.withTransaction(async (own) => {
          await own.query('INSERT INTO tx_probe VALUES (7)');
          return own;
        }),
      );
      return manager;
    });
    committed();
    expect(await later).not.toBe(first);
    expect(await kept()).toStrictEqual([7]);
  });

  it('keeps concurrent use cases apart, and reads outside one on the data source', async () => {
    expect(connection.manager).toBe(dataSource.manager);
    const managers = await Promise.all(
      [5, 6].map((n) =>
        connection.withTransaction(async (manager) => {
          await manager.query('INSERT INTO tx_probe VALUES ($1)', [n]);
          return manager;
        }),
      ),
    );
    expect(managers[0]).not.toBe(managers[1]);
    expect(await kept()).toStrictEqual([5, 6]);
  });
});
