import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConsultant } from '../support/factories';
import { Http } from '../support/http';
import { startTestApp, TestApp } from '../support/test-app';

describe('availability smoke', () => {
  let t: TestApp;
  let http: Http;
  before(async () => {
    t = await startTestApp();
    http = new Http(t.app);
  });
  after(() => t.close());

  it('creates, lists, deletes slots and rules', async () => {
    const c = await createConsultant(http, { timezone: 'America/New_York' });
    const me = http.as(c.token);
    const slot = await me.post(`/consultants/${c.id}/availabilities/`, { date: '2024-12-25', start_time: '09:00:00', end_time: '10:00:00' });
    assert.equal(slot.status, 201, slot.text);
    assert.equal(slot.body.start, '2024-12-25T14:00:00.000Z');
    const overlap = await me.post(`/consultants/${c.id}/availabilities`, { date: '2024-12-25', start_time: '09:30', end_time: '10:30' });
    assert.equal(overlap.status, 409, overlap.text);
    const list = await http.get(`/consultant/${c.id}/availability/`);
    assert.equal(list.body.data.length, 1, list.text);
    const rule = await me.post(`/consultant/${c.id}/recurring/`, { day_of_week: 0, start_time: '09:00', end_time: '17:00' });
    assert.equal(rule.status, 201, rule.text);
    assert.equal(rule.body.day, 'Mon');
    const clash = await me.post(`/consultants/${c.id}/recurring`, { day: 'Mon', start_time: '16:00', end_time: '18:00' });
    assert.equal(clash.status, 409, clash.text);
    const week = await me.put(`/consultants/${c.id}/weekly-schedule`, { availability: [{ day: 'Mon', start_time: '09:00', end_time: '12:00' }, { day: 'Mon', start_time: '13:00', end_time: '17:00' }] });
    assert.equal(week.status, 200, week.text);
    assert.equal(week.body.length, 2);
    const toggled = await me.patch(`/api/availability/${week.body[0].id}/toggle/`);
    assert.equal(toggled.status, 200, toggled.text);
    assert.equal(toggled.body.is_active, false);
    const del = await me.delete(`/consultant/${c.id}/availability/`, { id: slot.body.id });
    assert.equal(del.status, 204, del.text);
  });
});
