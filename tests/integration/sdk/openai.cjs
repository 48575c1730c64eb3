'use strict';
/*
 * openai.cjs: the official OpenAI SDK (openai) against aiclientd's Chat
 * Completions endpoint: create, streams with and without usage, a tool
 * round trip, the stream helper assembling tool calls, images as data:
 * URLs, models.list and the SDK's error classes.  Prints {case: result}.
 */

const { url, key, expectError, runCases } = require('./common.cjs');
const sdk = require('openai');

const OpenAI = sdk.OpenAI || sdk.default || sdk;
const client = new OpenAI({ baseURL: url + '/v1', apiKey: key,
  maxRetries: 0, timeout: 20000 });
const MODEL = 'claude-sonnet-4-5';
const TOOLS = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the weather of a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city'],
    },
  },
}];
const PNG = process.env.SDK_PNG_B64 || '';
const JPEG = process.env.SDK_JPEG_B64 || '';

function user(text) {
  return [{ role: 'user', content: text }];
}

async function collect(stream) {
  const chunks = [];
  for await (const c of stream)
    chunks.push(c);
  return chunks;
}

runCases({
  async create() {
    return await client.chat.completions.create({ model: MODEL,
      messages: [{ role: 'system', content: 'sdk-openai-system' },
        { role: 'user', content: 'sdk-openai-create' }] });
  },

  async stream_usage() {
    const s = await client.chat.completions.create({ model: MODEL,
      stream: true, stream_options: { include_usage: true },
      messages: user('MOCK:events:5 sdk-openai-stream') });
    return { chunks: await collect(s) };
  },

  async stream_plain() {
    const s = await client.chat.completions.create({ model: MODEL,
      stream: true, messages: user('sdk-openai-stream-plain') });
    return { chunks: await collect(s) };
  },

  async tool_round_trip() {
    const q = 'MOCK:tool sdk-openai-tool';
    const first = await client.chat.completions.create({ model: MODEL,
      tools: TOOLS, messages: user(q) });
    const msg = first.choices[0].message;
    if (!msg.tool_calls || !msg.tool_calls.length)
      return { first, second: null };
    const second = await client.chat.completions.create({ model: MODEL,
      tools: TOOLS, messages: [
        { role: 'user', content: q },
        msg,
        { role: 'tool', tool_call_id: msg.tool_calls[0].id,
          content: 'sunny, 21 C' },
      ] });
    return { first, second };
  },

  async tool_stream() {
    const q = 'MOCK:tool sdk-openai-tool-stream';
    const params = { model: MODEL, tools: TOOLS, messages: user(q) };
    const runner = client.chat.completions.stream(params);
    const chunks = [];
    runner.on('chunk', (c) => chunks.push(c));
    const final = await runner.finalChatCompletion();
    return { final, chunks };
  },

  async image() {
    return await client.chat.completions.create({ model: MODEL,
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'MOCK:image sdk-openai-image' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,' +
          PNG } },
        { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,' +
          JPEG, detail: 'low' } },
      ] }] });
  },

  async models() {
    const ids = [];
    for await (const m of client.models.list())
      ids.push(m.id);
    return { ids };
  },

  async rate_limited() {
    return await expectError(() => client.chat.completions.create({
      model: MODEL, messages: user('MOCK:status:429') }));
  },

  async unknown_model() {
    return await expectError(() => client.chat.completions.create({
      model: 'no-such-model', messages: user('hi') }));
  },

  async bad_key() {
    const c = new OpenAI({ baseURL: url + '/v1', apiKey: 'wrong-key',
      maxRetries: 0, timeout: 20000 });
    return await expectError(() => c.chat.completions.create({
      model: MODEL, messages: user('hi') }));
  },

  async prefixed() {
    const c = new OpenAI({ baseURL: url + '/claude-kiro-oauth/v1',
      apiKey: key, maxRetries: 0, timeout: 20000 });
    return await c.chat.completions.create({ model: MODEL,
      messages: user('sdk-openai-prefixed') });
  },

  async stream_cut() {
    let text = '';
    const r = await expectError(async () => {
      const s = await client.chat.completions.create({ model: MODEL,
        stream: true, messages: user('MOCK:cut sdk-openai-cut') });
      for await (const c of s) {
        if (c.choices.length && c.choices[0].delta.content)
          text += c.choices[0].delta.content;
      }
    });
    r.text = text;
    return r;
  },
});
