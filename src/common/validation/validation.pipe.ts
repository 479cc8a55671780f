import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, invalidFields } from '../errors';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix
      ? /^\d+$/.test(e.property)
        ? `${prefix}[${e.property}]`
        : `${prefix}.${e.property}`
      : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({
      field,
      // class-validator phrases "property x should not exist"; say it plainly.
      message: message.startsWith('property ')
        ? 'is not a known field'
        : message.startsWith(`${e.property} `)
          ? message.slice(e.property.length + 1)
          : message,
    }));
    return own.concat(flatten(e.children ?? [], field));
  });
}

/** Deeper than any request this API takes (the weekly schedule is 3 levels). */
const MAX_DEPTH = 16;
/** More values than any request this API takes (a full weekly schedule is about 500). */
const MAX_VALUES = 2_000;

/**
 * Refuses input whose shape no DTO here has, before class-transformer walks it: that walk recurses
 * (a few thousand levels of nesting overflow the stack, a 500) and de-duplicates keys in quadratic
 * time (one 100 KB object of 12,000 keys costs ~0.4 s). Iterative, so it cannot overflow itself.
 */
export function shapeError(value: unknown, where: string): FieldError | undefined {
  const stack: [unknown, number, string][] = [[value, 1, '']];
  let values = 0;
  while (stack.length) {
    const [node, depth, path] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_DEPTH) return { field: where, message: `nests deeper than ${MAX_DEPTH} levels` };
    const isArray = Array.isArray(node);
    for (const key of Object.keys(node)) {
      if (++values > MAX_VALUES) return { field: where, message: `holds more than ${MAX_VALUES} values` };
      const field = isArray ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      // class-transformer drops keys that name a member of Object.prototype (constructor, toString,
      // __proto__…) without a word, so the whitelist never sees them: refuse them like any unknown field.
      if (!isArray && key in Object.prototype) return { field, message: 'is not a known field' };
      stack.push([(node as Record<string, unknown>)[key], depth + 1, field]);
    }
  }
  return undefined;
}

/** Whitelisting, unknown-field rejection and type conversion, with problem+json errors. */
class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const error = shapeError(value, metadata.type);
      if (error) throw invalidFields([error]);
    }
    return super.transform(value, metadata);
  }
}

export const appValidationPipe = () =>
  new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // Strings stay strings: "12abc" must not quietly become a number.
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => invalidFields(flatten(errors)),
  });
