import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, invalidFields } from '../http/problem';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({
      field,
      // class-validator phrases "property x should not exist"; say it plainly.
      message: message.startsWith('property ') ? 'is not a known field' : message.startsWith(`${e.property} `) ? message.slice(e.property.length + 1) : message,
    }));
    return own.concat(flatten(e.children ?? [], field));
  });
}

/** Whitelisting, unknown-field rejection and type conversion, with problem+json errors. */
export const appValidationPipe = () =>
  new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    // Strings stay strings: "12abc" must not quietly become a number.
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => invalidFields(flatten(errors)),
  });
