#!/usr/bin/env node
import { runMain } from '@privacy-relay/shared/runtime';
import { intakeConfigSpec } from './config';
import { createIntakeService } from './intake-service';

runMain({ name: 'intake', spec: intakeConfigSpec, env: process.env, create: createIntakeService });
