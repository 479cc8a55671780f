import type { EntityMetadata } from 'typeorm';

/** An entity's table name and, by property, its column names. */
export type SqlNames<T> = { readonly table: string } & { readonly [K in keyof T & string]: string };

const known = new WeakMap<EntityMetadata, Record<string, string>>();

/**
 * The names the statements that stay in SQL (the hot paths) use for an entity's table and
 * columns, read from its metadata (once per data source): a column renamed in
 * the entity then renames itself in those statements too. Names are left unquoted;
 * every table and column here is a lower-case identifier, and the bench's capture of the
 * statements matches them as written (`INSERT INTO bookings`).
 */
export function sqlNames<T>(metadata: EntityMetadata): SqlNames<T> {
  let names = known.get(metadata);
  if (!names) {
    names = { table: metadata.tableName };
    for (const column of metadata.columns) names[column.propertyName] = column.databaseName;
    known.set(metadata, names);
  }
  return names as SqlNames<T>;
}

/** `column AS "property"` for each property: rows come back shaped like the entity. */
export function selectAs<T>(names: SqlNames<T>, properties: readonly (keyof T & string)[], alias?: string): string {
  return properties.map((p) => `${alias ? `${alias}.` : ''}${names[p]} AS "${p}"`).join(', ');
}
