// Registers collectProfile with the command registry.
import { on } from "../registry.ts";
import { profileAction } from "./profile.action.ts";

on("collectProfile", (value, deps, signal) => profileAction(value, deps.exec, signal));
