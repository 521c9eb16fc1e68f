import { describeFinding, escapeRegExp } from './builtin-analyzer.ts';
import { LAB_TESTS } from './lab-tests.ts';
import { type ChatReply, CLINICAL_DISCLAIMER, type Finding, type Flag } from './port.ts';

const ASKS_FOR_DIAGNOSIS =
  /\b(diagnos\w*|do i have|have i got|what (disease|condition|illness)|is it (cancer|diabetes)|am i (sick|ill|diabetic))\b/i;
const ASKS_FOR_PRESCRIPTION =
  /\b(prescri\w*|medication|medicine|drug|dose|dosage|tablet|pill|treat\w*|cure|should i take|what (can|should) i take|supplement)\b/i;
/** Attempts to give the assistant new orders or reach other records: answered as out of scope. */
const STEERING =
  /\b(ignore (all |any |the )?(previous|prior|above|earlier)|system prompt|you are now|act as|pretend|developer mode|jailbreak|other (patients?|reports?|users?)|another (patient|report|user)|all reports|database)\b/i;
const ASKS_ABOUT_OUT_OF_RANGE =
  /\b(abnormal|out of range|outside|flag\w*|wrong|concern\w*|problem\w*|bad|high|low|critical|summary|summari[sz]e|overview|all (my )?(values|results))\b/i;

const FLAG_MEANING: Record<Flag, string> = {
  low: '"low" means the value is below the reference range printed for the test (or the default range when none was printed)',
  normal: '"normal" means the value is within the reference range',
  high: '"high" means the value is above the reference range',
  critical:
    '"critical" means the value is far enough outside the usual range that laboratories ask for prompt medical attention',
};

const testOf = (name: string) => LAB_TESTS.find((test) => test.name === name);

/** The findings a question names, by their canonical name or any alias. */
function mentioned(question: string, findings: Finding[]): Finding[] {
  const text = question.toLowerCase();
  return findings.filter((finding) => {
    const names = [finding.name, ...(testOf(finding.name)?.aliases ?? [])].map((name) => name.toLowerCase());
    return names.some((name) => new RegExp(`(^|[^a-z0-9])${escapeRegExp(name)}($|[^a-z0-9])`).test(text));
  });
}

const reply = (text: string, citations: Finding[] = []): ChatReply => ({
  text,
  citations: citations.map((finding) => finding.name),
  disclaimer: CLINICAL_DISCLAIMER,
});

/**
 * Answers from the report's findings only, by rules, never by following text: the report's own text is
 * never read here (only the structured findings, whose names come from our table and whose values are
 * numbers), and the message is matched against topics, not obeyed.
 */
export function answerFromFindings(findings: Finding[], question: string): ChatReply {
  const named = mentioned(question, findings);
  if (ASKS_FOR_DIAGNOSIS.test(question) || ASKS_FOR_PRESCRIPTION.test(question)) {
    return reply(
      "I'm sorry, I can't diagnose conditions or recommend medicines or doses. I can explain what the values in this report are and whether they are within their reference ranges; your doctor can tell you what they mean for you and what to do next.",
    );
  }
  if (STEERING.test(question)) {
    return reply(
      'I can only answer questions about the lab values in this report, and I do not change how I work on request. Ask me about a value, such as whether it is in range.',
    );
  }
  if (named.length > 0) {
    const lines = named.map((finding) => {
      const about = testOf(finding.name)?.about;
      return `${describeFinding(finding)}.${about ? ` It measures ${about}.` : ''} In general, ${FLAG_MEANING[finding.flag]}.`;
    });
    return reply(lines.join(' '), named);
  }
  if (findings.length === 0) {
    return reply('No lab values were recognised in this report, so there is nothing I can explain from it.');
  }
  if (ASKS_ABOUT_OUT_OF_RANGE.test(question)) {
    const outside = findings.filter((finding) => finding.flag !== 'normal');
    if (outside.length === 0) {
      return reply(
        `All ${findings.length} values read from this report are within their reference ranges.`,
        findings,
      );
    }
    return reply(`Outside the reference range: ${outside.map(describeFinding).join('; ')}.`, outside);
  }
  return reply(
    `I can answer questions about the values in this report: ${findings.map((finding) => finding.name).join(', ')}. For example, ask whether one of them is in range.`,
  );
}
