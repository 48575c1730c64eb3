-- wrk script: POST an Anthropic Messages request to aiclientd.
-- BENCH_KEY: the API key; BENCH_STREAM=1: ask for a stream;
-- BENCH_DIRECTIVE: a mock directive put in the user text.
local key = os.getenv("BENCH_KEY") or "bench-key-0123456789abcdef"
local stream = os.getenv("BENCH_STREAM") == "1"
local directive = os.getenv("BENCH_DIRECTIVE") or ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-api-key"] = key
wrk.headers["anthropic-version"] = "2023-06-01"
wrk.body = string.format(
  '{"model":"claude-sonnet-4-5","max_tokens":256,"stream":%s,' ..
  '"messages":[{"role":"user","content":"Say hello. %s"}]}',
  stream and "true" or "false", directive)
