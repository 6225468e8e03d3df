/**
 * A board column's data: one stage of one pipeline, warmest first, a page
 * of COLUMN_PAGE cards at a time (`GET /api/contacts?pipeline=&stage=
 * &sort=warmest`, following `next_cursor` until it is null). Each column
 * pages on its own, so a stage with thousands of contacts costs one page
 * until someone asks for more, and no card is silently left out.
 *
 * Also the optimistic move between two columns (the card leaves one and
 * is put on top of the other at once; the snapshot puts both back if the
 * API refuses), and the header's count, which says "25+" rather than a
 * number it doesn't know.
 *
 * No API client here: the fetch is passed in, so tests page through a
 * fake listing with a real QueryClient.
 */
import { infiniteQueryOptions, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { queryKeys } from '../api/keys';
import type { Contact, ContactList } from '../api/types';

/** Cards a column loads at first, and with each "Show more". */
export const COLUMN_PAGE = 25;

export type ColumnData = InfiniteData<ContactList, string>;
export type FetchContacts = (query: Record<string, string | number>, signal?: AbortSignal) => Promise<ContactList>;

/** The listing query for one page of a column ('' for the first page). */
export function columnQuery(pipeline: string, stage: string, cursor: string): Record<string, string | number> {
  const query = { pipeline, stage, sort: 'warmest', limit: COLUMN_PAGE };
  return cursor ? { ...query, cursor } : query;
}

/** react-query's options for one column: the hook and the tests use the same. */
export function columnOptions(pipeline: string, stage: string, fetchContacts: FetchContacts) {
  return infiniteQueryOptions<ContactList, Error, ColumnData, ReturnType<typeof queryKeys.boardColumn>, string>({
    queryKey: queryKeys.boardColumn(pipeline, stage),
    initialPageParam: '',
    queryFn: ({ pageParam, signal }) => fetchContacts(columnQuery(pipeline, stage, pageParam), signal),
    getNextPageParam: (last: ContactList) => last.next_cursor ?? undefined,
  });
}

/** The cards loaded so far, in the order the pages gave them. */
export function cardsOf(data: ColumnData | undefined): Contact[] {
  return data?.pages.flatMap((p) => p.contacts) ?? [];
}

/** The column without one card (wherever it was loaded). */
export function withoutCard(data: ColumnData, id: string): ColumnData {
  return { ...data, pages: data.pages.map((p) => ({ ...p, contacts: p.contacts.filter((c) => c.id !== id) })) };
}

/** The column with a card on top (once: a card already there moves up). */
export function withCardOnTop(data: ColumnData, card: Contact): ColumnData {
  const rest = withoutCard(data, card.id);
  const [first, ...later] = rest.pages;
  if (!first) return { pages: [{ contacts: [card], next_cursor: null }], pageParams: [''] };
  return { ...rest, pages: [{ ...first, contacts: [card, ...first.contacts] }, ...later] };
}

/** A loaded card of the pipeline's board, by id (a drop names only the id). */
export function findCard(client: QueryClient, pipeline: string, id: string): Contact | undefined {
  for (const [, data] of client.getQueriesData<ColumnData>({ queryKey: queryKeys.board(pipeline) })) {
    const found = cardsOf(data).find((c) => c.id === id);
    if (found) return found;
  }
  return undefined;
}

/** Both columns as they were before a move: what a refusal puts back. */
export interface MoveSnapshot {
  from: ColumnData | undefined;
  to: ColumnData | undefined;
}

/**
 * Shows a move at once: the card leaves its column and is first in the
 * target's (a target not loaded yet is left alone; it loads with the card).
 * Stops both columns' loads first, so an answer from before the move
 * can't overwrite it.
 */
export async function moveOptimistically(client: QueryClient, pipeline: string, card: Contact, to: string): Promise<MoveSnapshot> {
  const fromKey = queryKeys.boardColumn(pipeline, card.current_stage);
  const toKey = queryKeys.boardColumn(pipeline, to);
  await Promise.all([client.cancelQueries({ queryKey: fromKey }), client.cancelQueries({ queryKey: toKey })]);
  const snapshot = { from: client.getQueryData<ColumnData>(fromKey), to: client.getQueryData<ColumnData>(toKey) };
  client.setQueryData<ColumnData>(fromKey, (d) => d && withoutCard(d, card.id));
  client.setQueryData<ColumnData>(toKey, (d) => d && withCardOnTop(d, { ...card, current_stage: to }));
  return snapshot;
}

/** Puts both columns back as they were before the move. */
export function undoMove(client: QueryClient, pipeline: string, card: Contact, to: string, snapshot: MoveSnapshot) {
  if (snapshot.from) client.setQueryData(queryKeys.boardColumn(pipeline, card.current_stage), snapshot.from);
  if (snapshot.to) client.setQueryData(queryKeys.boardColumn(pipeline, to), snapshot.to);
}

/**
 * A column header's count: the cards loaded, with "+" while the stage has
 * more than that (the API has a next page), and the words a screen reader
 * says instead of the symbol.
 */
export function countLabel(loaded: number, more: boolean): { shown: string; spoken: string } {
  if (more) return { shown: `${loaded}+`, spoken: `more than ${loaded} contacts` };
  return { shown: String(loaded), spoken: `${loaded} contact${loaded === 1 ? '' : 's'}` };
}
