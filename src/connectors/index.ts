import { apigamesFactory } from './apigames/index.js';
import { digiflazzFactory } from './digiflazz/index.js';
import { kiosgameFactory } from './kiosgame/index.js';
import { simulatorFactory } from './simulator/index.js';
import { vcgamersFactory } from './vcgamers/index.js';
import type { ConnectorFactory } from './types.js';

/** Every supplier kind kios can buy from, one folder each. */
export function connectorFactories(simulator: { latencyMs: number; pendingMs: number }): ConnectorFactory<never>[] {
  return [simulatorFactory(simulator), kiosgameFactory, digiflazzFactory, apigamesFactory, vcgamersFactory] as ConnectorFactory<never>[];
}
