// The scripted Messages API server itself, through the real SDK: its event stream must assemble into the scripted
// message, and it must notice a client that does not answer a tool call.
import * as assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { apiError, expectToolResult, FakeMessagesApi, textTurn, toolTurn } from '../../fakes/messagesApiServer';

describe('FakeMessagesApi (scripted model server)', () => {
  let api: FakeMessagesApi;
  let client: Anthropic;
  beforeEach(async () => {
    api = new FakeMessagesApi();
    client = new Anthropic({ apiKey: 'sk-test', baseURL: await api.start(), maxRetries: 0 });
  });
  afterEach(() => api.close());

  it('streams the documented events, which the SDK assembles into the scripted message with its usage', async () => {
    api.enqueue(toolTurn([{ name: 'Write', input: { file_path: 'a.txt', content: 'hé\n' } }], { input_tokens: 42, output_tokens: 9 }, 'Writing it'));
    const events: string[] = [];
    const stream = client.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] });
    stream.on('streamEvent', (e) => events.push(e.type));
    const msg = await stream.finalMessage();
    assert.deepEqual(msg.content[0], { type: 'text', text: 'Writing it' });
    assert.deepEqual((msg.content[1] as { input: unknown }).input, { file_path: 'a.txt', content: 'hé\n' });
    assert.equal(msg.stop_reason, 'tool_use');
    assert.equal(msg.usage.input_tokens, 42);
    assert.equal(msg.usage.output_tokens, 9);
    assert.deepEqual(
      [...new Set(events)],
      ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    assert.equal(api.requests[0]!.body.stream, true);
  });

  it('ends a stream with an error event when scripted, which the SDK raises', async () => {
    api.enqueue(textTurn('never complete', undefined, { stream: { errorAfterEvents: 3 } }));
    const stream = client.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'go' }] });
    await assert.rejects(stream.finalMessage(), /Overloaded/);
  });

  it('records a request of the same conversation that leaves a tool call unanswered, and a failed expectation', async () => {
    const call = toolTurn([{ name: 'Bash', input: { command: 'true' } }]);
    const id = (call as { content: { id?: string }[] }).content[0]!.id!;
    api.enqueue(call, textTurn('ok', undefined, { expect: expectToolResult(/^done$/) }));
    await client.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'go' }] });
    await client.messages.create({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id, name: 'Bash', input: { command: 'true' } }] },
        { role: 'user', content: 'just text, no tool_result' },
      ],
    });
    assert.equal(api.failures.length, 2);
    assert.match(api.failures[0]!, new RegExp(`request 2: no tool_result for ${id}`));
    assert.match(api.failures[1]!, /expected a tool_result matching \/\^done\$\/, got: no tool_result/);
  });

  it('lets another conversation (a subagent the call started) run in between without flagging the open call', async () => {
    const call = toolTurn([{ name: 'Agent', input: { subagent_type: 'testing-specialist', prompt: 'write tests' } }]);
    const id = (call as { content: { id?: string }[] }).content[0]!.id!;
    api.enqueue(call, textTurn('sub done'), textTurn('main done'));
    await client.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'go' }] });
    await client.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'write tests' }] });
    assert.deepEqual(api.failures, []);
    await client.messages.create({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id, name: 'Agent', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'sub done' }] },
      ],
    });
    assert.deepEqual(api.failures, []);
  });

  it('keeps a tool call open across an error answer: the retried request must still carry its result', async () => {
    const call = toolTurn([{ name: 'Bash', input: { command: 'true' } }]);
    const id = (call as { content: { id?: string }[] }).content[0]!.id!;
    api.enqueue(call, apiError(500, 'api_error', 'boom'), textTurn('ok'));
    await client.messages.create({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'go' }] });
    const answer = [{ type: 'tool_result' as const, tool_use_id: id, content: 'done' }];
    const messages = [
      { role: 'user' as const, content: 'go' },
      { role: 'assistant' as const, content: [{ type: 'tool_use' as const, id, name: 'Bash', input: { command: 'true' } }] },
      { role: 'user' as const, content: answer },
    ];
    await assert.rejects(client.messages.create({ model: 'm', max_tokens: 10, messages }), /boom/);
    await client.messages.create({ model: 'm', max_tokens: 10, messages });
    assert.deepEqual(api.failures, []);
  });
});
