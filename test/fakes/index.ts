// Fake upstream servers speaking the providers' real wire formats, for gateway, event and reliability tests.
export type { FakeBehavior, FakeToolCall, FakeUpstream, RecordedRequest } from './fake-upstream';
export { startFakeOpenAI, FAKE_OPENAI_KEY } from './openai';
export { startFakeAzure, FAKE_AZURE_KEY } from './azure';
export { startFakeAnthropic, FAKE_ANTHROPIC_KEY } from './anthropic';
export { startFakeOllama } from './ollama';
