// Sends Claude Code-named telemetry to a running burnrate with the real
// OpenTelemetry JS SDK (OTLP/HTTP JSON), then prints the totals it sent as
// JSON on stdout, for tests/e2e/otlp_js_test.sh to compare with the boards.
//
// Usage: node send.mjs <base-url> <api-key>
//   three users, each exercising one path:
//   delta@example.com       DELTA temporality metrics, two exports
//   cumulative@example.com  CUMULATIVE temporality metrics, three exports
//                           (the third repeats the running total: no change)
//   logs@example.com        api_request log records (one sent twice, same
//                           request_id) and user_prompt (redacted, then
//                           with its text), then token.usage
//                           metrics for the same session (not counted twice)
import { metrics } from '@opentelemetry/api';
import {
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  OTLPMetricExporter,
  AggregationTemporalityPreference,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  console.error('usage: node send.mjs <base-url> <api-key>');
  process.exit(2);
}
const headers = { Authorization: `Bearer ${key}` };
const resource = resourceFromAttributes({
  'service.name': 'claude-code',
  'service.version': '2.0.0',
  'team.id': 'otel-team',
});
const MODEL = 'claude-sonnet-4-5';

function meterFor(temporality) {
  const exporter = new OTLPMetricExporter({
    url: `${base}/v1/otlp/v1/metrics`,
    headers,
    temporalityPreference: temporality,
  });
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource, readers: [reader] });
  const meter = provider.getMeter('com.anthropic.claude_code', '2.0.0');
  const c = (name, unit) => meter.createCounter(name, { unit });
  return {
    provider,
    reader,
    tokens: c('claude_code.token.usage', 'tokens'),
    cost: c('claude_code.cost.usage', 'USD'),
    commits: c('claude_code.commit.count'),
    prs: c('claude_code.pull_request.count'),
    lines: c('claude_code.lines_of_code.count'),
    decisions: c('claude_code.code_edit_tool.decision'),
    active: c('claude_code.active_time.total', 's'),
  };
}

function who(user, session) {
  return { 'user.email': user, 'user.account_uuid': `uuid-${user}`, 'organization.id': 'otel-org', 'session.id': session };
}

const expected = {};
function expect(user, f) {
  const e = (expected[user] ??= { input: 0, output: 0, cache_read: 0, cache_write: 0, cost_usd: 0, requests: 0, outcomes: {} });
  f(e);
}

function usage(m, user, session, kinds, costUsd) {
  const attrs = who(user, session);
  for (const [type, n] of Object.entries(kinds)) {
    m.tokens.add(n, { ...attrs, type, model: MODEL });
    expect(user, (e) => {
      const field = { input: 'input', output: 'output', cacheRead: 'cache_read', cacheCreation: 'cache_write' }[type];
      e[field] += n;
    });
  }
  m.cost.add(costUsd, { ...attrs, model: MODEL });
  expect(user, (e) => (e.cost_usd += costUsd));
}

function outcome(m, counter, kind, user, session, n, extra = {}) {
  m[counter].add(n, { ...who(user, session), ...extra });
  expect(user, (e) => (e.outcomes[kind] = (e.outcomes[kind] ?? 0) + n));
}

async function main() {
  // 1. Logs first for the logs user: api_request records own its usage.
  const logExporter = new OTLPLogExporter({ url: `${base}/v1/otlp/v1/logs`, headers });
  const logProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: 3_600_000 })],
  });
  const logger = logProvider.getLogger('com.anthropic.claude_code.events', '2.0.0');
  const L = 'logs@example.com';
  const requests = [
    { id: 'req_001', input: 1200, output: 300, cache_read: 5000, cache_creation: 700, cost: 0.0421 },
    { id: 'req_002', input: 800, output: 150, cache_read: 0, cache_creation: 0, cost: 0.0105 },
    { id: 'req_001', input: 1200, output: 300, cache_read: 5000, cache_creation: 700, cost: 0.0421 }, // a resend
  ];
  const seen = new Set();
  for (const r of requests) {
    if (seen.has(r.id)) await logProvider.forceFlush(); // the resend goes in a later export
    logger.emit({
      body: 'claude_code.api_request',
      eventName: 'claude_code.api_request',
      timestamp: Date.now(),
      attributes: {
        ...who(L, 'sess-logs'),
        'event.name': 'api_request',
        'event.timestamp': new Date().toISOString(),
        model: MODEL,
        request_id: r.id,
        input_tokens: r.input,
        output_tokens: r.output,
        cache_read_tokens: r.cache_read,
        cache_creation_tokens: r.cache_creation,
        cost_usd: r.cost,
        duration_ms: 1234,
      },
    });
    if (!seen.has(r.id)) {
      seen.add(r.id);
      expect(L, (e) => {
        e.input += r.input, e.output += r.output, e.cache_read += r.cache_read, e.cache_write += r.cache_creation;
        e.cost_usd += r.cost, e.requests += 1;
      });
    }
  }
  logger.emit({
    body: 'claude_code.user_prompt',
    timestamp: Date.now(),
    attributes: { ...who(L, 'sess-logs'), 'event.name': 'user_prompt', 'event.sequence': 1, prompt_length: 420, prompt: '<REDACTED>' },
  });
  // With OTEL_LOG_USER_PROMPTS=1 the text comes along: burnrate keeps its features.
  const text = 'Please fix the flaky login test and explain what caused it.';
  logger.emit({
    body: 'claude_code.user_prompt',
    timestamp: Date.now(),
    attributes: { ...who(L, 'sess-logs'), 'event.name': 'user_prompt', 'event.sequence': 2, prompt_length: text.length, prompt: text },
  });
  await logProvider.forceFlush();

  // 2. DELTA metrics, two exports.
  const d = meterFor(AggregationTemporalityPreference.DELTA);
  const D = 'delta@example.com';
  usage(d, D, 'sess-d', { input: 1000, output: 250, cacheRead: 4000, cacheCreation: 500 }, 0.125);
  outcome(d, 'commits', 'commit', D, 'sess-d', 2);
  outcome(d, 'lines', 'lines_added', D, 'sess-d', 120, { type: 'added' });
  outcome(d, 'lines', 'lines_removed', D, 'sess-d', 30, { type: 'removed' });
  outcome(d, 'decisions', 'edit_accepted', D, 'sess-d', 3, { decision: 'accept', tool: 'Edit', language: 'C++' });
  d.active.add(42.5, who(D, 'sess-d'));
  await d.reader.forceFlush();
  usage(d, D, 'sess-d', { input: 600, output: 50 }, 0.0625);
  outcome(d, 'prs', 'pull_request', D, 'sess-d', 1);
  outcome(d, 'decisions', 'edit_rejected', D, 'sess-d', 1, { decision: 'reject', tool: 'Edit', language: 'C++' });
  await d.reader.forceFlush();

  // The logs user's metrics: same usage as its api_request records; must
  // not be counted again.
  d.tokens.add(2000, { ...who(L, 'sess-logs'), type: 'input', model: MODEL });
  d.cost.add(0.0526, { ...who(L, 'sess-logs'), model: MODEL });
  await d.reader.forceFlush();
  await d.provider.shutdown();

  // 3. CUMULATIVE metrics, three exports (the last repeats the total).
  const c = meterFor(AggregationTemporalityPreference.CUMULATIVE);
  const C = 'cumulative@example.com';
  usage(c, C, 'sess-c', { input: 500, output: 100 }, 0.25);
  outcome(c, 'commits', 'commit', C, 'sess-c', 1);
  await c.reader.forceFlush();
  usage(c, C, 'sess-c', { input: 300, cacheRead: 900 }, 0.5);
  outcome(c, 'commits', 'commit', C, 'sess-c', 2);
  await c.reader.forceFlush();
  await c.reader.forceFlush();
  await c.provider.shutdown();
  await logProvider.shutdown();

  process.stdout.write(JSON.stringify(expected) + '\n');
}

metrics.disable();
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
