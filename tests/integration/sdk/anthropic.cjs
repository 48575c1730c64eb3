'use strict';
/*
 * anthropic.cjs: the official Anthropic SDK (@anthropic-ai/sdk) against
 * aiclientd's Messages endpoint: messages.create, messages.stream and
 * stream:true, a tool round trip, an image, countTokens, models.list
 * and the SDK's error classes.  Prints {case: result} as JSON.
 */

const { url, key, expectError, runCases } = require('./common.cjs');
const sdk = require('@anthropic-ai/sdk');

const Anthropic = sdk.Anthropic || sdk.default || sdk;
const client = new Anthropic({ baseURL: url, apiKey: key, maxRetries: 0,
  timeout: 20000 });
const MODEL = 'claude-sonnet-4-5';
const TOOLS = [{
  name: 'get_weather',
  description: 'Get the weather of a city',
  input_schema: {
    type: 'object',
    properties: {
      city: { type: 'string', description: 'the city' },
      unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city'],
  },
}];
const PNG = process.env.SDK_PNG_B64 || '';
const JPEG = process.env.SDK_JPEG_B64 || '';

function user(text) {
  return [{ role: 'user', content: text }];
}

runCases({
  async create() {
    return await client.messages.create({ model: MODEL, max_tokens: 256,
      system: 'sdk-anthropic-system',
      messages: user('sdk-anthropic-create') });
  },

  async stream_helper() {
    const s = client.messages.stream({ model: MODEL, max_tokens: 256,
      messages: user('sdk-anthropic-stream') });
    const events = [];
    let text = '';
    s.on('streamEvent', (ev) => events.push(ev.type));
    s.on('text', (delta) => { text += delta; });
    const final = await s.finalMessage();
    return { events, text, final };
  },

  async stream_raw() {
    const s = await client.messages.create({ model: MODEL, max_tokens: 256,
      stream: true, messages: user('sdk-anthropic-stream-raw') });
    const events = [];
    let text = '';
    let stop = null;
    for await (const ev of s) {
      events.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta')
        text += ev.delta.text;
      if (ev.type === 'message_delta')
        stop = ev.delta.stop_reason;
    }
    return { events, text, stop };
  },

  async tool_round_trip() {
    const q = 'MOCK:tool sdk-anthropic-tool';
    const first = await client.messages.create({ model: MODEL,
      max_tokens: 256, tools: TOOLS, messages: user(q) });
    const tu = first.content.find((b) => b.type === 'tool_use');
    if (!tu)
      return { first, second: null };
    const second = await client.messages.create({ model: MODEL,
      max_tokens: 256, tools: TOOLS, messages: [
        { role: 'user', content: q },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result',
          tool_use_id: tu.id, content: 'sunny, 21 C' }] },
      ] });
    return { first, second };
  },

  async tool_stream() {
    const s = client.messages.stream({ model: MODEL, max_tokens: 256,
      tools: TOOLS, messages: user('MOCK:tool sdk-anthropic-tool-stream') });
    const partials = [];
    s.on('inputJson', (partial) => partials.push(partial));
    const final = await s.finalMessage();
    return { final, partials };
  },

  async image() {
    return await client.messages.create({ model: MODEL, max_tokens: 256,
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'MOCK:image sdk-anthropic-image' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png',
          data: PNG } },
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg',
          data: JPEG } },
      ] }] });
  },

  async count_tokens() {
    if (typeof client.messages.countTokens !== 'function')
      return { unsupported: true };
    return await client.messages.countTokens({ model: MODEL, tools: TOOLS,
      messages: user('how is the weather in Berlin today?') });
  },

  async models() {
    const ids = [];
    for await (const m of client.models.list())
      ids.push(m.id);
    return { ids };
  },

  async rate_limited() {
    return await expectError(() => client.messages.create({ model: MODEL,
      max_tokens: 64, messages: user('MOCK:status:429') }));
  },

  async unknown_model() {
    return await expectError(() => client.messages.create({
      model: 'no-such-model', max_tokens: 64, messages: user('hi') }));
  },

  async bad_key() {
    const c = new Anthropic({ baseURL: url, apiKey: 'wrong-key',
      maxRetries: 0, timeout: 20000 });
    return await expectError(() => c.messages.create({ model: MODEL,
      max_tokens: 64, messages: user('hi') }));
  },

  async prefixed() {
    /* the guide's Cline / Cursor base URL: <host>/claude-kiro-oauth */
    const c = new Anthropic({ baseURL: url + '/claude-kiro-oauth',
      apiKey: key, maxRetries: 0, timeout: 20000 });
    return await c.messages.create({ model: MODEL, max_tokens: 64,
      messages: user('sdk-anthropic-prefixed') });
  },

  async stream_cut() {
    const s = client.messages.stream({ model: MODEL, max_tokens: 256,
      messages: user('MOCK:cut sdk-anthropic-cut') });
    let text = '';
    s.on('text', (delta) => { text += delta; });
    const r = await expectError(() => s.finalMessage());
    r.text = text;
    return r;
  },
});
