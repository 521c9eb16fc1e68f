import { type Static, Type } from '@sinclair/typebox';
import { literalUnion } from '../../shared/literal-union.ts';
import type { ReportFileType } from '../storage/port.ts';

export const FLAGS = ['low', 'normal', 'high', 'critical'] as const;
export type Flag = (typeof FLAGS)[number];

/** The range a value is judged against: printed on the report, or from a named default table. */
export const ReferenceRange = Type.Object(
  {
    low: Type.Union([Type.Number(), Type.Null()]),
    high: Type.Union([Type.Number(), Type.Null()]),
    /** `report` when printed beside the value, else the default table's name. */
    source: Type.String({ maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const Finding = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    value: Type.Number(),
    unit: Type.String({ maxLength: 40 }),
    referenceRange: ReferenceRange,
    flag: literalUnion(FLAGS),
  },
  { additionalProperties: false },
);
export type Finding = Static<typeof Finding>;

export const AnalysisResult = Type.Object(
  {
    summary: Type.String({ maxLength: 4000 }),
    findings: Type.Array(Finding, { maxItems: 200 }),
  },
  { additionalProperties: false },
);
export type AnalysisResult = Static<typeof AnalysisResult>;

export const ChatReply = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 4000 }),
    citations: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200 }),
    disclaimer: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);
export type ChatReply = Static<typeof ChatReply>;

export interface ChatTurn {
  role: 'patient' | 'assistant';
  text: string;
}

/** What the analyzer is given: the bytes, and (when the storage can sign one) a short-lived URL. */
export interface AnalysisInput {
  bytes: () => Promise<Uint8Array>;
  signedUrl?: () => Promise<string | null>;
  contentType: ReportFileType;
}

/** Why an analysis failed; `permanent` failures are not retried (NO_TEXT: nothing to read). */
export class AnalysisError extends Error {
  constructor(
    readonly reason: 'NO_TEXT' | 'UNREADABLE' | 'ML_UNAVAILABLE' | 'ML_MALFORMED' | 'ML_REFUSED',
    readonly permanent: boolean,
    message: string = reason,
  ) {
    super(message);
    this.name = 'AnalysisError';
  }
}

export const CLINICAL_DISCLAIMER =
  'This is general information about the values in your report, not medical advice. Please discuss your results with your doctor.';

/** Reads a report into findings, and answers questions about those findings. */
export interface MlProvider {
  readonly kind: 'builtin' | 'http';
  analyze(input: AnalysisInput): Promise<AnalysisResult>;
  chat(input: {
    findings: Finding[];
    summary: string;
    history: ChatTurn[];
    question: string;
  }): Promise<ChatReply>;
}
