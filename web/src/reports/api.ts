/** Reports (routes/reports.rs): one period's report, several for a trend, the CSV. */
import { useQueries, useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryKeys } from '../api/keys';
import { problemFrom, unwrap } from '../api/problem';
import type { Report } from '../api/types';
import { session } from '../auth/session';
import { saveBlob } from '../ui/download';
import { csvFilename, reportQuery, type ReportKind } from './period';

async function fetchReport(kind: ReportKind, period: string, signal?: AbortSignal): Promise<Report> {
  const data =
    kind === 'weekly'
      ? await api.GET('/api/reports/weekly', { params: { query: { week_start: period } }, signal })
      : await api.GET('/api/reports/monthly', { params: { query: { month: period } }, signal });
  return unwrap(data) as Report;
}

const REPORT_STALE = 5 * 60_000; // the reporting service caches for an hour

export function useReport(kind: ReportKind, period: string) {
  return useQuery({
    queryKey: queryKeys.report(kind, period),
    staleTime: REPORT_STALE,
    queryFn: ({ signal }) => fetchReport(kind, period, signal),
  });
}

/** The reports of several periods (oldest first), for the attended trend. */
export function useReports(kind: ReportKind, periods: string[]) {
  return useQueries({
    queries: periods.map((period) => ({
      queryKey: queryKeys.report(kind, period),
      staleTime: REPORT_STALE,
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchReport(kind, period, signal),
    })),
  });
}

/**
 * Downloads a report as CSV: fetched with the signed-in user's token (a
 * plain link would carry none), saved under attend-<kind>-<period>.csv.
 */
export async function downloadCsv(kind: ReportKind, period: string): Promise<void> {
  const response = await session.authorizedFetch(new Request(reportQuery(kind, period, true), { headers: { accept: 'text/csv' } }));
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    throw problemFrom(response.status, body);
  }
  saveBlob(await response.blob(), csvFilename(kind, period));
}
