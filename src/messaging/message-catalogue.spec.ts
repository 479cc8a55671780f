import 'reflect-metadata';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { getMetadataStorage } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppModule } from '../app.module';
import { ACCESS_KEY } from '../common/auth/access.decorator';

/**
 * docs/MESSAGES.md against the code: every @MessagePattern of every module's controllers,
 * with its @Access roles, its payload class and that class's validated fields, must be the
 * catalogue's table, row for row.
 */
interface Row {
  pattern: string;
  who: string;
  payload: string;
  fields: string[];
}

type Class = new (...args: never[]) => unknown;
type ModuleRef = Class | { module?: Class; controllers?: Class[]; imports?: ModuleRef[] };

/** The controllers of a module and of everything it imports, as Nest's module metadata lists them. */
function controllersOf(root: ModuleRef, seen = new Set<unknown>()): Class[] {
  const moduleClass = typeof root === 'function' ? root : root.module;
  if (!moduleClass || seen.has(root)) return [];
  seen.add(root);
  const dynamic = typeof root === 'function' ? {} : root;
  const controllers: Class[] = [
    ...((Reflect.getMetadata('controllers', moduleClass) as Class[] | undefined) ?? []),
    ...(dynamic.controllers ?? []),
  ];
  const imports: ModuleRef[] = [
    ...((Reflect.getMetadata('imports', moduleClass) as ModuleRef[] | undefined) ?? []),
    ...(dynamic.imports ?? []),
  ];
  return controllers.concat(imports.filter(Boolean).flatMap((m) => controllersOf(m, seen)));
}

/** Every validated field of a payload class, its ancestors' included. */
function fieldsOf(payload: Class): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(payload, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))].sort();
}

function patternsInCode(): Row[] {
  const rows: Row[] = [];
  for (const controller of new Set(controllersOf(AppModule.register() as ModuleRef))) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      const patterns = typeof handler === 'function' && (Reflect.getMetadata(PATTERN_METADATA, handler) as string[]);
      if (!patterns) continue;
      const policies = Reflect.getMetadata(ACCESS_KEY, handler) as string[] | undefined;
      const types = Reflect.getMetadata('design:paramtypes', prototype, name) as unknown[];
      // The payload is the one parameter typed by a class; a principal is an interface (Object).
      const [payload] = types.filter((type) => type !== Object) as Class[];
      for (const pattern of patterns)
        rows.push({ pattern, who: policies?.join(', ') ?? 'anyone', payload: payload.name, fields: fieldsOf(payload) });
    }
  }
  return rows.sort((a, b) => a.pattern.localeCompare(b.pattern));
}

function patternsInCatalogue(): Row[] {
  const text = readFileSync(join(__dirname, '..', '..', 'docs', 'MESSAGES.md'), 'utf8');
  const lines = text.slice(text.indexOf('| pattern ')).split('\n');
  const table = lines.slice(
    2,
    lines.findIndex((line) => !line.startsWith('|')),
  );
  const code = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return table
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map(([, pattern, who, payload, fields]) => ({
      pattern: code(pattern)[0],
      who,
      payload: code(payload)[0],
      fields: code(fields).sort(),
    }))
    .sort((a, b) => a.pattern.localeCompare(b.pattern));
}

describe('docs/MESSAGES.md', () => {
  it('lists every message pattern, with its access, payload and fields, and nothing else', () => {
    const inCode = patternsInCode();
    expect(inCode.map((r) => r.pattern)).toEqual([
      'availability.free',
      'availability.pooled',
      'bookings.cancel',
      'bookings.create',
      'bookings.get',
      'bookings.list',
      'bookings.reschedule',
      'consultants.get',
      'consultants.list',
      'consultants.policy.get',
      'consultants.policy.update',
      'holds.create',
      'holds.release',
    ]);
    expect(patternsInCatalogue()).toEqual(inCode);
  });
});
