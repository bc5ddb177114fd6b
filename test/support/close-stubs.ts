import { closeOpenStubs } from './http-stub';

// After every test file: no HTTP stub outlives the file that started it, so a test that times out
// fails alone instead of keeping its worker (and the whole run) from exiting.
afterAll(() => closeOpenStubs());
