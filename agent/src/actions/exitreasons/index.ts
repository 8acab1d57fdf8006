// Registers collectExitReasons with the command registry.
import { on } from "../registry.ts";
import { exitReasonsAction } from "./exitreasons.action.ts";

on("collectExitReasons", (value, deps, signal) => exitReasonsAction(value, deps.exec, signal));
