'use strict';
/*
 * common.cjs: what the SDK case scripts share.  The daemon's base URL
 * and API key come from AICLIENTD_URL and AICLIENTD_KEY; runCases()
 * runs the named cases (all, or those named on the command line) one
 * after the other and prints one JSON object {case: result} on the
 * last line of stdout.  A case that throws gets {error: {...}}, so one
 * failure does not hide the others; the Python side checks the values.
 */

const url = process.env.AICLIENTD_URL;
const key = process.env.AICLIENTD_KEY;

if (!url || !key) {
  console.error('AICLIENTD_URL and AICLIENTD_KEY must be set');
  process.exit(2);
}

function errInfo(e) {
  if (e === null || typeof e !== 'object')
    return { error: { message: String(e) } };
  return {
    error: {
      name: e.constructor ? e.constructor.name : typeof e,
      status: e.status === undefined ? null : e.status,
      message: String(e.message),
      body: e.error === undefined ? null : e.error,
    },
  };
}

/* Calls fn, which must throw: the error's facts, or {unexpected}. */
async function expectError(fn) {
  try {
    const r = await fn();
    return { unexpected: r === undefined ? null : r };
  } catch (e) {
    return errInfo(e);
  }
}

function withTimeout(p, ms, name) {
  let t;
  const timer = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(name + ': timed out after ' +
      ms + ' ms')), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

/* Drops what is not JSON data (e.g. genai's sdkHttpResponse headers). */
function plain(x) {
  return JSON.parse(JSON.stringify(x, (k, v) =>
    (k === 'sdkHttpResponse' ? undefined : v)));
}

async function runCases(cases) {
  const only = process.argv.slice(2);
  const out = {};
  for (const [name, fn] of Object.entries(cases)) {
    if (only.length && !only.includes(name))
      continue;
    try {
      out[name] = plain(await withTimeout(fn(), 30000, name));
    } catch (e) {
      out[name] = errInfo(e);
    }
  }
  process.stdout.write('\n' + JSON.stringify(out) + '\n');
}

module.exports = { url, key, errInfo, expectError, runCases, plain };
