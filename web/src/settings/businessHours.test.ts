import { describe, expect, it } from 'vitest';
import { bodyOf, describeDay, describeField, fieldOf, isChanged, nextInterval, placeErrors, weekOf } from './businessHours';

/** The demo's hours: weekdays 09:00–17:00, closed at the weekend. */
const saved = [[['09:00', '17:00']], [['09:00', '17:00']], [['09:00', '17:00']], [['09:00', '17:00']], [['09:00', '17:00']], [], []];

describe('business hours', () => {
  it('edits the saved week as seven days, and sends all seven back unchanged', () => {
    const week = weekOf(saved);
    expect(week).toHaveLength(7);
    expect(week[1]).toEqual([{ opens: '09:00', closes: '17:00' }]);
    expect(week[6]).toEqual([]);
    expect(bodyOf(week)).toEqual({ business_hours: saved });
    expect(isChanged(saved, week)).toBe(false);
  });

  it('fills in missing days as closed', () => {
    expect(weekOf([[['08:00', '12:00']]]).map(describeDay)).toEqual([
      '08:00–12:00',
      'Closed',
      'Closed',
      'Closed',
      'Closed',
      'Closed',
      'Closed',
    ]);
  });

  it('sends a split day in the order it is shown, and a closed day as an empty list', () => {
    const week = weekOf(saved);
    week[1] = [
      { opens: '13:00', closes: '17:00' },
      { opens: '08:30', closes: '12:00' },
    ];
    week[4] = [];
    const body = bodyOf(week);
    expect(body.business_hours[1]).toEqual([
      ['13:00', '17:00'],
      ['08:30', '12:00'],
    ]);
    expect(body.business_hours[4]).toEqual([]);
    expect(body.business_hours).toHaveLength(7);
    expect(isChanged(saved, week)).toBe(true);
  });

  it('suggests 9 to 5 for a closed day, else the hour after the last interval, within the day', () => {
    expect(nextInterval([])).toEqual({ opens: '09:00', closes: '17:00' });
    expect(nextInterval([{ opens: '08:00', closes: '12:00' }])).toEqual({ opens: '12:00', closes: '13:00' });
    expect(nextInterval([{ opens: '20:00', closes: '23:30' }])).toEqual({ opens: '23:30', closes: '23:59' });
    expect(nextInterval([{ opens: '09:00', closes: '' }])).toEqual({ opens: '09:00', closes: '17:00' });
  });

  it("puts the API's refusal under the interval it names", () => {
    const week = weekOf(saved);
    week[1] = [
      { opens: '09:00', closes: '12:00' },
      { opens: '17:00', closes: '13:00' },
    ];
    const placed = placeErrors([{ field: 'business_hours[1][1]', reason: 'must open before it closes' }], week);
    expect(placed.intervals).toEqual({ [fieldOf(1, 1)]: 'must open before it closes' });
    expect(placed.intervals[fieldOf(1, 0)]).toBeUndefined();
    expect(placed.rest).toEqual([]);
  });

  it('puts a reason about one time of an interval on the interval, and one about a day on the day', () => {
    const placed = placeErrors(
      [
        { field: 'business_hours[0][0][1]', reason: 'opens and closes must be HH:MM, e.g. 09:00' },
        { field: 'business_hours[2]', reason: 'too many intervals' },
      ],
      weekOf(saved),
    );
    expect(placed.intervals).toEqual({ 'business_hours[0][0]': 'opens and closes must be HH:MM, e.g. 09:00' });
    expect(placed.days).toEqual({ 2: 'too many intervals' });
  });

  it('leaves what no row shows to the general error area', () => {
    const placed = placeErrors(
      [
        { field: 'business_hours', reason: 'must list seven days, Monday first' },
        { field: 'business_hours[5][0]', reason: 'must open before it closes' }, // Saturday has no intervals on screen
        { field: 'business_hours[9][0]', reason: 'no such day' },
        { field: 'time_zone', reason: 'unknown' },
      ],
      weekOf(saved),
    );
    expect(placed.intervals).toEqual({});
    expect(placed.days).toEqual({});
    expect(placed.rest.map((f) => f.field)).toEqual(['business_hours', 'business_hours[5][0]', 'business_hours[9][0]', 'time_zone']);
  });

  it('names a refused row in words for the summary', () => {
    expect(describeField('business_hours[1][0]')).toBe('Tuesday, interval 1');
    expect(describeField('business_hours[6]')).toBe('Sunday');
    expect(describeField('business_hours')).toBe('The week');
  });
});
