import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { literalUnion } from '../../shared/literal-union.ts';
import { REPORT_FILE_TYPES } from '../storage/port.ts';
import {
  AnalysisError,
  type AnalysisInput,
  AnalysisResult,
  ChatReply,
  type ChatTurn,
  CLINICAL_DISCLAIMER,
  Finding,
  type MlProvider,
} from './port.ts';

/**
 * The ML service's contract (documented in docs/reports.md). Every call is a JSON POST with
 * `Authorization: Bearer <ML_API_KEY>` (when set), answered within ML_TIMEOUT_MS.
 *
 * `POST {ML_SERVICE_URL}/analyze`: the file by a short-lived signed URL when the storage can sign one,
 * else its bytes in base64. 200 -> AnalysisResult; 422 `{ error: { code: 'NO_TEXT' | 'UNREADABLE' } }`
 * -> a permanent failure with that reason; any other answer, a timeout or a malformed body -> a failure
 * retried with backoff.
 */
export const AnalyzeRequest = Type.Object(
  {
    report: Type.Object({
      contentType: literalUnion(REPORT_FILE_TYPES),
      url: Type.Optional(Type.String({ description: 'A signed URL valid a few minutes' })),
      bytesBase64: Type.Optional(Type.String({ description: 'The file, when no URL can be signed' })),
    }),
  },
  { additionalProperties: false },
);
export type AnalyzeRequest = Static<typeof AnalyzeRequest>;
export const AnalyzeResponse = AnalysisResult;
export const AnalyzeRefusal = Type.Object({
  error: Type.Object({ code: Type.Union([Type.Literal('NO_TEXT'), Type.Literal('UNREADABLE')]) }),
});

/** `POST {ML_SERVICE_URL}/chat`: the findings, the conversation so far, the question -> ChatReply. */
export const ChatRequest = Type.Object(
  {
    findings: Type.Array(Finding),
    summary: Type.String(),
    history: Type.Array(
      Type.Object({
        role: Type.Union([Type.Literal('patient'), Type.Literal('assistant')]),
        text: Type.String(),
      }),
    ),
    question: Type.String(),
  },
  { additionalProperties: false },
);
export type ChatRequest = Static<typeof ChatRequest>;
export const ChatResponse = ChatReply;

const analyzeAnswer = TypeCompiler.Compile(AnalyzeResponse);
const refusalAnswer = TypeCompiler.Compile(AnalyzeRefusal);
const chatAnswer = TypeCompiler.Compile(ChatResponse);

export class MlServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlServiceError';
  }
}

export interface HttpMlOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

/** An ML service over HTTP: timeouts, a bearer key, every answer validated by its schema. */
export class HttpMlProvider implements MlProvider {
  readonly kind = 'http' as const;

  constructor(private readonly options: HttpMlOptions) {}

  private async post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
    let response: Response;
    try {
      response = await fetch(
        new URL(path, this.options.baseUrl.endsWith('/') ? this.options.baseUrl : `${this.options.baseUrl}/`),
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.options.timeoutMs),
        },
      );
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new AnalysisError(
        'ML_UNAVAILABLE',
        false,
        timedOut ? 'the ML service timed out' : 'the ML service is unreachable',
      );
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  }

  async analyze(input: AnalysisInput): Promise<AnalysisResult> {
    const url = (await input.signedUrl?.()) ?? null;
    const report: AnalyzeRequest['report'] = url
      ? { contentType: input.contentType, url }
      : { contentType: input.contentType, bytesBase64: Buffer.from(await input.bytes()).toString('base64') };
    const { status, json } = await this.post('analyze', { report } satisfies AnalyzeRequest);
    if (status === 200) {
      if (!analyzeAnswer.Check(json))
        throw new AnalysisError('ML_MALFORMED', false, 'the ML service answered a malformed analysis');
      return json;
    }
    if (status === 422 && refusalAnswer.Check(json)) throw new AnalysisError(json.error.code, true);
    if (status === 401 || status === 403)
      throw new AnalysisError('ML_REFUSED', true, `the ML service refused the key (${status})`);
    throw new AnalysisError('ML_UNAVAILABLE', false, `the ML service answered ${status}`);
  }

  async chat(input: {
    findings: Finding[];
    summary: string;
    history: ChatTurn[];
    question: string;
  }): Promise<ChatReply> {
    const { status, json } = await this.post('chat', input satisfies ChatRequest);
    if (status !== 200) throw new MlServiceError(`the ML service answered ${status}`);
    if (!chatAnswer.Check(json)) throw new MlServiceError('the ML service answered a malformed reply');
    // Grounding kept whatever the service says: citations name this report's findings, the disclaimer is ours.
    const names = new Set(input.findings.map((finding) => finding.name));
    return {
      text: json.text,
      citations: json.citations.filter((name) => names.has(name)),
      disclaimer: json.disclaimer.includes(CLINICAL_DISCLAIMER)
        ? json.disclaimer
        : `${json.disclaimer} ${CLINICAL_DISCLAIMER}`.trim(),
    };
  }
}
