import { DynamicModule, InjectionToken, Module } from '@nestjs/common';
import { CALENDAR_CLIENT_OPTIONS, CalendarClient, type CalendarClientOptions } from './calendar-client';

/**
 * What a sibling Nest service imports to call the consultant calendar:
 * `CalendarClientModule.register({ url, token })`, then inject `CalendarClient`.
 */
@Module({})
export class CalendarClientModule {
  static register(options: CalendarClientOptions): DynamicModule {
    return {
      module: CalendarClientModule,
      providers: [{ provide: CALENDAR_CLIENT_OPTIONS, useValue: options }, CalendarClient],
      exports: [CalendarClient],
    };
  }

  /** The same, with the options from other providers (a ConfigService, say). */
  static registerAsync(options: {
    imports?: DynamicModule['imports'];
    inject?: InjectionToken[];
    useFactory: (...args: never[]) => CalendarClientOptions | Promise<CalendarClientOptions>;
  }): DynamicModule {
    return {
      module: CalendarClientModule,
      imports: options.imports,
      providers: [
        { provide: CALENDAR_CLIENT_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        CalendarClient,
      ],
      exports: [CalendarClient],
    };
  }
}
