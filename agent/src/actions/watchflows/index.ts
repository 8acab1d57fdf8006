// Registers watchFlows with the command registry.
import { on } from "../registry.ts";
import { watchFlows } from "./watchflows.action.ts";

on("watchFlows", async (value, deps) => watchFlows(value, deps.scheduler));
