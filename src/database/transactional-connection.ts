import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';

/** The transaction the current call runs in, if any: what a nested withTransaction joins. */
const openTransaction = new AsyncLocalStorage<EntityManager>();

/**
 * The manager of the transaction this call runs in, while it is still open: a callback
 * scheduled inside a transaction (a timer, a promise) keeps its context after the commit.
 */
function open(): EntityManager | undefined {
  const manager = openTransaction.getStore();
  const runner = manager?.queryRunner;
  return runner?.isTransactionActive && !runner.isReleased ? manager : undefined;
}

/**
 * The one way the service opens a transaction. A use case wraps its writes in
 * `withTransaction(work)` and hands the manager it gets to whatever writes for it (a
 * repository, recordEvent, lockConsultant); reads outside a transaction use `manager`, where
 * each statement commits on its own. A withTransaction called inside another's work joins that
 * transaction instead of opening a second one, so a use case may call another (a booking marks
 * its slot booked) and both commit or roll back together.
 */
@Injectable()
export class TransactionalConnection {
  constructor(private readonly dataSource: DataSource) {}

  /** The open transaction's manager, or the data source's (autocommit) outside one. */
  get manager(): EntityManager {
    return open() ?? this.dataSource.manager;
  }

  withTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const joined = open();
    if (joined) return work(joined);
    return this.dataSource.transaction((manager) => openTransaction.run(manager, () => work(manager)));
  }
}
