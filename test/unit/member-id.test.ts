import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { memberIdFromLog } from '../../src/consumer/client-events';

describe("reading the member id from librdkafka's cgrp log", () => {
  test('classic and KIP-848 ids are read from the MEMBERID line', () => {
    assert.equal(memberIdFromLog('Group "g": updating member id "" -> "rdkafka-55ca6d8e-ff4c-4d8d-bf81-1d659267f984"'), 'rdkafka-55ca6d8e-ff4c-4d8d-bf81-1d659267f984');
    assert.equal(memberIdFromLog('Group "g": updating member id "(not-set)" -> "3nMXAgAOSTicWTdGihfIQA"'), '3nMXAgAOSTicWTdGihfIQA');
  });
  test('a reset to empty means no member id', () => {
    assert.equal(memberIdFromLog('Group "g": updating member id "rdkafka-1" -> ""'), null);
  });
  test('other lines are ignored', () => {
    assert.equal(memberIdFromLog('Heartbeat for group "g" generation id 3'), undefined);
  });
});
