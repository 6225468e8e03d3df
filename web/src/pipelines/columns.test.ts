import { InfiniteQueryObserver, QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { queryKeys } from '../api/keys';
import type { Contact, ContactList } from '../api/types';
import {
  cardsOf,
  COLUMN_PAGE,
  columnOptions,
  columnQuery,
  countLabel,
  findCard,
  moveOptimistically,
  undoMove,
  withCardOnTop,
  withoutCard,
  type ColumnData,
  type FetchContacts,
} from './columns';

function contact(id: string, stage: string, score = 50): Contact {
  return {
    id,
    name: `Contact ${id}`,
    current_pipeline: 'lead_to_booking',
    current_stage: stage,
    warmness_score: score,
    warmness_label: 'WARM',
  } as Contact;
}

function column(...pages: Contact[][]): ColumnData {
  return {
    pages: pages.map((contacts, i) => ({ contacts, next_cursor: i < pages.length - 1 ? `after-${i}` : null })),
    pageParams: pages.map((_, i) => (i === 0 ? '' : `after-${i - 1}`)),
  };
}

const ids = (data: ColumnData | undefined) => cardsOf(data).map((c) => c.id);

/**
 * The API's listing of one stage, warmest first, a keyset page at a time:
 * the cursor is the last id given, and next_cursor is null on the last page.
 */
function fakeListing(stage: string, total: number) {
  const all = Array.from({ length: total }, (_, i) => contact(`c${String(i).padStart(3, '0')}`, stage, 100 - i));
  const asked: Record<string, string | number>[] = [];
  const fetch: FetchContacts = async (query) => {
    asked.push(query);
    const start = query.cursor ? all.findIndex((c) => c.id === query.cursor) + 1 : 0;
    const contacts = all.slice(start, start + Number(query.limit));
    const more = start + contacts.length < all.length;
    return { contacts, next_cursor: more ? contacts[contacts.length - 1]!.id : null } satisfies ContactList;
  };
  return { all, asked, fetch };
}

describe('a column pages through its stage', () => {
  it('asks for one stage, warmest first, a page of 25, then from the cursor', () => {
    expect(COLUMN_PAGE).toBe(25);
    expect(columnQuery('leads', 'booked', '')).toEqual({ pipeline: 'leads', stage: 'booked', sort: 'warmest', limit: 25 });
    expect(columnQuery('leads', 'booked', 'abc')).toEqual({ pipeline: 'leads', stage: 'booked', sort: 'warmest', limit: 25, cursor: 'abc' });
  });

  it('loads 25 at first and 25 more each time until the last page, in the API order', async () => {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const listing = fakeListing('booked', 60);
    const observer = new InfiniteQueryObserver(client, columnOptions('leads', 'booked', listing.fetch));
    const unsubscribe = observer.subscribe(() => {});

    await observer.refetch();
    const first = observer.getCurrentResult();
    expect(ids(first.data)).toEqual(listing.all.slice(0, 25).map((c) => c.id));
    expect(first.hasNextPage).toBe(true);
    expect(countLabel(cardsOf(first.data).length, first.hasNextPage)).toEqual({ shown: '25+', spoken: 'more than 25 contacts' });

    const second = await observer.fetchNextPage();
    expect(cardsOf(second.data)).toHaveLength(50);
    expect(second.hasNextPage).toBe(true);

    const last = await observer.fetchNextPage();
    expect(ids(last.data)).toEqual(listing.all.map((c) => c.id));
    expect(last.hasNextPage).toBe(false);
    expect(countLabel(cardsOf(last.data).length, last.hasNextPage)).toEqual({ shown: '60', spoken: '60 contacts' });

    expect(listing.asked.map((q) => q.cursor ?? '')).toEqual(['', 'c024', 'c049']);
    expect(listing.asked.every((q) => q.stage === 'booked' && q.sort === 'warmest' && q.limit === 25)).toBe(true);
    unsubscribe();
  });

  it('has no next page when the stage fits in one', async () => {
    const client = new QueryClient();
    const listing = fakeListing('engaged', 25);
    const observer = new InfiniteQueryObserver(client, columnOptions('leads', 'engaged', listing.fetch));
    const unsubscribe = observer.subscribe(() => {});
    await observer.refetch();
    const first = observer.getCurrentResult();
    expect(cardsOf(first.data)).toHaveLength(25);
    expect(first.hasNextPage).toBe(false);
    unsubscribe();
  });
});

describe('countLabel', () => {
  it('counts what is loaded, and says "more than" while there is a next page', () => {
    expect(countLabel(0, false)).toEqual({ shown: '0', spoken: '0 contacts' });
    expect(countLabel(1, false)).toEqual({ shown: '1', spoken: '1 contact' });
    expect(countLabel(24, true)).toEqual({ shown: '24+', spoken: 'more than 24 contacts' });
  });
});

describe('withoutCard and withCardOnTop', () => {
  it('takes a card out of whichever page holds it', () => {
    const data = column([contact('a', 's'), contact('b', 's')], [contact('c', 's')]);
    expect(ids(withoutCard(data, 'c'))).toEqual(['a', 'b']);
    expect(withoutCard(data, 'c').pageParams).toEqual(data.pageParams);
    expect(ids(withoutCard(data, 'x'))).toEqual(['a', 'b', 'c']);
  });

  it('puts a card first, once, keeping the cursors', () => {
    const data = column([contact('a', 's'), contact('b', 's')], [contact('c', 's')]);
    const moved = withCardOnTop(data, contact('z', 's', 1));
    expect(ids(moved)).toEqual(['z', 'a', 'b', 'c']);
    expect(moved.pages.map((p) => p.next_cursor)).toEqual(['after-0', null]);
    expect(ids(withCardOnTop(data, contact('c', 's')))).toEqual(['c', 'a', 'b']);
  });
});

describe('a move between two columns', () => {
  const setUp = () => {
    const client = new QueryClient();
    const card = contact('b', 'contacted');
    client.setQueryData(queryKeys.boardColumn('leads', 'contacted'), column([contact('a', 'contacted'), card], [contact('c', 'contacted')]));
    client.setQueryData(queryKeys.boardColumn('leads', 'engaged'), column([contact('d', 'engaged', 90)]));
    client.setQueryData(queryKeys.boardColumn('leads', 'booked'), column([contact('e', 'booked')]));
    const get = (stage: string) => client.getQueryData<ColumnData>(queryKeys.boardColumn('leads', stage));
    return { client, card, get };
  };

  it('takes the card out of its column and puts it on top of the target at once, in its new stage', async () => {
    const { client, card, get } = setUp();
    await moveOptimistically(client, 'leads', card, 'engaged');
    expect(ids(get('contacted'))).toEqual(['a', 'c']);
    expect(ids(get('engaged'))).toEqual(['b', 'd']);
    expect(cardsOf(get('engaged'))[0]!.current_stage).toBe('engaged');
    expect(ids(get('booked'))).toEqual(['e']);
  });

  it('puts both columns back when the API refuses', async () => {
    const { client, card, get } = setUp();
    const before = { contacted: get('contacted'), engaged: get('engaged') };
    const snapshot = await moveOptimistically(client, 'leads', card, 'engaged');
    undoMove(client, 'leads', card, 'engaged', snapshot);
    expect(get('contacted')).toEqual(before.contacted);
    expect(get('engaged')).toEqual(before.engaged);
  });

  it('leaves a target column that has not loaded alone', async () => {
    const { client, card, get } = setUp();
    const snapshot = await moveOptimistically(client, 'leads', card, 'dead_lost');
    expect(get('dead_lost')).toBeUndefined();
    expect(ids(get('contacted'))).toEqual(['a', 'c']);
    undoMove(client, 'leads', card, 'dead_lost', snapshot);
    expect(get('dead_lost')).toBeUndefined();
    expect(ids(get('contacted'))).toEqual(['a', 'b', 'c']);
  });

  it('finds a dropped card by id in any loaded column of its board only', () => {
    const { client } = setUp();
    client.setQueryData(queryKeys.boardColumn('other', 'x'), column([contact('f', 'x')]));
    expect(findCard(client, 'leads', 'c')?.id).toBe('c');
    expect(findCard(client, 'leads', 'e')?.current_stage).toBe('booked');
    expect(findCard(client, 'leads', 'f')).toBeUndefined();
  });
});
