import { AppError, ConflictError, NotFoundError, ValidationError } from '../../shared/errors.ts';

export const paymentNotFound = () =>
  new NotFoundError('No such payment that you may see', 'PAYMENT_NOT_FOUND');
export const appointmentNotFound = () => new NotFoundError('No such appointment', 'APPOINTMENT_NOT_FOUND');
export const notPayable = (
  status: string,
  message = `This appointment cannot be paid for; it is ${status}`,
) => new ConflictError('APPOINTMENT_NOT_PAYABLE', message, { status });
export const insufficientFunds = (availablePaise: number, neededPaise: number) =>
  new AppError(402, 'INSUFFICIENT_FUNDS', 'The wallet does not hold enough for this', {
    availablePaise,
    neededPaise,
  });
export const providerUnavailable = () =>
  new AppError(
    503,
    'PAYMENT_PROVIDER_UNAVAILABLE',
    'The payment gateway cannot be reached; your hold is kept: retry with the same Idempotency-Key',
    undefined,
    { 'retry-after': '5' },
  );
export const invalidSignature = () =>
  new AppError(400, 'INVALID_SIGNATURE', 'The signature does not match this payment');
export const notCaptured = (status: string) =>
  new ConflictError('PAYMENT_NOT_CAPTURED', `The gateway reports this payment as ${status}, not captured`, {
    gatewayStatus: status,
  });
export const badAmount = (path: string, message: string) => new ValidationError(message, [{ path, message }]);

/** Inside a transaction: the capture cannot confirm its booking; the transaction rolls back and it is refunded. */
export class NotApplicable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotApplicable';
  }
}

/** Inside a transaction: another request recorded the same capture first; roll back and read theirs. */
export class AlreadyRecorded extends Error {
  constructor() {
    super('already recorded');
    this.name = 'AlreadyRecorded';
  }
}
