#!/usr/bin/env node
import { runMain } from '@privacy-relay/shared/runtime';
import { relayConfigSpec } from './config';
import { createRelayService } from './relay-service';

runMain({ name: 'relay', spec: relayConfigSpec, env: process.env, create: createRelayService });
