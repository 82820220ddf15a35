import { test, expect } from '@playwright/test';
import { flowSchedule, validateFlows, type AgentFlowConfig } from './agent.js';

const flow = (o: Partial<AgentFlowConfig> = {}): AgentFlowConfig =>
  ({ id: 1, name: 'v4', target: '127.0.0.1', port: 7, ratePps: 1000, durationMs: 2000, ...o });

test('a flow sends min(count, duration × rate) packets, the flows spread over one interval', () => {
  expect(flowSchedule(flow(), 0, 1)).toEqual({ planned: 2000, intervalMs: 1, offsetMs: 0 });
  expect(flowSchedule(flow({ count: 150 }), 0, 1).planned).toBe(150);
  expect(flowSchedule(flow({ ratePps: 3, durationMs: 500 }), 0, 1).planned).toBe(2);
  expect(flowSchedule(flow({ ratePps: 200 }), 1, 2)).toEqual({ planned: 400, intervalMs: 5, offsetMs: 2.5 });
});

test('flow ids are distinct u16 values and rate and duration positive', () => {
  expect(() => validateFlows([flow({ id: 0 }), flow({ id: 0xffff })])).not.toThrow();
  expect(() => validateFlows([flow(), flow({ name: 'v6' })])).toThrow(/flow id 1 invalid or duplicate/);
  expect(() => validateFlows([flow({ id: 0x10000 })])).toThrow(/flow id 65536/);
  expect(() => validateFlows([flow({ id: 1.5 })])).toThrow(/flow id 1.5/);
  expect(() => validateFlows([flow({ ratePps: 0 })])).toThrow(/flow v4: ratePps and durationMs must be > 0/);
  expect(() => validateFlows([flow({ durationMs: Number.NaN })])).toThrow(/must be > 0/);
});
