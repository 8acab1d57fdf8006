// The action registry: one line per action folder; each registers its command kinds with registry.ts `on`.
// Loaded with the dispatcher, on the agent's first command (modules an agent never runs cost it memory).
import "./sampling/index.ts";
import "./iperf3/index.ts";
import "./watchflows/index.ts";
import "./settings/index.ts";
import "./exitreasons/index.ts";
import "./profile/index.ts";
