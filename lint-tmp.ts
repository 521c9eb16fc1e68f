import { createConfig, lintFromString, formatProblems } from '@redocly/openapi-core';
const source = await Bun.file('/tmp/h1/doc4.json').text();
const config = await createConfig({ extends: ['recommended'] });
const problems = await lintFromString({ source, absoluteRef: '/tmp/openapi.json', config });
const counts: Record<string, number> = {};
for (const p of problems) counts[`${p.severity} ${p.ruleId}`] = (counts[`${p.severity} ${p.ruleId}`] ?? 0) + 1;
console.log(counts);
for (const p of problems.slice(0, 8)) console.log(p.severity, p.ruleId, p.message, JSON.stringify(p.location[0]?.pointer));
