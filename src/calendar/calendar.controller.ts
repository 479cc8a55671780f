import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { ApiProblems } from '../common/http/api-problems.decorator';
import { type Answer, ApiConditional, Conditional, type ConditionalGet } from '../common/http/conditional-get';
import { ConsultantsService } from '../consultants/consultants.service';
import { ApiIdParam, IdParam, LocalDatePipe } from '../common/validation/decorators';
import { CalendarFeedService } from './calendar-feed.service';
import { CalendarService } from './calendar.service';
import {
  DailyViewDto,
  DailyViewQuery,
  MonthlyViewDto,
  MonthlyViewQuery,
  PooledViewDto,
  PooledViewQuery,
  TimeRangeQuery,
  TimeRangeViewDto,
} from './dto/calendar.dto';

/** An iCalendar body, documented as such. */
const ApiFeed = () =>
  ApiOkResponse({
    description: 'RFC 5545 calendar',
    content: {
      'text/calendar': { schema: { type: 'string', example: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\n…\r\nEND:VCALENDAR' } },
    },
  });

@ApiTags('calendar views')
@Controller()
export class CalendarController {
  constructor(
    private readonly calendar: CalendarService,
    private readonly feeds: CalendarFeedService,
    private readonly consultants: ConsultantsService,
  ) {}

  /** The consultants a monthly or time-range view starts with: the one named, or a page. */
  private consultantsOf(query: MonthlyViewQuery | TimeRangeQuery) {
    const id = query.consultant_id;
    return () => (id === undefined ? this.consultants.listVersioned(query) : this.consultants.getVersioned(id));
  }

  @Get('consultants/availabilities/:date')
  @ApiParam({ name: 'date', example: '2030-12-02', description: "Each consultant's local date (YYYY-MM-DD)" })
  @ApiOperation({
    operationId: 'getDailyAvailability',
    summary: "Seed daily view: every consultant's free time on that local date (paginated over consultants)",
  })
  @ApiOkResponse({ description: 'A page of consultants, each with its free slots that day', type: DailyViewDto })
  @ApiConditional()
  @ApiProblems('validation-error', 'response-too-large')
  daily(
    @Param('date', LocalDatePipe) date: string,
    @Query() query: DailyViewQuery,
    @Conditional() conditional: ConditionalGet,
  ): Promise<Answer<DailyViewDto>> {
    return conditional.answer(
      () => this.consultants.listVersioned(query),
      () => this.calendar.daily(date, query),
    );
  }

  @Get('availabilities/monthly')
  @ApiOperation({
    operationId: 'getMonthlyAvailability',
    summary: "Seed monthly view: one consultant's slots per local day of the month, booked ones marked",
  })
  @ApiOkResponse({ description: "The consultant's days of the month, each with its slots", type: MonthlyViewDto })
  @ApiConditional()
  @ApiProblems('validation-error', 'not-found', 'response-too-large')
  monthly(
    @Query() query: MonthlyViewQuery,
    @Conditional() conditional: ConditionalGet,
  ): Promise<Answer<MonthlyViewDto>> {
    return conditional.answer(this.consultantsOf(query), () => this.calendar.monthly(query));
  }

  @Get('availabilities/timerange')
  @ApiOperation({
    operationId: 'getTimeRangeAvailability',
    summary:
      "Seed time-range view: one consultant's slots between start and end (at most 92 days), optionally cut into slot_minutes",
  })
  @ApiOkResponse({
    description: 'A page of consultants, each with its free slots in the range',
    type: TimeRangeViewDto,
  })
  @ApiConditional()
  @ApiProblems('validation-error', 'not-found', 'response-too-large')
  timeRange(
    @Query() query: TimeRangeQuery,
    @Conditional() conditional: ConditionalGet,
  ): Promise<Answer<TimeRangeViewDto>> {
    return conditional.answer(this.consultantsOf(query), () => this.calendar.timeRange(query));
  }

  @Get('availabilities/pooled')
  @ApiOperation({
    operationId: 'listPooledAvailability',
    summary:
      "Pooled view: when at least one consultant of a specialization is free (at most 31 days), slot by slot with how many are, in the client's zone",
  })
  @ApiOkResponse({ description: 'The pooled free time, slot by slot', type: PooledViewDto })
  @ApiConditional()
  @ApiProblems(400)
  pooled(@Query() query: PooledViewQuery, @Conditional() conditional: ConditionalGet): Promise<Answer<PooledViewDto>> {
    return conditional.answer(
      () => this.consultants.pool(query.specialization),
      () => this.calendar.pooled(query),
    );
  }

  @Get('consultants/:id/calendar.ics')
  @Access('admin', 'consultant:self')
  @Header('content-type', 'text/calendar; charset=utf-8')
  @ApiFeed()
  @ApiIdParam('id', 'Consultant id')
  @ApiOperation({
    operationId: 'getConsultantCalendarFeed',
    summary:
      "RFC 5545 feed of the consultant's bookings (stable UID, SEQUENCE grows on reschedule, STATUS:CANCELLED on cancel)",
  })
  @ApiConditional()
  @ApiProblems('validation-error', 'not-found')
  consultantFeed(
    @IdParam('id') id: number,
    @Conditional('private, no-cache') conditional: ConditionalGet,
  ): Promise<Answer<string>> {
    return conditional.answer(
      () => this.feeds.consultantFeedRead(id),
      () => this.feeds.consultantFeed(id),
    );
  }

  @Get('users/:id/calendar.ics')
  @Access('admin', 'user:self')
  @Header('content-type', 'text/calendar; charset=utf-8')
  @ApiFeed()
  @ApiIdParam('id', 'User id')
  @ApiOperation({ operationId: 'getUserCalendarFeed', summary: "RFC 5545 feed of the user's bookings" })
  @ApiConditional()
  @ApiProblems('validation-error', 'not-found')
  userFeed(
    @IdParam('id') id: number,
    @Conditional('private, no-cache') conditional: ConditionalGet,
  ): Promise<Answer<string>> {
    return conditional.answer(
      () => this.feeds.userFeedRead(id),
      () => this.feeds.userFeed(id),
    );
  }
}
