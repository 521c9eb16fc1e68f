/**
 * Every error code the API answers, with its status and what it means to a client. Routes list the codes
 * they can answer with `errors(...)` (route-docs.ts), which builds their documented error responses.
 */
export const ERROR_CODES = {
  INVALID_SIGNATURE: {
    status: 400,
    meaning: 'The Razorpay signature is missing or does not match (this order, or the raw webhook body)',
  },
  UNAUTHORIZED: { status: 401, meaning: 'No bearer access token was sent (or it is malformed)' },
  INVALID_TOKEN: { status: 401, meaning: 'The access token is not one of ours' },
  TOKEN_EXPIRED: { status: 401, meaning: 'The access token has expired: refresh it' },
  SESSION_REVOKED: { status: 401, meaning: 'The session was signed out: sign in again' },
  INVALID_CREDENTIALS: { status: 401, meaning: 'The email or password is incorrect' },
  INVALID_REFRESH_TOKEN: {
    status: 401,
    meaning: 'The refresh token is unknown, expired or its session ended',
  },
  REFRESH_TOKEN_REUSED: {
    status: 401,
    meaning: 'The refresh token was already used; its session is now signed out',
  },
  INVALID_TICKET: {
    status: 401,
    meaning: 'The call ticket is missing, unknown, used, expired, for another room, or its session ended',
  },
  INSUFFICIENT_FUNDS: {
    status: 402,
    meaning: 'The wallet cannot cover this; `details.availablePaise` is what it can',
  },
  FORBIDDEN: { status: 403, meaning: 'Signed in with a role that cannot do this' },
  EMAIL_NOT_VERIFIED: { status: 403, meaning: 'The password is right but the email is not verified yet' },
  DOCTOR_NOT_APPROVED: { status: 403, meaning: 'Only a doctor an admin has approved can do this' },
  ORIGIN_NOT_ALLOWED: { status: 403, meaning: 'The page opening the socket is not on an allowed origin' },
  WEBSOCKET_EXPECTED: { status: 400, meaning: 'This address only takes a WebSocket upgrade request' },
  NOT_FOUND: { status: 404, meaning: 'No such resource (or route)' },
  DOCTOR_NOT_FOUND: { status: 404, meaning: 'No approved doctor has this id' },
  SLOT_NOT_FOUND: { status: 404, meaning: 'No such slot (of this doctor)' },
  APPOINTMENT_NOT_FOUND: { status: 404, meaning: 'No such appointment that you may see' },
  REFUND_NOT_FOUND: { status: 404, meaning: 'No such refund that you may see' },
  PAYMENT_NOT_FOUND: { status: 404, meaning: 'No such payment (or order) that you may see' },
  OUTBOX_RECORD_NOT_FOUND: { status: 404, meaning: 'No outbox record has this id' },
  REPORT_NOT_FOUND: { status: 404, meaning: 'No such report that you may see' },
  EMAIL_TAKEN: { status: 409, meaning: 'An account with this email already exists' },
  ALREADY_REVIEWED: { status: 409, meaning: 'The doctor was already approved or rejected' },
  DOCTOR_EMAIL_NOT_VERIFIED: {
    status: 409,
    meaning: 'The doctor has not verified their email yet, so cannot be approved (rejecting is allowed)',
  },
  OUTBOX_NOT_FAILED: { status: 409, meaning: 'Only a failed outbox record can be retried' },
  OUTBOX_BODY_ERASED: {
    status: 409,
    meaning: 'The failed record held a one-time code whose body was erased; it cannot be sent again',
  },
  SLOT_UNAVAILABLE: { status: 409, meaning: 'The slot is held or booked by someone else' },
  TOO_MANY_HOLDS: { status: 409, meaning: 'You already hold the most unpaid appointments allowed' },
  SLOT_NOT_FREE: { status: 409, meaning: 'The slot is held or booked and cannot be deleted' },
  APPOINTMENT_NOT_CANCELLABLE: {
    status: 409,
    meaning: 'Only an unpaid hold or a confirmed appointment can be cancelled; `details.status` is its state',
  },
  APPOINTMENT_NOT_RESCHEDULABLE: {
    status: 409,
    meaning: 'Not confirmed, past the cutoff or moved the most times allowed; `details.status` is its state',
  },
  REFUND_NOT_RETRYABLE: { status: 409, meaning: 'Only a failed refund can be retried, and only once' },
  APPOINTMENT_NOT_ACTIVE: {
    status: 409,
    meaning: 'Only a held or confirmed appointment can be used; `details.status` is its state',
  },
  REPORT_QUOTA_EXCEEDED: {
    status: 409,
    meaning: 'You keep `details.quota` reports already: delete one first',
  },
  ANALYSIS_IN_PROGRESS: { status: 409, meaning: 'The report is still being analyzed' },
  REPORT_ALREADY_ANALYZED: { status: 409, meaning: 'The report was analyzed already' },
  REPORT_NOT_ANALYZED: {
    status: 409,
    meaning: 'The report has no analysis yet; `details.status` is its state',
  },
  APPOINTMENT_NOT_CONFIRMED: {
    status: 409,
    meaning: 'Only a confirmed (paid) appointment has a call; `details.status` is its state',
  },
  CALL_NOT_OPEN: {
    status: 409,
    meaning: 'The call is not open now: `details.opensAt` and `details.closedAt` bound its window',
  },
  APPOINTMENT_NOT_PAYABLE: {
    status: 409,
    meaning: 'The appointment is not an unpaid hold that still lasts; `details.status` is its state',
  },
  PAYMENT_NOT_CAPTURED: {
    status: 409,
    meaning: 'The gateway does not report this payment as captured (yet); `details.gatewayStatus` says what',
  },
  IDEMPOTENCY_KEY_IN_PROGRESS: {
    status: 409,
    meaning: 'A request with this Idempotency-Key is still running: retry after `Retry-After` seconds',
  },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The request body is larger than this route takes' },
  AVATAR_TOO_LARGE: { status: 413, meaning: 'The picture is larger than `details.maxBytes`' },
  REPORT_TOO_LARGE: { status: 413, meaning: 'The report file is larger than `details.maxBytes`' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The Content-Type is not one this route takes' },
  UNSUPPORTED_IMAGE: { status: 415, meaning: 'The picture is not a JPEG, PNG or WebP image (by its bytes)' },
  UNSUPPORTED_REPORT_TYPE: {
    status: 415,
    meaning: 'The report file is not a PDF, PNG, JPEG or WebP (judged by its bytes)',
  },
  SLOT_NOT_ELIGIBLE: {
    status: 422,
    meaning: 'The target slot is of another doctor, in the past, or the current one',
  },
  REPORT_EMPTY: { status: 422, meaning: 'The report file has no bytes' },
  VALIDATION_FAILED: {
    status: 422,
    meaning: 'A field is missing or invalid; `details.issues` lists `{ path, message }`',
  },
  MALFORMED_BODY: { status: 422, meaning: 'The body is not valid JSON (or not a JSON object)' },
  OTP_INVALID: { status: 422, meaning: 'The code is wrong; `details.attemptsLeft` tries remain' },
  OTP_EXPIRED: { status: 422, meaning: 'The code expired or was used: request a new one' },
  OTP_LOCKED: {
    status: 422,
    meaning: 'Too many wrong codes (`details.attemptsLeft` is 0): request a new one',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    meaning: 'This Idempotency-Key was used with another request: use a new key',
  },
  RATE_LIMITED: {
    status: 429,
    meaning: 'Too many requests: retry after `Retry-After` seconds (also `details.retryAfterSeconds`)',
  },
  INTERNAL: {
    status: 500,
    meaning:
      'Something went wrong on our side; `details.requestId` (also `X-Request-Id`) finds it in our log',
  },
  AVATAR_UPLOAD_FAILED: { status: 502, meaning: 'The picture could not be stored: try again later' },
  REPORT_STORAGE_FAILED: { status: 502, meaning: 'The report file store did not answer: try again later' },
  CHAT_UNAVAILABLE: { status: 503, meaning: 'The report assistant did not answer: try again later' },
  NOT_READY: { status: 503, meaning: 'The store is not reachable' },
  PAYMENT_PROVIDER_UNAVAILABLE: {
    status: 503,
    meaning: 'The payment gateway cannot be reached; the hold is kept: retry with the same Idempotency-Key',
  },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorStatus<C extends ErrorCode> = (typeof ERROR_CODES)[C]['status'];
