#!/usr/bin/env node
// The package's `eastwest` bin: runs the CLI (../src/main.ts, TypeScript through Node's type stripping, >= 22.18).
import { runProcess } from "../src/main.ts";

void runProcess();
