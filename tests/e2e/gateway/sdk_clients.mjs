// Drives the gateway with the official SDKs (@anthropic-ai/sdk, openai),
// streaming and not. Usage: node sdk_clients.mjs BASE KEY BROKE_KEY.
// Prints one line per call; exits non-zero on any unexpected answer.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

const [base, key, broke] = process.argv.slice(2);
const anthropic = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
const openai = new OpenAI({ baseURL: base + "/v1", apiKey: key, maxRetries: 0 });
const must = (cond, what) => { if (!cond) { console.error("FAIL: " + what); process.exit(1); } };

const m = await anthropic.messages.create({ model: "claude-sonnet-4-5", max_tokens: 64,
  messages: [{ role: "user", content: "hi" }] });
must(m.usage.cache_read_input_tokens > 0 && m.content[0].text === "Stub answer.", "anthropic json " + JSON.stringify(m));
console.log("anthropic json", m.id);

const stream = anthropic.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 64,
  messages: [{ role: "user", content: "hi" }] });
const final = await stream.finalMessage();
must(final.usage.output_tokens > 1 && final.content[0].text === "Stub answer.", "anthropic stream " + JSON.stringify(final));
console.log("anthropic stream", final.id);

const c = await openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
must(c.usage.prompt_tokens > 0, "chat json");
console.log("chat json", c.id);

let text = "", sawUsage = false;
for await (const chunk of await openai.chat.completions.create({ model: "gpt-4o", stream: true,
  messages: [{ role: "user", content: "hi" }] })) {
  text += chunk.choices[0]?.delta?.content ?? "";
  if (chunk.usage) sawUsage = true;
}
must(text === "Stub answer." && !sawUsage, "chat stream (usage not asked for must not show)");
console.log("chat stream");

const r = await openai.responses.create({ model: "gpt-5", input: "hi", stream: false });
must(r.usage.output_tokens > 0, "responses json");
let done = null;
for await (const ev of await openai.responses.create({ model: "gpt-5", input: "hi", stream: true })) {
  if (ev.type === "response.completed") done = ev.response;
}
must(done && done.usage.output_tokens > 0, "responses stream");
console.log("responses json+stream");

const poor = new Anthropic({ baseURL: base, apiKey: broke, maxRetries: 0 });
try {
  await poor.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5000, messages: [{ role: "user", content: "hi" }] });
  must(false, "over budget was admitted");
} catch (e) {
  must(e instanceof Anthropic.RateLimitError && /tiny-team/.test(e.message), "want RateLimitError naming the budget, got " + e);
  console.log("anthropic 429:", e.message);
}
const poorOa = new OpenAI({ baseURL: base + "/v1", apiKey: broke, maxRetries: 0 });
try {
  await poorOa.chat.completions.create({ model: "gpt-4o", max_tokens: 5000, messages: [{ role: "user", content: "hi" }] });
  must(false, "over budget was admitted");
} catch (e) {
  must(e instanceof OpenAI.RateLimitError && /tiny-team/.test(e.message), "want RateLimitError, got " + e);
  console.log("openai 429:", e.message);
}
