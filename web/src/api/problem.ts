/**
 * Errors from the API arrive as RFC 9457 problem documents
 * (`application/problem+json`: type, title, status, detail, and for a
 * refused body `errors: [{field, reason}]`). This turns whatever came back
 * into something a form can show: a sentence, and the fields it names.
 */

export interface FieldProblem {
  field: string;
  reason: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly fields: FieldProblem[];

  constructor(status: number, detail: string, code?: string, fields: FieldProblem[] = []) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields;
  }

  /** The reason given for one field, if the API named it. */
  reasonFor(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.reason;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** An `ApiError` from a problem body (or whatever the server sent instead). */
export function problemFrom(status: number, body: unknown): ApiError {
  if (!isRecord(body)) {
    return new ApiError(status, status >= 500 ? 'The server had a problem; try again in a moment.' : `Request refused (${status}).`);
  }
  const fields: FieldProblem[] = Array.isArray(body.errors)
    ? body.errors.flatMap((e: unknown) =>
        isRecord(e) && typeof e.field === 'string' && typeof e.reason === 'string'
          ? [{ field: e.field, reason: e.reason }]
          : [],
      )
    : [];
  const detail =
    typeof body.detail === 'string' && body.detail.trim() !== ''
      ? body.detail
      : typeof body.title === 'string'
        ? body.title
        : `Request refused (${status}).`;
  return new ApiError(status, detail, typeof body.code === 'string' ? body.code : undefined, fields);
}

/** The words to show for any error a query or mutation threw. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return 'Cannot reach attend: check your connection and try again.';
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

/**
 * openapi-fetch answers `{data, error, response}`; this returns `data` or
 * throws the problem, so react-query sees failures as failures.
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw problemFrom(result.response.status, result.error);
  }
  // 204 No Content has no body: callers of such endpoints expect nothing.
  return result.data as T;
}
