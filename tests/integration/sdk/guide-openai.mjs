// The guide's "OpenAI SDK (Node.js)" example (kiro-claude-guide.zh.md,
// 客户端集成 6) as written; only apiKey and baseURL point at the daemon
// under test (AICLIENTD_KEY, AICLIENTD_URL).
import OpenAI from 'openai';

const client = new OpenAI({
  apiKey: process.env.AICLIENTD_KEY,
  baseURL: process.env.AICLIENTD_URL + '/v1'
});

async function main() {
  const response = await client.chat.completions.create({
    model: 'claude-sonnet-4-20250514',
    messages: [
      { role: 'user', content: 'Hello!' }
    ]
  });
  
  console.log(response.choices[0].message.content);
}

main();
