'use strict';
/*
 * genai.cjs: the official Google Gen AI SDK (@google/genai) against
 * aiclientd's Gemini endpoints (httpOptions.baseUrl = the daemon,
 * apiVersion v1beta): generateContent, generateContentStream, a
 * function-calling round trip, inlineData images, a system
 * instruction, models.list / models.get and ApiError.  Prints
 * {case: result} as JSON.
 */

const { url, key, expectError, runCases } = require('./common.cjs');
const { GoogleGenAI } = require('@google/genai');

const ai = new GoogleGenAI({ apiKey: key,
  httpOptions: { baseUrl: url, apiVersion: 'v1beta', timeout: 20000 } });
const MODEL = 'claude-sonnet-4-5';
const TOOLS = [{ functionDeclarations: [{
  name: 'get_weather',
  description: 'Get the weather of a city',
  parameters: {
    type: 'OBJECT',
    properties: {
      city: { type: 'STRING' },
      unit: { type: 'STRING', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['city'],
  },
}] }];
const PNG = process.env.SDK_PNG_B64 || '';
const JPEG = process.env.SDK_JPEG_B64 || '';

runCases({
  async generate() {
    const r = await ai.models.generateContent({ model: MODEL,
      contents: 'sdk-genai-generate' });
    return { text: r.text, response: r };
  },

  async stream() {
    const s = await ai.models.generateContentStream({ model: MODEL,
      contents: 'MOCK:events:4 sdk-genai-stream' });
    const chunks = [];
    let text = '';
    for await (const c of s) {
      chunks.push(c);
      text += c.text || '';
    }
    return { text, chunks };
  },

  async function_round_trip() {
    const q = 'MOCK:tool sdk-genai-tool';
    const first = await ai.models.generateContent({ model: MODEL,
      contents: q, config: { tools: TOOLS } });
    const calls = first.functionCalls || [];
    if (!calls.length)
      return { first, calls, second: null };
    const fc = calls[0];
    const second = await ai.models.generateContent({ model: MODEL,
      config: { tools: TOOLS }, contents: [
        { role: 'user', parts: [{ text: q }] },
        first.candidates[0].content,
        { role: 'user', parts: [{ functionResponse: { id: fc.id,
          name: fc.name, response: { result: 'sunny, 21 C' } } }] },
      ] });
    return { first, calls, second, secondText: second.text };
  },

  async function_stream() {
    const s = await ai.models.generateContentStream({ model: MODEL,
      contents: 'MOCK:tool sdk-genai-tool-stream', config: { tools: TOOLS } });
    const calls = [];
    const finish = [];
    for await (const c of s) {
      for (const fc of c.functionCalls || [])
        calls.push(fc);
      for (const cand of c.candidates || [])
        if (cand.finishReason)
          finish.push(cand.finishReason);
    }
    return { calls, finish };
  },

  async image() {
    const r = await ai.models.generateContent({ model: MODEL, contents: [
      { role: 'user', parts: [
        { text: 'MOCK:image sdk-genai-image' },
        { inlineData: { mimeType: 'image/png', data: PNG } },
        { inlineData: { mimeType: 'image/jpeg', data: JPEG } },
      ] }] });
    return { text: r.text };
  },

  async system_instruction() {
    const r = await ai.models.generateContent({ model: MODEL,
      contents: 'sdk-genai-sysi-user',
      config: { systemInstruction: 'sdk-genai-system', temperature: 0.2,
        maxOutputTokens: 100 } });
    return { text: r.text };
  },

  async chat() {
    const chat = ai.chats.create({ model: MODEL, history: [
      { role: 'user', parts: [{ text: 'sdk-genai-chat-h1' }] },
      { role: 'model', parts: [{ text: 'earlier answer' }] },
    ] });
    const a = await chat.sendMessage({ message: 'sdk-genai-chat-q1' });
    const b = await chat.sendMessage({ message: 'sdk-genai-chat-q2' });
    return { a: a.text, b: b.text };
  },

  async models_list() {
    const names = [];
    const pager = await ai.models.list();
    for await (const m of pager)
      names.push(m.name);
    return { names };
  },

  async models_get() {
    return await ai.models.get({ model: MODEL });
  },

  async prefixed() {
    const g = new GoogleGenAI({ apiKey: key, httpOptions: {
      baseUrl: url + '/claude-kiro-oauth', apiVersion: 'v1beta',
      timeout: 20000 } });
    const r = await g.models.generateContent({ model: MODEL,
      contents: 'sdk-genai-prefixed' });
    return { text: r.text };
  },

  async rate_limited() {
    return await expectError(() => ai.models.generateContent({
      model: MODEL, contents: 'MOCK:status:429' }));
  },

  async unknown_model() {
    return await expectError(() => ai.models.generateContent({
      model: 'no-such-model', contents: 'hi' }));
  },
});
